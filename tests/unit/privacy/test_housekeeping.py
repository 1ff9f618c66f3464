"""The privacy tables follow retention too: one call for the sweeper empties what expired."""

from __future__ import annotations

from datetime import timedelta

from reelvault.accounts import billing
from reelvault.db.billing_models import BillingUsage
from reelvault.moderation import Decision, Verdict
from reelvault.privacy import analytics, attempts, audit_log, consent, mail_budget, moderation_stats
from reelvault.privacy.housekeeping import sweep_privacy_records
from reelvault.privacy.pseudonyms import ip_pseudonym
from reelvault.privacy.secret_store import secret_names
from reelvault.testing import FakeClock

from .conftest import OpenRuntime


def test_everything_expired_is_removed_and_counted(
    open_runtime: OpenRuntime, clock: FakeClock
) -> None:
    runtime = open_runtime("standard")
    consent.grant(runtime, "own_1", consent.ANALYTICS)
    consent.withdraw(runtime, "own_1", consent.ANALYTICS)  # in force: kept (test_consent)
    analytics.record_job_outcome(
        runtime, owner_id="own_2", feature="dance", engine="puppet",
        width=720, height=1280, seconds=8.0, outcome="completed",
    )  # fmt: skip
    blocked = Decision(Verdict.BLOCK, ("minors",), ("rules",))
    moderation_stats.record_decision(runtime, owner_id="own_2", stage="prompt", decision=blocked)
    audit_log.record(runtime, "retention.sweep", objects_shredded=1)
    ip_pseudonym(runtime, "198.51.100.4")
    mail_budget.reserve(runtime, "someone@example.org")
    attempts.bump(runtime, "login", "account:digest", timedelta(hours=1), sliding=True)
    billing.record_event(runtime, "evt_1", clock(), None)  # a handled Stripe event's id
    with runtime.session() as session:  # a month of plan usage
        session.add(
            BillingUsage(
                owner_id="own_1",
                month="2026-01",
                video_seconds=4.0,
                expires_at=clock() + timedelta(days=60),
            )
        )
    assert sweep_privacy_records(runtime).total == 0

    clock.advance(days=800)  # past every retention in the standard profile
    report = sweep_privacy_records(runtime)
    assert report.as_fields() == {
        "consent_records_deleted": 1,
        "usage_counters_deleted": 1,
        "moderation_counters_deleted": 1,
        "contacts_shredded": 0,
        "audit_entries_pruned": 1,
        "secrets_destroyed": 1,
        "mail_budget_deleted": 1,
        "attempt_counters_deleted": 1,
        "billing_records_deleted": 2,
    }
    assert secret_names(runtime, "ip-salt/") == []
    assert audit_log.verify(runtime).ok
    assert sweep_privacy_records(runtime).total == 0  # idempotent
