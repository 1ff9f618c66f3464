"""Naive versions of enforcing functions, for mutations that a no-op cannot express.

Each is what the function would be without the one thing that keeps a promise: a query
without its owner filter, a split that keeps nothing apart. The mutation plugin rebinds
every reference to the real function to one of these for the length of a run
(``mutation: "with: tests.privacy.mutants:NAME"`` in docs/privacy-matrix.yaml).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, false, literal, select, true, update

from reelvault.db.dsr_models import OwnerPrivacy
from reelvault.db.models import Owner, StoredObject
from reelvault.db.privacy_models import ConsentRecord, NotifySubscription
from reelvault.jobs import objects
from reelvault.privacy import audit_log, dsr, idle_owners, notify
from reelvault.privacy.housekeeping import PrivacySweepReport
from reelvault.types import DataClass

# Kept in a dict: the plugin rebinds module attributes that are the real function,
# and these must stay the real ones for the naive versions to call.
_REAL: dict[str, Any] = {
    "compose": notify.compose,
    "new_request_row": dsr._new_row,
    "verify_chain": audit_log.verify,
    "needed_owner_ids": idle_owners.needed_owner_ids,
    "mark_idle_owners": idle_owners.mark_idle_owners,
}


def own_signup_of_anyone(lookup: str, owner_id: str | None) -> Select[NotifySubscription]:
    """Every signup of the address, whoever made it (linking by address)."""
    return select(NotifySubscription).where(NotifySubscription.address_hash == lookup)


def nobody_restricted() -> Select[str]:
    return select(OwnerPrivacy.owner_id).where(false())


def split_nothing(model: Any, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every parameter stays in the job's row, free text included."""
    return dict(values), {}


def no_privacy_records_swept(runtime: Any) -> PrivacySweepReport:
    return PrivacySweepReport()


def compose_without_unsubscribe(*args: Any, **kwargs: Any) -> EmailMessage:
    message = _REAL["compose"](*args, **kwargs)
    del message["List-Unsubscribe"]
    del message["List-Unsubscribe-Post"]
    return message


@contextlib.contextmanager
def no_native_window() -> Iterator[None]:
    yield


def a_day_of_retention(row: StoredObject, *, policy: Any, now: datetime) -> None:
    """Every object expires a day after it was stored, whatever the policy says."""
    row.expires_with_job, row.expires_at = False, now + timedelta(days=1)


def request_without_due_date(runtime: Any, kind: Any, channel: Any) -> Any:
    """A request row due whenever: created now, due now (no response period)."""
    row = _REAL["new_request_row"](runtime, kind, channel)
    row.due_at = row.created_at
    return row


def verify_that_finds_nothing(runtime: Any, *, expected_head: str | None = None) -> Any:
    """The chain is read and counted, but no problem is ever reported."""
    report = _REAL["verify_chain"](runtime, expected_head=expected_head)
    report.problems.clear()
    return report


def utf8_form_only(text: str) -> frozenset[bytes]:
    """The audit's search without the JSON spellings of a text (escaped quotes, \\u00e9)."""
    return frozenset({text.encode("utf-8")})


def chunks_without_overlap(stream: Any, *, overlap: int, chunk_size: int = 1 << 23) -> Any:
    """Chunks that do not carry the end of the one before: a text cut by a border is lost."""
    offset = 0
    while block := stream.read(chunk_size):
        yield offset, block
        offset += len(block)


def webhook_url_in_the_row(url: str | None) -> tuple[str | None, bytes | None]:
    """The webhook URL kept in plaintext in ``jobs.webhook_url``, as before."""
    return url, None


def plain_address_hash(runtime: Any, address: str) -> str:
    """The lookup key of an e-mail address as the address itself (plaintext in the row)."""
    return address


def only_the_local_owner_is_needed(now: datetime) -> Select[Any]:
    """Owners are deleted as soon as they are idle-marked, jobs, keys and signups or not."""
    return select(literal("local"))


def idle_owners_without_grace(runtime: Any) -> None:
    """The grace is left out: an owner goes at the first pass that finds it unneeded."""
    now = runtime.clock()
    needed = _REAL["needed_owner_ids"](now)
    with runtime.session() as session:
        session.execute(update(Owner).where(Owner.id.not_in(needed)).values(expires_at=now))


def every_expired_consent_record_goes(runtime: Any) -> int:
    """Consent records go at their expiry, the decision in force too (an opt-out lapses)."""
    now = runtime.clock()
    with runtime.session() as session:
        result = session.execute(
            delete(ConsentRecord).where(
                and_(ConsentRecord.expires_at.is_not(None), ConsentRecord.expires_at <= now)
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


def idle_owner_rows_alone(runtime: Any) -> idle_owners.IdleOwnerReport:
    """Idle owner rows deleted, and nothing keyed by them: flags, consents and links stay
    behind (keys and sessions go by their foreign key's ON DELETE CASCADE)."""
    now = runtime.clock()
    report = idle_owners.IdleOwnerReport()
    due = select(Owner.id).where(
        Owner.expires_at <= now, Owner.id.not_in(_REAL["needed_owner_ids"](now))
    )
    with runtime.session() as session:
        result = session.execute(delete(Owner).where(Owner.id.in_(due)))
        report.owners_deleted = int(getattr(result, "rowcount", 0) or 0)
    _REAL["mark_idle_owners"](runtime)
    return report


def uploads_dated_at_submission(data_class: Any, *, policy: Any, now: datetime) -> Any:
    """Every object, uploads too, dated from when it was stored (the submission)."""
    return objects.retention(data_class, policy=policy, now=now)


def upload_expiry_without_dance_window(self: Any, *, job_ended: datetime, dance: bool) -> Any:
    """The upload class's retention for every job: the dance window ignored."""
    return self.expires_at(DataClass.UPLOAD, now=job_ended)


def job_row_by_metadata_only(runtime: Any, job: Any, now: datetime) -> Any:
    """The job row's expiry from its metadata retention alone, whatever objects it holds."""
    return runtime.policy.expires_at(DataClass.JOB_METADATA, now=now)


def hold_forever(runtime: Any, session: Any, job: Any, now: datetime) -> datetime:
    """A report's hold on a video without the abuse-review window's end."""
    return now + timedelta(days=36_500)


def nothing_held(job_id: Any, now: datetime) -> Any:
    """The sweeper's condition without abuse-report holds: every expired row goes."""
    return literal(True)


def any_owners_character(owner_id: str) -> ColumnElement[bool]:
    """A character lookup without its owner filter: everyone's characters match."""
    return true()
