from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from reelvault.policy import Policy, Retention, RetentionKind, load_policy
from reelvault.types import DataClass, LegalBasis, Purpose, Right, StorageLocation

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_every_data_class_has_a_rule(profile: Policy) -> None:
    assert set(profile.data_classes) == set(DataClass)
    for dc in DataClass:
        assert profile.rule(dc).purposes


def test_ephemeral_keeps_nothing_beyond_the_download_window() -> None:
    policy = load_policy("ephemeral")
    for dc in (DataClass.PROMPT, DataClass.UPLOAD):
        assert policy.rule(dc).retention.kind is RetentionKind.JOB
        assert policy.keeps_beyond_job(dc) is False
        assert policy.expires_at(dc, now=NOW) == NOW
    assert policy.rule(DataClass.OUTPUT).retention.duration == timedelta(hours=1)
    assert policy.expires_at(DataClass.OUTPUT, now=NOW) == NOW + timedelta(hours=1)
    assert policy.keeps_beyond_job(DataClass.OUTPUT) is True


def test_standard_retention_table() -> None:
    policy = load_policy("standard")
    assert policy.rule(DataClass.PROMPT).retention.duration == timedelta(days=30)
    assert policy.rule(DataClass.JOB_METADATA).retention.duration == timedelta(days=90)
    assert policy.expires_at(DataClass.PROMPT, now=NOW) == NOW + timedelta(days=30)
    for dc in (DataClass.CONTACT, DataClass.ACCOUNT, DataClass.DATA_SUBJECT_REQUEST):
        retention = policy.rule(dc).retention
        assert retention.kind is RetentionKind.UNTIL_RESOLVED
        assert retention.duration == timedelta(days=30)
        assert policy.expires_at(dc, now=NOW) is None
    assert policy.options.dance_uploads_troubleshooting_window == timedelta(days=7)


def test_library_keeps_content_until_deleted() -> None:
    policy = load_policy("library")
    for dc in (DataClass.OUTPUT, DataClass.UPLOAD, DataClass.ACCOUNT):
        assert policy.rule(dc).retention.kind is RetentionKind.UNTIL_DELETED
        assert policy.expires_at(dc, now=NOW) is None
    usage = policy.rule(DataClass.USAGE_EVENT).retention
    assert usage.describe() == "12 months"
    assert policy.expires_at(DataClass.USAGE_EVENT, now=NOW) == NOW + timedelta(days=360)
    marketing = [
        p for p in policy.rule(DataClass.CONTACT).purposes if p.purpose is Purpose.MARKETING
    ]
    assert marketing and marketing[0].legal_basis is LegalBasis.CONSENT


def test_profiles_keep_the_seed_promises(profile: Policy) -> None:
    assert profile.minimum_age == 13
    # "We do not knowingly collect personal information from children": no e-mail news
    # and no third-party provider for anyone under the minimum age.
    assert set(profile.adults_only_purposes) == {
        Purpose.MARKETING,
        Purpose.THIRD_PARTY_PROCESSING,
    }
    assert profile.options.third_party_providers_require_opt_in
    assert profile.options.request_response_days == 30
    for dc, rule in profile.data_classes.items():
        if StorageLocation.VAULT in rule.storage:
            assert rule.encrypted, dc
        for purpose in rule.purposes:
            if purpose.purpose is Purpose.THIRD_PARTY_PROCESSING:
                assert purpose.legal_basis is LegalBasis.CONSENT
    audit = profile.rule(DataClass.AUDIT_ENTRY)
    assert audit.retention.keeps_beyond_job() and audit.rights == ()
    assert profile.controller.is_placeholder


@pytest.mark.parametrize(
    ("spec", "kind", "text", "expires"),
    [
        (0, RetentionKind.JOB, "not kept after the job ends", NOW),
        ("0", RetentionKind.JOB, "not kept after the job ends", NOW),
        ("P30D", RetentionKind.DURATION, "30 days", NOW + timedelta(days=30)),
        ("PT1H", RetentionKind.DURATION, "1 hour", NOW + timedelta(hours=1)),
        ("P1Y", RetentionKind.DURATION, "1 year", NOW + timedelta(days=365)),
        ("PT0S", RetentionKind.DURATION, "deleted immediately", NOW),
        ("until_deleted", RetentionKind.UNTIL_DELETED, "until you delete it", None),
        (
            {"until_resolved_plus": "P30D"},
            RetentionKind.UNTIL_RESOLVED,
            "until your request is resolved, plus 30 days",
            None,
        ),
    ],
)
def test_retention_forms(
    spec: object, kind: RetentionKind, text: str, expires: datetime | None
) -> None:
    retention = Retention.parse(spec)
    assert retention.kind is kind
    assert retention.describe() == text
    assert retention.expires_at(NOW) == expires
    assert Retention.parse(retention.model_dump()) == retention


@pytest.mark.parametrize("spec", [1, -1, True, "forever", "until_resolved", {"x": "P1D"}, None])
def test_retention_rejects_other_forms(spec: object) -> None:
    with pytest.raises(ValidationError):
        Retention.parse(spec)


def test_version_hash_is_stable_and_tracks_substance() -> None:
    first, second = load_policy("standard"), load_policy("standard")
    assert first.version_hash == second.version_hash
    assert len(first.version_hash) == 16
    data = first.model_dump()
    data["data_classes"]["prompt"]["retention"] = "P31D"
    changed = Policy.model_validate(data)
    assert changed.version_hash != first.version_hash
    assert load_policy("ephemeral").version_hash != first.version_hash


def test_public_dict_round_trips_and_checks_its_hash(profile: Policy) -> None:
    public = profile.to_public_dict()
    assert public["version_hash"] == profile.version_hash
    assert public["data_classes"]["prompt"]["retention_text"]
    assert Policy.from_public_dict(public) == profile
    from reelvault.errors import PolicyError

    with pytest.raises(PolicyError, match="does not match"):
        Policy.from_public_dict({**public, "version_hash": "0" * 16})


def _standard_data() -> dict[str, object]:
    return load_policy("standard").model_dump()


def test_consent_based_purpose_needs_withdraw_right() -> None:
    data = _standard_data()
    contact = data["data_classes"]["contact"]  # type: ignore[index]
    contact["rights"] = [Right.ACCESS]
    with pytest.raises(ValidationError, match="withdraw_consent"):
        Policy.model_validate(data)


def test_third_party_processing_needs_consent_when_opt_in_promised() -> None:
    data = _standard_data()
    upload = data["data_classes"]["upload"]  # type: ignore[index]
    upload["purposes"][2]["legal_basis"] = "legitimate_interests"
    with pytest.raises(ValidationError, match="third_party_processing must rest on consent"):
        Policy.model_validate(data)


def test_an_adults_only_purpose_must_rest_on_consent() -> None:
    data = _standard_data()
    data["adults_only_purposes"] = ["marketing", "service_delivery"]
    with pytest.raises(ValidationError, match="service_delivery is in adults_only_purposes"):
        Policy.model_validate(data)


def test_vault_data_must_be_encrypted() -> None:
    data = _standard_data()
    data["data_classes"]["prompt"]["encrypted"] = False  # type: ignore[index]
    with pytest.raises(ValidationError, match="always encrypted"):
        Policy.model_validate(data)


def test_transient_storage_cannot_keep_data() -> None:
    data = _standard_data()
    data["data_classes"]["prompt"]["storage"] = ["memory"]  # type: ignore[index]
    with pytest.raises(ValidationError, match="do not outlive the job"):
        Policy.model_validate(data)


def test_policy_is_frozen() -> None:
    policy = load_policy("ephemeral")
    with pytest.raises(ValidationError):
        policy.minimum_age = 10  # type: ignore[misc]


def test_idle_owner_grace_is_a_bounded_iso_duration(profile: Policy) -> None:
    assert profile.options.idle_owner_grace == timedelta(days=1)
    assert profile.model_dump(mode="json")["options"]["idle_owner_grace"] == "P1D"
    data = profile.model_dump(mode="json")
    data["options"]["idle_owner_grace"] = "PT6H"
    assert Policy.model_validate(data).options.idle_owner_grace == timedelta(hours=6)
    assert Policy.model_validate(data).version_hash != profile.version_hash
    for bad in ("PT59M", "P2Y", "soon", None):
        data["options"]["idle_owner_grace"] = bad
        with pytest.raises(ValidationError, match="idle_owner_grace"):
            Policy.model_validate(data)
