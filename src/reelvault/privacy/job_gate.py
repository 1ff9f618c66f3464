"""How the privacy layer takes part in every job: the gate and the job-end hooks.

The jobs layer sits below this one and asks through the typed seams of
:class:`reelvault.runtime.JobHooks`; :func:`privacy_job_hooks` is what the composition
root (:mod:`reelvault.app.compose`) hands it. Each call goes through the module that
keeps the promise at call time, so the privacy matrix's mutation check, which swaps
those functions, reaches every job.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy.orm import Session

from reelvault.moderation import Decision
from reelvault.privacy import adults, age, analytics, consent, moderation_stats, redact, restrict
from reelvault.runtime import JobHooks, Runtime


class PrivacyJobGate:
    """Restriction (GDPR art. 18), provider consent with the age gate, prompt redaction,
    the likeness affirmation in the consent ledger, moderation decisions counted."""

    def restriction_refusals(
        self, runtime: Runtime, owner_ids: Collection[str]
    ) -> Mapping[str, Exception]:
        return restrict.restriction_refusals(runtime, owner_ids)

    def provider_consent(self, runtime: Runtime, owner_id: str, provider: str) -> bool:
        purpose = consent.provider_purpose(provider)
        adults.refuse_under_age(runtime, owner_id, purpose)  # raises for the under-age
        return consent.has_consent(runtime, owner_id, purpose)

    def redact_retained_prompt(self, text: str) -> str:
        return redact.redact(text)

    def affirm_likeness(self, runtime: Runtime, owner_id: str) -> None:
        consent.affirm_likeness(runtime, owner_id)

    def count_moderation(
        self, runtime: Runtime, owner_id: str, stage: str, decision: Decision
    ) -> None:
        moderation_stats.record_decision(runtime, owner_id=owner_id, stage=stage, decision=decision)


def count_finished_job(runtime: Runtime, session: Session, job: Any) -> object:
    """Anonymous usage counters (only for owners who did not opt out)."""
    return analytics.record_job_end(runtime, session, job)


def keep_nothing_of_the_under_age(runtime: Runtime, session: Session, job: Any) -> object:
    """An under-age owner's job keeps nothing personal beyond its end."""
    return age.job_end_hook(runtime, session, job)


def privacy_job_hooks() -> JobHooks:
    return JobHooks(
        gate=PrivacyJobGate(),
        end_hooks=(count_finished_job, keep_nothing_of_the_under_age),
    )


__all__ = [
    "PrivacyJobGate",
    "count_finished_job",
    "keep_nothing_of_the_under_age",
    "privacy_job_hooks",
]
