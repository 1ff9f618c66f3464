"""The outgoing e-mail budget: how many confirmation e-mails may leave per hour.

A sign-up form mails whatever address it is given, so without a budget anyone can make
the deployment spam a stranger (one mail per fresh session, as a probe found) or burn the
operator's sender reputation. Two limits, both from the settings and both over a sliding
hour:

* ``email_budget_per_hour``: for the whole deployment;
* ``email_budget_per_address_per_hour``: per recipient.

The count lives in the database (``outgoing_mail``), so every process of a scale-out
deployment shares it. A row holds the kind of mail, when it left and a keyed hash of the
recipient under a key of its own kept in the vault; never an address. Rows expire when
they leave the window and the sweeper deletes them.

Over budget, :func:`reserve` raises :class:`RateLimitedError` (HTTP 429 with
``Retry-After``) before anything is stored or sent.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelvault.db.privacy_models import OutgoingMail
from reelvault.errors import RateLimitedError
from reelvault.privacy.expiry import delete_expired_rows
from reelvault.privacy.secret_store import get_secret
from reelvault.runtime import Runtime
from reelvault.types import DataClass

WINDOW = timedelta(hours=1)
RECIPIENT_KEY_NAME = "mail-budget"
NOTIFY_CONFIRMATION = "notify.confirm"


def recipient_hash(runtime: Runtime, address: str) -> str:
    """Keyed hash of a (normalised) address; the same address in any letter case matches."""
    key = get_secret(runtime, RECIPIENT_KEY_NAME)
    return hmac.new(key, address.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()


def _retry_after(oldest: datetime | None, now: datetime) -> int:
    """Seconds until the oldest counted mail leaves the window (at least 1)."""
    if oldest is None:
        return 1
    return max(1, math.ceil((oldest + WINDOW - now).total_seconds()))


def _window_count(
    session: Session, since: datetime, recipient: str | None
) -> tuple[int, datetime | None]:
    """(mails in the window, when the oldest of them left), overall or to one recipient."""
    query = select(func.count(), func.min(OutgoingMail.sent_at)).where(OutgoingMail.sent_at > since)
    if recipient is not None:
        query = query.where(OutgoingMail.recipient_hash == recipient)
    count, oldest = session.execute(query).one()
    return int(count or 0), oldest


def reserve(runtime: Runtime, address: str, *, kind: str = NOTIFY_CONFIRMATION) -> None:
    """Count one e-mail to ``address`` against the budget, or raise 429 and count nothing.

    Call it before storing or sending anything for the request. A reservation is kept even
    when the SMTP server then refuses the message: attempts are what the budget limits.
    """
    settings = runtime.settings
    overall, per_address = (
        settings.email_budget_per_hour,
        settings.email_budget_per_address_per_hour,
    )
    recipient = recipient_hash(runtime, address)
    now = runtime.clock()
    since = now - WINDOW
    with runtime.session() as session:
        waits: list[int] = []
        if overall > 0:
            count, oldest = _window_count(session, since, None)
            if count >= overall:
                waits.append(_retry_after(oldest, now))
        if per_address > 0:
            count, oldest = _window_count(session, since, recipient)
            if count >= per_address:
                waits.append(_retry_after(oldest, now))
        if waits:
            wait = max(waits)
            # Says which budget, never whose: the address is not echoed.
            raise RateLimitedError(
                f"too many e-mails sent recently; retry in {wait} s", retry_after=wait
            )
        session.add(
            OutgoingMail(
                kind=kind,
                recipient_hash=recipient,
                sent_at=now,
                data_class=DataClass.CONTACT.value,
                expires_at=now + WINDOW,
            )
        )


def delete_expired(runtime: Runtime) -> int:
    """Forget mails that left the window (run by the sweeper)."""
    return delete_expired_rows(runtime, OutgoingMail)


__all__ = [
    "NOTIFY_CONFIRMATION",
    "RECIPIENT_KEY_NAME",
    "WINDOW",
    "delete_expired",
    "recipient_hash",
    "reserve",
]
