"""Retention for the privacy tables themselves, one call for the sweeper.

Consent records, usage and moderation counters, notify-me signups, audit entries and the IP salts
each expire per the policy (or, for salts, at the end of their day); the outgoing-mail
budget's records when they leave its one-hour window; sign-in and sign-up attempt
counters when their window ends; plan usage of months long past
and the ids of handled Stripe events when their retention ends.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from reelvault.accounts import billing
from reelvault.privacy import (
    analytics,
    attempts,
    audit_log,
    consent,
    mail_budget,
    moderation_stats,
    notify,
)
from reelvault.privacy.secret_store import destroy_expired_secrets
from reelvault.runtime import Runtime


@dataclass
class PrivacySweepReport:
    """Counts only."""

    consent_records_deleted: int = 0
    usage_counters_deleted: int = 0
    moderation_counters_deleted: int = 0
    contacts_shredded: int = 0
    audit_entries_pruned: int = 0
    secrets_destroyed: int = 0
    mail_budget_deleted: int = 0
    attempt_counters_deleted: int = 0
    billing_records_deleted: int = 0

    @property
    def total(self) -> int:
        return sum(asdict(self).values())

    def as_fields(self) -> dict[str, int]:
        return asdict(self)


def sweep_privacy_records(runtime: Runtime) -> PrivacySweepReport:
    """Delete every privacy record past its expiry. Idempotent."""
    return PrivacySweepReport(
        consent_records_deleted=consent.delete_expired(runtime),
        usage_counters_deleted=analytics.delete_expired(runtime),
        moderation_counters_deleted=moderation_stats.delete_expired(runtime),
        contacts_shredded=notify.delete_expired(runtime),
        audit_entries_pruned=audit_log.prune_expired(runtime),
        secrets_destroyed=destroy_expired_secrets(runtime),
        mail_budget_deleted=mail_budget.delete_expired(runtime),
        attempt_counters_deleted=attempts.delete_expired(runtime),
        billing_records_deleted=billing.delete_expired(runtime),
    )


__all__ = ["PrivacySweepReport", "sweep_privacy_records"]
