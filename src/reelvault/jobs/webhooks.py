"""Signed webhooks (Standard Webhooks): a notice when a job ends, retried with backoff.

Headers ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` (``v1,`` +
base64 HMAC-SHA256 of ``id.timestamp.body`` under the owner's secret). Bodies never
hold prompt text. Targets are checked against SSRF (:mod:`reelvault.ssrf`) when the job
is created and again at each delivery, where the host is resolved once and the notice
goes to the address that was checked (DNS may have changed in between; a second lookup
at connect time could differ again).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from reelvault.accounts.owners import webhook_secret
from reelvault.db.models import Job, StoredObject, WebhookDelivery
from reelvault.errors import ValidationError
from reelvault.jobs import objects
from reelvault.runtime import Runtime
from reelvault.ssrf import AddressRefusedError, checked_addresses, guarded_client
from reelvault.types import JobStatus

log = logging.getLogger(__name__)

EVENTS = {
    JobStatus.COMPLETED: "video.completed",
    JobStatus.FAILED: "video.failed",
    JobStatus.CANCELLED: "video.cancelled",
}
DELIVERY_TIMEOUT = 10.0
MAX_URL_LENGTH = 2000


def refused(exc: AddressRefusedError) -> ValidationError:
    """The client-facing error for a target the SSRF guard refused."""
    if exc.reason == "unresolvable":
        return ValidationError("the webhook_url host does not resolve", param="webhook_url")
    return ValidationError(
        "webhook_url points to a private or local address (set webhook_allow_private to allow it)",
        param="webhook_url",
    )


def check_webhook_url_form(url: str) -> tuple[str, int]:
    """Accept only http(s) URLs without credentials (no lookup): their host and port."""
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError("webhook_url is too long", param="webhook_url")
    try:
        parts = urlsplit(url)
        hostname, port = parts.hostname, parts.port
    except ValueError:  # a malformed port or IPv6 literal
        raise ValidationError("webhook_url is not a valid URL", param="webhook_url") from None
    if parts.scheme not in ("http", "https") or not hostname:
        raise ValidationError("webhook_url must be an http or https URL", param="webhook_url")
    if parts.username or parts.password:
        raise ValidationError("webhook_url must not contain credentials", param="webhook_url")
    return hostname, port or (443 if parts.scheme == "https" else 80)


def check_webhook_url(url: str, *, allow_private: bool) -> str:
    """Accept only http(s) URLs whose host resolves to public addresses (unless allowed).

    Public means public also for the IPv4 address an IPv6 one embeds (:mod:`reelvault.ssrf`).
    """
    hostname, port = check_webhook_url_form(url)
    if not allow_private:
        try:
            checked_addresses(hostname, port)
        except AddressRefusedError as exc:
            raise refused(exc) from None
    return url


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks ``webhook-signature`` header value."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def enqueue(runtime: Runtime, session: object, job: Job, status: JobStatus, now: datetime) -> None:
    """Queue a notice for a job that just ended (called inside the ending transaction)."""
    event = EVENTS.get(status)
    if event is None or not objects.has_webhook(job):
        return
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    session.add(
        WebhookDelivery(
            id="msg_" + secrets.token_hex(12),
            job_id=job.id,
            event=event,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


def payload(job: Job, event: str, now: datetime) -> bytes:
    data = {
        "type": event,
        "timestamp": now.isoformat(),
        "data": {
            "id": job.id,
            "object": "video",
            "status": job.status,
            "progress": job.progress,
            "engine": job.engine,
            "size": f"{job.width}x{job.height}",
            "seconds": job.seconds,
            "error": (
                {"code": job.error_code, "message": job.error_message} if job.error_code else None
            ),
        },
    }
    return json.dumps(data, separators=(",", ":")).encode()


class WebhookDispatcher(threading.Thread):
    """Delivers due notices; one attempt each pass, exponential backoff between passes."""

    def __init__(self, runtime: Runtime, *, interval: float = 0.5) -> None:
        super().__init__(name="webhooks", daemon=True)
        self.runtime = runtime
        self.interval = interval
        self.stopped = threading.Event()
        # Resolves each target once and connects to the address it checked.
        self.client = guarded_client(
            allow_private=runtime.settings.webhook_allow_private, timeout=DELIVERY_TIMEOUT
        )

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.deliver_due()
            except Exception as exc:  # never let one bad pass stop deliveries
                log.error("webhook pass failed: %s", type(exc).__name__)

    def stop(self) -> None:
        self.stopped.set()

    def deliver_due(self) -> int:
        runtime = self.runtime
        now = runtime.clock()
        with runtime.session() as session:
            due = session.scalars(
                select(WebhookDelivery.id)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(50)
            ).all()
        for delivery_id in due:
            self._attempt(delivery_id)
        return len(due)

    def _attempt(self, delivery_id: str) -> None:
        runtime = self.runtime
        settings = runtime.settings
        with runtime.session() as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            if delivery is None or delivery.status != "pending":
                return
            job = session.get(Job, delivery.job_id)
            url = objects.webhook_url_of(runtime.vault, job) if job is not None else None
            if job is None or not url:
                delivery.status = "failed"
                delivery.last_error = "job deleted"
                return
            now = runtime.clock()
            body = payload(job, delivery.event, now)
            owner_id = job.owner_id
        code: int | None = None
        error: str | None = None
        try:
            check_webhook_url_form(url)
            secret = webhook_secret(runtime, owner_id)
            timestamp = int(now.timestamp())
            response = self.client.post(
                url,
                content=body,
                headers={
                    "content-type": "application/json",
                    "webhook-id": delivery_id,
                    "webhook-timestamp": str(timestamp),
                    "webhook-signature": sign(secret, delivery_id, timestamp, body),
                    "user-agent": "reelvault-webhooks",
                },
            )
            code = response.status_code
        except ValidationError as exc:
            error = exc.message[:200]
        except AddressRefusedError as exc:
            error = refused(exc).message[:200]
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        with runtime.session() as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            if delivery is None:
                return
            delivery.attempts += 1
            delivery.last_status_code = code
            delivery.last_error = error
            if code is not None and 200 <= code < 300:
                delivery.status = "delivered"
                delivery.delivered_at = runtime.clock()
            elif delivery.attempts >= settings.webhook_max_attempts:
                delivery.status = "failed"
            else:
                delay = settings.webhook_retry_base_seconds * 2 ** (delivery.attempts - 1)
                delivery.next_attempt_at = runtime.clock() + timedelta(seconds=min(delay, 3600))
            if delivery.status != "pending":
                _forget_url(runtime, session, delivery.job_id)
            result = "retry" if delivery.status == "pending" else delivery.status
        runtime.metrics.webhook_attempted(result)


def _forget_url(runtime: Runtime, session: object, job_id: str) -> None:
    """Shred the job's webhook URL once its notice is delivered or given up: nothing
    needs it any more (a job sends one notice, when it ends)."""
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    rows = session.scalars(
        select(StoredObject).where(
            StoredObject.job_id == job_id, StoredObject.kind == objects.WEBHOOK_URL
        )
    )
    objects.shred_rows(runtime.vault, session, rows)
    job = session.get(Job, job_id)
    if job is not None:
        job.webhook_url = None  # a row stored before URLs went into the vault


__all__ = [
    "EVENTS",
    "WebhookDispatcher",
    "check_webhook_url",
    "check_webhook_url_form",
    "enqueue",
    "payload",
    "refused",
    "sign",
]
