"""Plans and their limits, checked when a job is submitted.

Which plan an owner is on: an account's is the one its subscription bought (kept by
:mod:`reelvault.accounts.billing`), or ``billing_default_plan``; an owner that is not an
account (an API key made by the CLI, an anonymous studio session) is on
``billing_guest_plan``; the local single user (keyless mode, the CLI) is never limited,
and nobody is when no plans are configured (the embedded default).

Seconds are counted when a job is accepted, with an update that adds them only while
the month's total stays within the plan, so two submissions at once cannot both take
the last seconds; a job that never ran (it failed, or was cancelled before it started)
gives its seconds back.

Concurrent jobs are counted from the job table twice: when the job is submitted (a quick
refusal, before its uploads are processed), and again by :class:`PlanAdmission` in the
transaction that stores it, under a per-owner lock (:func:`reelvault.db.locks.lock_keys`)
taken before counting, so that N submissions at the same instant, on one API node or on
several, cannot all pass a limit of one: the first stored wins, the others get 429.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, case, func, select, update
from sqlalchemy.exc import IntegrityError as DbIntegrityError
from sqlalchemy.orm import Session

from reelvault.config import Settings
from reelvault.config_billing import Plan, parse_resolution
from reelvault.db.billing_models import BillingAccount, BillingUsage
from reelvault.db.locks import lock_keys
from reelvault.db.models import Account, Job
from reelvault.errors import ConcurrentJobsError, PlanResolutionError, QuotaExceededError
from reelvault.runtime import Runtime
from reelvault.types import LOCAL_OWNER, JobStatus

ACTIVE = (JobStatus.QUEUED.value, JobStatus.IN_PROGRESS.value)
CONCURRENT_RETRY_AFTER_S = 10
"""What Retry-After says when too many jobs run: a guess, as jobs take seconds to minutes."""
UPGRADE_HINT = (
    "see the plans at GET /api/v1/billing/plans and upgrade with POST /api/v1/billing/checkout"
)
SIGN_UP_HINT = "sign up for an account (POST /api/v1/account/signup) to choose a bigger plan"


@dataclass(frozen=True)
class OwnerPlan:
    name: str
    plan: Plan
    is_account: bool
    subscription_status: str | None = None

    @property
    def hint(self) -> str:
        return UPGRADE_HINT if self.is_account else SIGN_UP_HINT

    @property
    def label(self) -> str:
        return self.plan.title or self.name


@dataclass(frozen=True)
class Reservation:
    """Seconds taken from an owner's month; :func:`release` gives them back."""

    owner_id: str
    month: str
    seconds: float


def billing_enabled(settings: Settings) -> bool:
    return bool(settings.billing_plans)


def month_of(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m")


def _month_after_next(when: datetime) -> datetime:
    month = when.month + 2
    return datetime(when.year + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=UTC)


def plan_of(runtime: Runtime, owner_id: str) -> OwnerPlan | None:
    """The owner's plan, or None where nothing limits them."""
    settings = runtime.settings
    if not billing_enabled(settings) or owner_id == LOCAL_OWNER:
        return None
    with runtime.session() as session:
        account = session.scalar(select(Account).where(Account.owner_id == owner_id))
        account_id = account.id if account is not None else None
        overrides = dict(account.quota or {}) if account is not None else {}
        row = session.get(BillingAccount, account_id) if account_id else None
        status = row.subscription_status if row is not None else None
        bought = row.plan if row is not None else None
    if account_id is None:
        name = settings.billing_guest_plan or settings.billing_default_plan
    elif bought in settings.billing_plans:
        name = bought
    else:  # no subscription, or the operator has since removed the plan
        name = settings.billing_default_plan
    plan = _with_overrides(settings.billing_plans[name], overrides)
    return OwnerPlan(name, plan, account_id is not None, status)


def _with_overrides(plan: Plan, overrides: dict[str, int]) -> Plan:
    """The plan with an admin's per-account overrides (:mod:`.quota_overrides`) in place:
    a number replaces the plan's limit; ``max_resolution`` there is the longest side."""
    if not overrides:
        return plan
    changed: dict[str, object] = {
        name: overrides[name]
        for name in ("video_seconds_per_month", "concurrent_jobs")
        if name in overrides
    }
    if "max_resolution" in overrides:
        side = overrides["max_resolution"]
        changed["max_resolution"] = f"{side}x{side}"
    return plan.model_copy(update=changed)


def _check_resolution(owner: OwnerPlan, width: int, height: int) -> None:
    if owner.plan.max_resolution is None:
        return
    most_w, most_h = parse_resolution(owner.plan.max_resolution)
    if width * height > most_w * most_h or max(width, height) > max(most_w, most_h):
        raise PlanResolutionError(
            f"{width}x{height} is larger than the {owner.label} plan allows "
            f"({owner.plan.max_resolution}): ask for a smaller size, or {owner.hint}",
            param="size",
        )


def active_jobs(session: Session | Connection, owner_id: str) -> int:
    found = session.scalar(
        select(func.count()).where(Job.owner_id == owner_id, Job.status.in_(ACTIVE))
    )
    return int(found or 0)


def _too_many(owner: OwnerPlan, limit: int) -> ConcurrentJobsError:
    return ConcurrentJobsError(
        f"the {owner.label} plan runs {limit} job(s) at a time: wait for one to finish "
        f"(retry in {CONCURRENT_RETRY_AFTER_S} s), or {owner.hint}",
        retry_after=CONCURRENT_RETRY_AFTER_S,
    )


def _check_concurrency(session: Session, owner: OwnerPlan, owner_id: str) -> None:
    limit = owner.plan.concurrent_jobs
    if limit is not None and active_jobs(session, owner_id) >= limit:
        raise _too_many(owner, limit)


class PlanAdmission:
    """The plans' jobs-at-once limit, decided in the transaction that stores the jobs
    (the jobs layer's ``admission`` hook; see the module text)."""

    def refusals(
        self, runtime: Runtime, connection: Connection, owner_ids: Sequence[str]
    ) -> list[Exception | None]:
        plans = {owner_id: plan_of(runtime, owner_id) for owner_id in set(owner_ids)}
        limited = {
            owner_id: (owner, owner.plan.concurrent_jobs)
            for owner_id, owner in plans.items()
            if owner is not None and owner.plan.concurrent_jobs is not None
        }
        if not limited:
            return [None] * len(owner_ids)
        lock_keys(connection, ("jobs-at-once:" + owner_id for owner_id in limited))
        room = {
            owner_id: limit - active_jobs(connection, owner_id)
            for owner_id, (_owner, limit) in limited.items()
        }
        answers: list[Exception | None] = []
        for owner_id in owner_ids:  # in the batch's order: the first come are stored
            if owner_id not in limited:
                answers.append(None)
                continue
            owner, limit = limited[owner_id]
            answers.append(None if room[owner_id] > 0 else _too_many(owner, limit))
            room[owner_id] -= 1
        return answers


def _take_seconds(
    session: Session, owner: OwnerPlan, owner_id: str, month: str, seconds: float, now: datetime
) -> None:
    where = (BillingUsage.owner_id == owner_id, BillingUsage.month == month)
    if session.get(BillingUsage, (owner_id, month)) is None:
        try:
            with session.begin_nested():
                session.add(
                    BillingUsage(
                        owner_id=owner_id,
                        month=month,
                        video_seconds=0.0,
                        expires_at=_month_after_next(now),
                    )
                )
        except DbIntegrityError:  # another request made the month's row first
            pass
    limit = owner.plan.video_seconds_per_month
    statement = update(BillingUsage).where(*where)
    if limit is not None:
        statement = statement.where(BillingUsage.video_seconds + seconds <= limit)
    result = session.execute(statement.values(video_seconds=BillingUsage.video_seconds + seconds))
    if limit is not None and not getattr(result, "rowcount", 0):
        used = session.scalar(select(BillingUsage.video_seconds).where(*where)) or 0.0
        left = max(0.0, limit - used)
        raise QuotaExceededError(
            f"the {owner.label} plan includes {_fmt(limit)} s of video a month and "
            f"{_fmt(left)} s are left this month, fewer than the {_fmt(seconds)} s asked "
            f"for: ask for a shorter video, wait for next month, or {owner.hint}",
            param="seconds",
        )


def _fmt(seconds: float) -> str:
    return str(int(seconds)) if seconds == math.floor(seconds) else f"{seconds:.1f}"


def admit(
    runtime: Runtime, owner_id: str, *, width: int, height: int, seconds: float
) -> Reservation | None:
    """Check a job against the owner's plan and take its seconds from this month.

    Raises :class:`PlanResolutionError` (402), :class:`ConcurrentJobsError` (429) or
    :class:`QuotaExceededError` (402). None where no plan limits the owner.
    """
    owner = plan_of(runtime, owner_id)
    if owner is None:
        return None
    _check_resolution(owner, width, height)
    now = runtime.clock()
    month = month_of(now)
    with runtime.session() as session:
        _check_concurrency(session, owner, owner_id)
        _take_seconds(session, owner, owner_id, month, float(seconds), now)
    return Reservation(owner_id, month, float(seconds))


def release(runtime: Runtime, reservation: Reservation | None) -> None:
    """Give a reservation's seconds back (the job was not stored after all)."""
    if reservation is None:
        return
    with runtime.session() as session:
        _give_back(session, reservation.owner_id, reservation.month, reservation.seconds)


def _give_back(session: Session, owner_id: str, month: str, seconds: float) -> None:
    # One statement, so a refund racing a submission loses neither.
    left = BillingUsage.video_seconds - seconds
    session.execute(
        update(BillingUsage)
        .where(BillingUsage.owner_id == owner_id, BillingUsage.month == month)
        .values(video_seconds=case((left < 0, 0.0), else_=left))
    )


def refund_unrun_job(runtime: Runtime, session: Session, job: Job) -> None:
    """A job-end hook: a job that failed, or was cancelled before it started, gives its
    seconds back to the month it was submitted in (a finished video keeps them)."""
    if not billing_enabled(runtime.settings) or job.owner_id == LOCAL_OWNER:
        return
    unrun = job.status == JobStatus.FAILED.value or (
        job.status == JobStatus.CANCELLED.value and job.started_at is None
    )
    if unrun:
        _give_back(session, job.owner_id, month_of(job.created_at), float(job.seconds))


def seconds_used(runtime: Runtime, owner_id: str, month: str) -> float:
    with runtime.session() as session:
        used = session.scalar(
            select(BillingUsage.video_seconds).where(
                BillingUsage.owner_id == owner_id, BillingUsage.month == month
            )
        )
    return float(used or 0.0)


def count_active_jobs(runtime: Runtime, owner_id: str) -> int:
    with runtime.session() as session:
        return active_jobs(session, owner_id)


__all__ = [
    "CONCURRENT_RETRY_AFTER_S",
    "OwnerPlan",
    "PlanAdmission",
    "Reservation",
    "admit",
    "billing_enabled",
    "count_active_jobs",
    "month_of",
    "plan_of",
    "refund_unrun_job",
    "release",
    "seconds_used",
]
