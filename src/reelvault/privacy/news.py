"""News to notify-me signups, with consent decided at send time, message by message.

An address receives a message only if, at the moment that message is about to leave:

* it has a confirmed signup (the mailbox owner followed the double opt-in link), and
* every owner who made a confirmed signup of it still allows it: not declared under the
  minimum age, and ``marketing`` not withdrawn as their newest decision (withdrawing it and
  objecting both record that withdrawal); where the policy offers marketing, it must be
  granted (confirming a signup grants it).

A signup made without an owner (by the operator) has only its confirmation to go by.
Nothing is cached: a sending run that takes an hour honours a withdrawal made during it.
One address gets one message however many owners signed it up, and every message
carries its RFC 8058 one-click unsubscribe. Sending is paced (``notify_send_per_minute``)
and the audit log gets the number of messages, never an address.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelvault.db.privacy_models import NotifySubscription
from reelvault.errors import ValidationError
from reelvault.policy.model import RetentionKind
from reelvault.privacy import age, audit_log, consent, notify
from reelvault.privacy.notify import CONFIRMED, Mailer, SmtpSettings
from reelvault.runtime import Runtime
from reelvault.types import DataClass, ObjectId

MAX_SUBJECT = 200
MAX_BODY = 100_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_subject(subject: str) -> str:
    """A one-line subject: no line breaks (they would start new headers), not empty."""
    text = subject.strip()
    if not text or len(text) > MAX_SUBJECT or _CONTROL.search(text):
        raise ValidationError(
            f"the subject must be one line of 1 to {MAX_SUBJECT} characters", param="subject"
        )
    return text


def check_body(body: str) -> str:
    if not body.strip() or len(body) > MAX_BODY:
        raise ValidationError(
            f"the body must hold some text, at most {MAX_BODY} characters", param="body"
        )
    return body


def owner_allows_news(runtime: Runtime, session: Session, owner_id: str) -> bool:
    """Whether ``owner_id`` may be sent news now (read from the database, no cache)."""
    if age.is_under_age(runtime, owner_id, session=session):
        return False
    if consent.has_consent(runtime, owner_id, consent.MARKETING, session=session):
        return True
    if consent.is_offered(runtime.policy, consent.MARKETING):
        return False  # marketing is a purpose here, and it is not granted
    # Notify-me is not called marketing by this policy: the confirmed signup is the consent,
    # and only a withdrawal (or an objection, which records one) takes it back.
    decisions = [d for d in consent.history(runtime, owner_id) if d.purpose == consent.MARKETING]
    return not decisions or decisions[-1].granted


def _confirmed(session: Session, lookup: str) -> list[NotifySubscription]:
    return list(
        session.scalars(
            select(NotifySubscription)
            .where(
                NotifySubscription.address_hash == lookup,
                NotifySubscription.status == CONFIRMED,
            )
            .order_by(NotifySubscription.created_at, NotifySubscription.id)
        )
    )


def _may_receive(runtime: Runtime, session: Session, rows: list[NotifySubscription]) -> bool:
    if not rows:
        return False
    owners = notify.owners_of(session, [row.id for row in rows])
    return all(owner_allows_news(runtime, session, owner_id) for owner_id in owners)


def _addresses(runtime: Runtime) -> list[str]:
    """Keyed hashes of the addresses with a confirmed signup, oldest signup first."""
    with runtime.session() as session:
        hashes = session.scalars(
            select(NotifySubscription.address_hash)
            .where(NotifySubscription.status == CONFIRMED)
            .order_by(NotifySubscription.created_at, NotifySubscription.id)
        )
        return list(dict.fromkeys(hashes))


def audience(runtime: Runtime) -> int:
    """How many addresses would receive news if it were sent now (a number, no address)."""
    total = 0
    for lookup in _addresses(runtime):
        with runtime.session() as session:
            total += _may_receive(runtime, session, _confirmed(session, lookup))
    return total


class Throttle:
    """At most ``per_minute`` messages a minute, evenly spaced."""

    def __init__(
        self,
        per_minute: int,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 60.0 / per_minute
        self._sleep = sleep
        self._monotonic = monotonic
        self._last: float | None = None

    def wait(self) -> None:
        """Sleep until the next message may leave."""
        if self._last is not None:
            remaining = self._last + self.interval - self._monotonic()
            if remaining > 0:
                self._sleep(remaining)

    def sent(self) -> None:
        self._last = self._monotonic()


def send_news(
    runtime: Runtime,
    smtp: SmtpSettings,
    *,
    subject: str,
    body: str,
    final: bool = False,
    throttle: Throttle | None = None,
) -> int:
    """Send one message to every address allowed to receive it now; returns how many.

    ``final=True`` means the news people signed up for has been delivered (e.g. "we are
    open"): the addresses that got it are then shredded, as the purpose is fulfilled.
    Otherwise, under an ``until_resolved_plus`` contact retention, the grace period starts
    now. Addresses not allowed to receive it are skipped and left as they are.
    """
    subject, body = check_subject(subject), check_body(body)
    throttle = throttle or Throttle(runtime.settings.notify_send_per_minute)
    retention = runtime.policy.rule(DataClass.CONTACT).retention
    sent = 0
    with contextlib.ExitStack() as stack:
        mailer: Mailer | None = None
        for lookup in _addresses(runtime):
            throttle.wait()
            # The consent check, right before this message leaves.
            with runtime.session() as session:
                rows = _confirmed(session, lookup)
                if not _may_receive(runtime, session, rows):
                    continue
                first, ids = rows[0], [row.id for row in rows]
                object_id = ObjectId(first.address_object)
            if mailer is None:  # connect only once there is something to send
                mailer = stack.enter_context(Mailer(smtp))
            now = runtime.clock()
            address = runtime.vault.read_bytes(object_id).decode("utf-8")
            unsubscribe = notify.unsubscribe_token(runtime, ids[0])
            mailer.send(notify.compose(smtp, address, subject, body, unsubscribe, now))
            throttle.sent()
            sent += 1
            if final:
                notify.delete_address(runtime, lookup)
                continue
            with runtime.session() as session:
                for row in _confirmed(session, lookup):
                    row.notified_at = now
                    if retention.kind is RetentionKind.UNTIL_RESOLVED:
                        assert retention.duration is not None
                        row.expires_at = now + retention.duration
    audit_log.record(runtime, "notify.sent", messages=sent, final=final)
    return sent


__all__ = [
    "MAX_BODY",
    "MAX_SUBJECT",
    "Throttle",
    "audience",
    "check_body",
    "check_subject",
    "owner_allows_news",
    "send_news",
]
