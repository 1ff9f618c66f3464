"""Notify-me: e-mail signup for availability news, double opt-in, one-click unsubscribe.

* The address is stored only encrypted, as a vault object (data class ``contact``); the
  database holds a keyed hash of it (HMAC under a vault-kept key) to find a signup
  again, so a copy of the database alone reveals no address.
* Double opt-in: a signup stays ``pending`` until the link in the confirmation e-mail is
  followed; unconfirmed signups are shredded after :data:`CONFIRMATION_WINDOW`.
* A signup belongs to the owner who asked (linked in ``owner_contacts`` when it is made).
  Another owner signing up the same address gets a signup of their own, with its own
  double opt-in: nothing of the first is revealed, linked, exported or erased through the
  second. Only the mailbox owner following the link makes a signup count.
* Confirmation e-mails draw on the outgoing-mail budget (:mod:`reelvault.privacy.mail_budget`).
* News goes out through :mod:`reelvault.privacy.news`, which checks consent at send time.
* Every message carries RFC 8058 one-click unsubscribe headers (``List-Unsubscribe``
  with an HTTPS link and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``) and the
  link in the text. Unsubscribing is the mailbox owner speaking: it crypto-shreds every
  signup of that address, whoever made it.
* Link tokens are 256-bit values (confirmation: random; unsubscribe: an HMAC of the
  signup id, so the link in every message stays valid); only their SHA-256 is stored.
* Retention of confirmed signups follows the policy's ``contact`` rule; where it is
  ``until_resolved_plus``, the clock starts when the news has been sent.

Nothing here logs an address or puts one in an exception message.
"""

from __future__ import annotations

import base64
import email.policy
import hashlib
import hmac
import re
import secrets
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import quote

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from reelvault.config import Settings
from reelvault.db.dsr_models import OwnerContact
from reelvault.db.privacy_models import NotifySubscription
from reelvault.errors import ConfigError, ValidationError
from reelvault.privacy import age, audit_log, consent, mail_budget
from reelvault.privacy.expiry import delete_expired_rows
from reelvault.privacy.secret_store import get_secret
from reelvault.runtime import Runtime
from reelvault.types import DataClass, ObjectId, new_object_id

CONFIRMATION_WINDOW = timedelta(days=2)
CONFIRM_PATH = "/api/v1/privacy/notify/confirm"
UNSUBSCRIBE_PATH = "/api/v1/privacy/notify/unsubscribe"
LOOKUP_KEY_NAME = "notify-lookup"
PENDING = "pending"
CONFIRMED = "confirmed"
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+\Z"
)


@dataclass(frozen=True)
class SmtpSettings:
    """How to send mail. Built by the caller from the deployment's settings."""

    host: str
    sender: str  # the From address (settings: smtp_from)
    public_base_url: str  # where the links in the messages point, e.g. https://video.example
    port: int = 587
    starttls: bool = True
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0

    def link(self, path: str, token: str) -> str:
        return f"{self.public_base_url.rstrip('/')}{path}?token={quote(token)}"


@dataclass(frozen=True)
class Signup:
    """What :func:`subscribe` did; the API answers the same whatever it was (no probing)."""

    subscription_id: str
    sent: bool  # False when this owner's signup was already confirmed (nothing is sent then)


def normalise_address(address: str) -> str:
    """Trimmed, checked address; raises :class:`ValidationError` without echoing it."""
    text = address.strip()
    if len(text) > 254 or not _ADDRESS.match(text):
        raise ValidationError("not a valid e-mail address", param="email")
    return text


def address_hash(runtime: Runtime, address: str) -> str:
    """Keyed hash for lookup: the same address in any letter case gives the same hash."""
    key = get_secret(runtime, LOOKUP_KEY_NAME)
    normal = normalise_address(address).lower().encode("utf-8")
    return hmac.new(key, normal, hashlib.sha256).hexdigest()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, _token_hash(token)


def unsubscribe_token(runtime: Runtime, subscription_id: str) -> str:
    """The same for every message to one signup, so a link in an old e-mail still works."""
    key = get_secret(runtime, LOOKUP_KEY_NAME)
    digest = hmac.new(key, f"unsubscribe/{subscription_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _check_policy(runtime: Runtime) -> None:
    if not runtime.policy.keeps_beyond_job(DataClass.CONTACT):
        raise ValidationError(
            "this deployment's privacy policy keeps no contact data", param="email"
        )


# -- sending --------------------------------------------------------------------------------


class Mailer:
    """One SMTP connection for a batch of messages."""

    def __init__(self, smtp: SmtpSettings) -> None:
        self.smtp = smtp
        self._client: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        try:
            client = smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=self.smtp.timeout)
            client.ehlo()
            if self.smtp.starttls:
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if self.smtp.username:
                client.login(self.smtp.username, self.smtp.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            raise ConfigError(
                f"cannot reach the SMTP server ({type(exc).__name__}); check the smtp_* settings"
            ) from None
        self._client = client
        return self

    def send(self, message: EmailMessage) -> None:
        assert self._client is not None
        try:
            self._client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise ConfigError(f"the SMTP server refused a message ({type(exc).__name__})") from None

    def __exit__(self, *exc_info: object) -> None:
        if self._client is not None:
            try:
                self._client.quit()
            except (OSError, smtplib.SMTPException):
                self._client.close()


def compose(
    smtp: SmtpSettings, to: str, subject: str, body: str, unsubscribe_with: str, now: datetime
) -> EmailMessage:
    """One message to ``to``, with the RFC 8058 one-click unsubscribe of its signup."""
    unsubscribe = smtp.link(UNSUBSCRIBE_PATH, unsubscribe_with)
    # No header folding: a folded (encoded-word) List-Unsubscribe is useless to mail clients.
    message = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=998))
    message["From"] = smtp.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=smtp.sender.rsplit("@", 1)[-1])
    # RFC 8058: a mail client may unsubscribe with one POST to this link, no page visit.
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(
        f"{body.rstrip()}\n\n--\nTo stop these e-mails and delete your address, open:\n"
        f"{unsubscribe}\n"
    )
    return message


# -- the signup's life ----------------------------------------------------------------------


def _own_signup(lookup: str, owner_id: str | None) -> Select[NotifySubscription]:
    """The caller's own signup for an address: never another owner's (no linking by address)."""
    linked = select(OwnerContact.subscription_id)
    query = select(NotifySubscription).where(NotifySubscription.address_hash == lookup)
    if owner_id is None:  # made without an owner (operator, tests): one not linked to anyone
        return query.where(NotifySubscription.id.not_in(linked))
    return query.where(NotifySubscription.id.in_(linked.where(OwnerContact.owner_id == owner_id)))


def subscribe(
    runtime: Runtime, smtp: SmtpSettings, address: str, *, owner_id: str | None = None
) -> Signup:
    """Store a pending signup of ``owner_id`` and send the confirmation e-mail.

    Only the caller's own signup for the address is looked at: signing up again while it
    is pending sends a fresh link (the old one stops working); once confirmed, nothing is
    sent. A signup of the same address by anyone else is neither found nor touched: this
    one gets its own double opt-in. The e-mail is counted against the outgoing-mail budget
    first (:class:`~reelvault.errors.RateLimitedError` when spent, with nothing stored). If
    it cannot be sent, a new signup is shredded and the error raised: no address is kept
    that was never used.
    """
    _check_policy(runtime)
    address = normalise_address(address)
    lookup = address_hash(runtime, address)
    with runtime.session() as session:
        row = session.scalars(_own_signup(lookup, owner_id)).first()
        if row is not None and row.status == CONFIRMED:
            return Signup(subscription_id=row.id, sent=False)
    mail_budget.reserve(runtime, address)
    now = runtime.clock()
    confirm_token, confirm_hash = _new_token()
    with runtime.session() as session:
        row = session.scalars(_own_signup(lookup, owner_id)).first()
        created = row is None
        if row is None:
            row = NotifySubscription(
                id="sub_" + secrets.token_hex(12),
                address_hash=lookup,
                address_object=new_object_id(),
                status=PENDING,
                policy_version=runtime.policy.version_hash,
                created_at=now,
                data_class=DataClass.CONTACT.value,
            )
            session.add(row)
            if owner_id is not None:
                # The caller's own request, so their export shows it and their erase
                # removes it; it links them to nothing anyone else made.
                session.add(OwnerContact(owner_id=owner_id, subscription_id=row.id, created_at=now))
        unsubscribe = unsubscribe_token(runtime, row.id)
        row.confirm_token_hash = confirm_hash
        row.unsubscribe_token_hash = _token_hash(unsubscribe)
        row.expires_at = now + CONFIRMATION_WINDOW
        subscription_id, object_id = row.id, row.address_object
    if created:
        runtime.vault.put_bytes(address.encode("utf-8"), object_id=ObjectId(object_id))
    body = (
        "Someone (we hope you) asked to be told by e-mail when this service is available.\n"
        "To confirm, open this link:\n"
        f"{smtp.link(CONFIRM_PATH, confirm_token)}\n\n"
        "If it was not you, ignore this message: the address is deleted in "
        f"{CONFIRMATION_WINDOW.days} days without being used."
    )
    try:
        with Mailer(smtp) as mailer:
            mailer.send(
                compose(smtp, address, "Please confirm your e-mail", body, unsubscribe, now)
            )
    except ConfigError:
        if created:
            _delete(runtime, subscription_id)
        raise
    audit_log.record(runtime, "notify.signup")
    return Signup(subscription_id=subscription_id, sent=True)


def owners_of(session: Session, subscription_ids: list[str]) -> list[str]:
    """The owners who made these signups (through the API), each once."""
    if not subscription_ids:
        return []
    return sorted(
        set(
            session.scalars(
                select(OwnerContact.owner_id).where(
                    OwnerContact.subscription_id.in_(subscription_ids)
                )
            )
        )
    )


def confirm(runtime: Runtime, token: str) -> bool:
    """Follow a confirmation link. False for an unknown, used or expired token."""
    now = runtime.clock()
    with runtime.session() as session:
        row = session.scalars(
            select(NotifySubscription).where(
                NotifySubscription.confirm_token_hash == _token_hash(token),
                NotifySubscription.status == PENDING,
            )
        ).first()
        if row is None or (row.expires_at is not None and row.expires_at <= now):
            return False
        row.status = CONFIRMED
        row.confirmed_at = now
        row.confirm_token_hash = None
        row.policy_version = runtime.policy.version_hash
        row.expires_at = runtime.policy.expires_at(DataClass.CONTACT, now=now)
        owners = owners_of(session, [row.id])
        # Following the link is the opt-in to the e-mail the owner asked for; recorded in
        # the consent ledger where the policy calls it marketing, so that withdrawing or
        # objecting there stops it (checked again when news is sent).
        if consent.is_offered(runtime.policy, consent.MARKETING):
            for owner_id in owners:
                if not age.is_under_age(runtime, owner_id, session=session):
                    consent.grant(runtime, owner_id, consent.MARKETING, session=session)
    audit_log.record(runtime, "notify.confirmed")
    return True


def _delete(runtime: Runtime, subscription_id: str) -> bool:
    """Shred one signup's address and delete it, with its owner links."""
    with runtime.session() as session:
        row = session.get(NotifySubscription, subscription_id)
        if row is None:
            return False
        _shred_with_links(runtime, session, row)
        session.delete(row)
    return True


def _shred_with_links(runtime: Runtime, session: Session, row: NotifySubscription) -> None:
    """What goes with a signup: its encrypted address and its owner links."""
    runtime.vault.shred(ObjectId(row.address_object))
    for link in session.scalars(select(OwnerContact).where(OwnerContact.subscription_id == row.id)):
        session.delete(link)


def delete_address(runtime: Runtime, lookup: str) -> int:
    """Shred every signup of one address (by its keyed hash); returns how many."""
    with runtime.session() as session:
        ids = list(
            session.scalars(
                select(NotifySubscription.id).where(NotifySubscription.address_hash == lookup)
            )
        )
    return sum(_delete(runtime, subscription_id) for subscription_id in ids)


def unsubscribe(runtime: Runtime, token: str) -> bool:
    """One-click unsubscribe: shred the address, every signup of it. Idempotent.

    The link reached the mailbox, so whoever follows it speaks for the address: all its
    signups go, whichever owner made them.
    """
    with runtime.session() as session:
        row = session.scalars(
            select(NotifySubscription).where(
                NotifySubscription.unsubscribe_token_hash == _token_hash(token)
            )
        ).first()
        lookup = None if row is None else row.address_hash
    if lookup is None or not delete_address(runtime, lookup):
        return False
    audit_log.record(runtime, "notify.unsubscribed")
    return True


def count(runtime: Runtime) -> dict[str, int]:
    """Signups per status (numbers only)."""
    counts = {PENDING: 0, CONFIRMED: 0}
    with runtime.session() as session:
        for status in session.scalars(select(NotifySubscription.status)):
            counts[status] = counts.get(status, 0) + 1
    return counts


def delete_expired(runtime: Runtime) -> int:
    """Shred signups past ``expires_at``: unconfirmed ones and those past retention."""
    return delete_expired_rows(
        runtime,
        NotifySubscription,
        with_row=lambda session, row: _shred_with_links(runtime, session, row),
    )


__all__ = [
    "smtp_settings",
    "Mailer",
    "compose",
    "unsubscribe_token",
    "CONFIRMATION_WINDOW",
    "CONFIRMED",
    "CONFIRM_PATH",
    "PENDING",
    "UNSUBSCRIBE_PATH",
    "Signup",
    "SmtpSettings",
    "address_hash",
    "confirm",
    "count",
    "delete_address",
    "delete_expired",
    "normalise_address",
    "owners_of",
    "subscribe",
    "unsubscribe",
]


def smtp_settings(settings: Settings) -> SmtpSettings | None:
    """SMTP settings from the deployment's settings, or None while notify-me is not set up."""
    if not (settings.smtp_host and settings.smtp_from and settings.public_base_url):
        return None
    return SmtpSettings(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        public_base_url=settings.public_base_url,
        starttls=settings.smtp_starttls,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
    )
