"""The consent ledger: defaults from the policy, GPC/DNT honoured, withdrawal immediate."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from reelvault.errors import ValidationError
from reelvault.privacy import consent, privacy_audit
from reelvault.privacy.consent import (
    ANALYTICS,
    MARKETING,
    OPTIONAL_COOKIES,
    ConsentSource,
    privacy_signals,
    provider_purpose,
)
from reelvault.privacy.housekeeping import sweep_privacy_records
from reelvault.testing import FakeClock

from .conftest import OpenRuntime

OWNER = "own_4f2a9c"


def test_opt_out_analytics_is_granted_until_withdrawn(open_runtime: OpenRuntime) -> None:
    runtime = open_runtime()
    assert consent.has_consent(runtime, OWNER, ANALYTICS)
    consent.withdraw(runtime, OWNER, ANALYTICS)
    assert not consent.has_consent(runtime, OWNER, ANALYTICS)  # the very next check
    consent.grant(runtime, OWNER, ANALYTICS)
    assert consent.has_consent(runtime, OWNER, ANALYTICS)


def test_opt_in_purposes_are_denied_until_granted(open_runtime: OpenRuntime) -> None:
    runtime = open_runtime("library")
    fal = provider_purpose("fal")
    for purpose in (MARKETING, fal, OPTIONAL_COOKIES):
        assert not consent.has_consent(runtime, OWNER, purpose)
        consent.grant(runtime, OWNER, purpose)
        assert consent.has_consent(runtime, OWNER, purpose)
    # Consent to one provider says nothing about another.
    assert not consent.has_consent(runtime, OWNER, provider_purpose("replicate"))
    consent.withdraw(runtime, OWNER, fal)
    assert not consent.has_consent(runtime, OWNER, fal)
    assert not consent.has_consent(runtime, "own_someone_else", MARKETING)


@pytest.mark.parametrize(
    ("gpc", "dnt", "expected"), [("1", None, False), (None, "1", False), ("0", "0", True)]
)
def test_sec_gpc_and_dnt_turn_analytics_off_by_default(
    open_runtime: OpenRuntime, gpc: str | None, dnt: str | None, expected: bool
) -> None:
    runtime = open_runtime()
    signals = privacy_signals(sec_gpc=gpc, dnt=dnt)
    assert consent.has_consent(runtime, OWNER, ANALYTICS, signals=signals) is expected


def test_a_signal_is_remembered_for_later_work_but_a_decision_outranks_it(
    open_runtime: OpenRuntime,
) -> None:
    runtime = open_runtime()
    assert consent.honour_signals(runtime, OWNER, privacy_signals(sec_gpc="1"))
    assert not consent.has_consent(runtime, OWNER, ANALYTICS)  # e.g. when the job ends
    assert consent.history(runtime, OWNER)[-1].source is ConsentSource.GPC
    consent.grant(runtime, OWNER, ANALYTICS)  # the person explicitly says yes
    assert not consent.honour_signals(runtime, OWNER, privacy_signals(sec_gpc="1"))
    assert consent.has_consent(runtime, OWNER, ANALYTICS)
    assert not consent.honour_signals(runtime, "own_other", privacy_signals())


def test_each_decision_records_the_policy_version_and_time(
    open_runtime: OpenRuntime, clock: FakeClock
) -> None:
    runtime = open_runtime("library")
    consent.withdraw(runtime, OWNER, ANALYTICS)
    clock.advance(minutes=5)
    consent.grant(runtime, OWNER, MARKETING)
    history = consent.history(runtime, OWNER)
    assert [(d.purpose, d.granted) for d in history] == [(ANALYTICS, False), (MARKETING, True)]
    assert {d.policy_version for d in history} == {runtime.policy.version_hash}
    assert (history[0].at, history[1].at) == (clock.now - timedelta(minutes=5), clock.now)


def test_purposes_the_policy_does_not_have_cannot_be_granted(open_runtime: OpenRuntime) -> None:
    runtime = open_runtime("ephemeral")  # no marketing purpose
    with pytest.raises(ValidationError):
        consent.grant(runtime, OWNER, MARKETING)
    consent.withdraw(runtime, OWNER, MARKETING)  # withdrawing is always possible
    assert not consent.has_consent(runtime, OWNER, MARKETING)
    with pytest.raises(ValidationError):
        consent.grant(runtime, OWNER, "provider:Bad Name")
    with pytest.raises(ValidationError):
        consent.grant(runtime, OWNER, "profiling")


def test_analytics_is_opt_in_when_the_policy_turns_opt_out_off(
    open_runtime: OpenRuntime, tmp_path: Path
) -> None:
    profile = Path(__file__).parents[3] / "src/reelvault/policy/profiles/standard.yaml"
    data = yaml.safe_load(profile.read_text())
    data["options"]["analytics_opt_out"] = False
    custom = tmp_path / "policy.yaml"
    custom.write_text(yaml.safe_dump(data))
    runtime = open_runtime(str(custom))
    assert not consent.has_consent(runtime, OWNER, ANALYTICS)
    consent.grant(runtime, OWNER, ANALYTICS)
    assert consent.has_consent(runtime, OWNER, ANALYTICS)


def test_current_lists_the_effective_state(open_runtime: OpenRuntime) -> None:
    runtime = open_runtime("library")
    consent.grant(runtime, OWNER, provider_purpose("fal"))
    state = consent.current(runtime, OWNER, providers=("fal", "kling"))
    assert state == {
        ANALYTICS: True,
        MARKETING: False,
        OPTIONAL_COOKIES: False,
        "provider:fal": True,
        "provider:kling": False,
    }


def test_superseded_records_expire_with_the_policy(
    open_runtime: OpenRuntime, clock: FakeClock
) -> None:
    runtime = open_runtime("ephemeral")  # consent records kept 1 year
    consent.grant(runtime, OWNER, ANALYTICS)
    consent.withdraw(runtime, OWNER, ANALYTICS)
    clock.advance(days=364)
    assert consent.delete_expired(runtime) == 0
    clock.advance(days=2)
    assert consent.delete_expired(runtime) == 1  # the grant the withdrawal superseded
    assert [d.granted for d in consent.history(runtime, OWNER)] == [False]


def test_an_analytics_opt_out_outlives_its_record_retention(
    open_runtime: OpenRuntime, clock: FakeClock
) -> None:
    """A withdrawal that aged out used to let the opt-out default count the person again."""
    runtime = open_runtime("standard")  # consent records kept 2 years
    consent.withdraw(runtime, OWNER, ANALYTICS)
    consent.grant(runtime, "own_other", provider_purpose("fal"))
    for _ in range(3):
        clock.advance(days=400)
        sweep_privacy_records(runtime)
        assert not consent.has_consent(runtime, OWNER, ANALYTICS)
        assert consent.has_consent(runtime, "own_other", provider_purpose("fal"))
    # Kept as the decision in force, not as an expired row the audit would flag.
    assert [d.granted for d in consent.history(runtime, OWNER)] == [False]
    assert privacy_audit.run_audit(runtime).counts()["expired"] == 0
