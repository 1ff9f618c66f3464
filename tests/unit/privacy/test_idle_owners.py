"""Owner rows, privacy flags and owner-contact links expire with what needs them (#14 item 9).

They used to outlive everything else, even under ``ephemeral``: the pseudonym, its age
answer and consent decisions stayed forever after the last job and session were gone.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from reelvault.accounts.keys import create_api_key, revoke_api_key
from reelvault.accounts.owners import webhook_secret
from reelvault.accounts.sessions import SESSION_LIFETIME, start_session
from reelvault.db.dsr_models import OwnerContact, OwnerPrivacy
from reelvault.db.models import ApiKey, BrowserSession, Owner
from reelvault.db.privacy_models import ConsentRecord
from reelvault.jobs.submission import submit_job
from reelvault.privacy import age, consent
from reelvault.privacy.consent import ANALYTICS, MARKETING
from reelvault.privacy.restrict import set_restricted
from reelvault.privacy.sweeper import sweep
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock
from reelvault.types import LOCAL_OWNER, ObjectId

from ..jobs.helpers import fake_request
from .conftest import OpenRuntime

GRACE = timedelta(days=1)
SECOND = timedelta(seconds=1)


def _rows_of(runtime: Runtime, owner_id: str) -> dict[str, int]:
    """How many rows each per-owner table holds for ``owner_id`` (zeros left out)."""
    counts: dict[str, int] = {}
    with runtime.session() as session:
        columns = {
            "owners": Owner.id,
            "owner_privacy": OwnerPrivacy.owner_id,
            "consent_records": ConsentRecord.owner_id,
            "owner_contacts": OwnerContact.owner_id,
            "api_keys": ApiKey.owner_id,
            "browser_sessions": BrowserSession.owner_id,
        }
        for name, column in columns.items():
            count = session.scalar(select(func.count()).where(column == owner_id)) or 0
            if count:
                counts[name] = count
    return counts


def _session_owner(runtime: Runtime) -> str:
    _token, owner_id = start_session(runtime)
    return owner_id


def test_the_grace_policy_option_is_a_day_in_every_builtin_profile(
    open_runtime: OpenRuntime,
) -> None:
    for profile in ("ephemeral", "standard", "library"):
        runtime = open_runtime(profile, name=profile)
        assert runtime.policy.options.idle_owner_grace == GRACE


def test_a_session_owner_goes_a_grace_after_its_session_with_flags_and_consents(
    open_runtime: OpenRuntime, clock: FakeClock
) -> None:
    runtime = open_runtime("ephemeral")
    owner = _session_owner(runtime)
    age.declare_age(runtime, owner, over_minimum_age=False)
    consent.withdraw(runtime, owner, ANALYTICS)
    assert _rows_of(runtime, owner) == {
        "owners": 1,
        "owner_privacy": 1,
        "consent_records": 1,
        "browser_sessions": 1,
    }

    clock.advance(seconds=SESSION_LIFETIME.total_seconds())
    sweep(runtime)  # the session ends here; the owner's grace starts
    clock.advance(seconds=(GRACE - SECOND).total_seconds())
    assert sweep(runtime).owners_deleted == 0
    # While the owner exists, its age answer and its opt-out hold (items 8 and 6).
    assert age.is_under_age(runtime, owner)
    assert not consent.has_consent(runtime, owner, ANALYTICS)

    clock.advance(seconds=2)
    report = sweep(runtime)
    assert report.owners_deleted == 1
    assert _rows_of(runtime, owner) == {}


def test_a_key_holder_stays_while_the_key_is_live_and_goes_after_revocation(
    open_runtime: OpenRuntime, clock: FakeClock
) -> None:
    runtime = open_runtime("ephemeral")
    key = create_api_key(runtime, name="holder")
    owner = key.owner_id
    age.declare_age(runtime, owner, over_minimum_age=True)
    consent.withdraw(runtime, owner, ANALYTICS)
    secret_object = _webhook_secret_object(runtime, owner)
    for _ in range(3):
        clock.advance(days=400)
        sweep(runtime)
    assert _rows_of(runtime, owner) == {
        "owners": 1,
        "owner_privacy": 1,
        "consent_records": 1,
        "api_keys": 1,
    }
    assert not consent.has_consent(runtime, owner, ANALYTICS)  # the opt-out never lapsed

    revoke_api_key(runtime, key.id)
    sweep(runtime)
    clock.advance(seconds=(GRACE - SECOND).total_seconds())
    sweep(runtime)
    assert "owners" in _rows_of(runtime, owner)
    clock.advance(seconds=2)
    sweep(runtime)
    assert _rows_of(runtime, owner) == {}
    assert secret_object not in runtime.vault.object_ids()  # the webhook secret is shredded


def _webhook_secret_object(runtime: Runtime, owner_id: str) -> ObjectId:
    webhook_secret(runtime, owner_id)
    with runtime.session() as session:
        owner = session.get(Owner, owner_id)
        assert owner is not None and owner.webhook_secret_object
        return ObjectId(owner.webhook_secret_object)


def test_a_revoked_key_goes_after_the_grace_while_its_owner_stays(
    open_runtime: OpenRuntime, clock: FakeClock
) -> None:
    runtime = open_runtime("standard")
    kept = create_api_key(runtime, name="kept")
    old = create_api_key(runtime, name="old", owner_id=kept.owner_id)
    revoke_api_key(runtime, old.id)
    clock.advance(seconds=(GRACE - SECOND).total_seconds())
    assert sweep(runtime).owners_deleted == 0
    assert _rows_of(runtime, kept.owner_id)["api_keys"] == 2
    clock.advance(seconds=2)
    sweep(runtime)
    with runtime.session() as session:
        assert list(session.scalars(select(ApiKey.id))) == [kept.id]
        assert session.get(Owner, kept.owner_id) is not None


def test_an_owner_needed_again_keeps_everything(
    open_runtime: OpenRuntime, clock: FakeClock
) -> None:
    runtime = open_runtime("standard")
    first = create_api_key(runtime, name="first")
    owner = first.owner_id
    consent.withdraw(runtime, owner, ANALYTICS)
    revoke_api_key(runtime, first.id)
    sweep(runtime)  # unneeded: the grace starts
    clock.advance(hours=12)
    create_api_key(runtime, name="second", owner_id=owner)  # needed again
    sweep(runtime)
    clock.advance(days=30)
    sweep(runtime)
    assert _rows_of(runtime, owner)["owners"] == 1
    assert not consent.has_consent(runtime, owner, ANALYTICS)


def test_a_job_a_restriction_or_a_pending_request_keeps_the_owner(
    open_runtime: OpenRuntime, clock: FakeClock
) -> None:
    runtime = open_runtime("library")  # job metadata kept until deleted
    with_job = _session_owner(runtime)
    submit_job(runtime, fake_request(owner_id=with_job))
    restricted = _session_owner(runtime)
    set_restricted(runtime, restricted, True)
    neither = _session_owner(runtime)
    consent.withdraw(runtime, neither, ANALYTICS)
    for _ in range(4):
        clock.advance(days=31)
        sweep(runtime)
    assert _rows_of(runtime, with_job) == {"owners": 1}
    assert _rows_of(runtime, restricted) == {"owners": 1, "owner_privacy": 1}
    assert _rows_of(runtime, neither) == {}


def test_the_local_owner_is_never_idle(open_runtime: OpenRuntime, clock: FakeClock) -> None:
    runtime = open_runtime("ephemeral")
    _webhook_secret_object(runtime, LOCAL_OWNER)
    consent.withdraw(runtime, LOCAL_OWNER, ANALYTICS)
    for _ in range(3):
        clock.advance(days=400)
        sweep(runtime)
    assert _rows_of(runtime, LOCAL_OWNER) == {"owners": 1, "consent_records": 1}


def test_dangling_links_and_rows_of_owners_that_no_longer_exist_go(
    open_runtime: OpenRuntime, clock: FakeClock
) -> None:
    runtime = open_runtime("standard")
    ghost = "own_ghost"  # rows keyed by an owner id whose owner row is gone
    consent.withdraw(runtime, ghost, ANALYTICS)
    consent.withdraw(runtime, ghost, MARKETING)
    with runtime.session() as session:
        session.add(
            OwnerPrivacy(owner_id=ghost, under_age=True, age_declared=True, updated_at=clock())
        )
        live = _session_owner(runtime)
        session.add(OwnerContact(owner_id=live, subscription_id="sub_gone", created_at=clock()))
    sweep(runtime)
    assert _rows_of(runtime, live).get("owner_contacts") is None  # its signup is gone
    clock.advance(seconds=(GRACE - SECOND).total_seconds())
    sweep(runtime)
    assert _rows_of(runtime, ghost) == {"owner_privacy": 1, "consent_records": 2}
    clock.advance(seconds=2)
    sweep(runtime)
    assert _rows_of(runtime, ghost) == {}
