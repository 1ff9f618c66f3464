"""What the billing tests share: an app with plans, a signed-in account, signed webhooks."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any

import stripe
from fastapi.testclient import TestClient

from reelvault.accounts.keys import create_api_key
from reelvault.app.compose import open_runtime
from reelvault.app.factory import WorkerMode, create_app
from reelvault.runtime import Runtime
from reelvault.testing import registry_with_fake, settings_for
from tests.stripe_fake import SECRET_KEY

WEBHOOK_SECRET = "whsec_test_" + "a1b2c3d4" * 4
WEBHOOK = "/api/v1/billing/stripe/webhook"
PASSWORD = "correct horse battery"
PLANS: dict[str, dict[str, Any]] = {
    "free": {
        "title": "Free",
        "video_seconds_per_month": 3,
        "concurrent_jobs": 2,
        "max_resolution": "64x48",
    },
    "pro": {
        "title": "Pro",
        "video_seconds_per_month": 600,
        "concurrent_jobs": 4,
        "max_resolution": "1280x720",
        "stripe_price_id": "price_pro",
    },
    "guest": {"video_seconds_per_month": 1, "concurrent_jobs": 1, "max_resolution": "64x48"},
}


def billing_client(
    tmp_path: Path,
    *,
    stripe_url: str = "http://127.0.0.1:9",
    worker_mode: WorkerMode = "thread",
    operator_key: bool = True,
    **overrides: Any,
) -> tuple[TestClient, Runtime]:
    values: dict[str, Any] = {
        "billing_plans": PLANS,
        "billing_default_plan": "free",
        "billing_guest_plan": "guest",
        "stripe_secret_key": SECRET_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_api_base": stripe_url,
    }
    values.update(overrides)
    settings = settings_for(tmp_path, **values)
    runtime = open_runtime(settings, registry=registry_with_fake(settings))
    if operator_key:  # keyless single-user mode (never limited) is over
        create_api_key(runtime, name="operator")
    app = create_app(settings, runtime=runtime, worker_mode=worker_mode)
    return TestClient(app), runtime


def csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies.get("rv_csrf") or ""}


def sign_up(client: TestClient, email: str) -> dict[str, Any]:
    client.cookies.clear()
    answer = client.post(
        "/api/v1/account/signup",
        json={"email": email, "password": PASSWORD, "age_confirmed": True},
    )
    assert answer.status_code == 202, answer.text  # alike for every address: no sign-in
    signed_in = client.post("/api/v1/account/login", json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    body: dict[str, Any] = client.get("/api/v1/account").json()
    return body


def event(
    event_type: str, obj: dict[str, Any], *, created: int | None = None, event_id: str | None = None
) -> dict[str, Any]:
    """A Stripe event as Stripe sends it (API version 2024+ shape)."""
    return {
        "id": event_id or "evt_" + secrets.token_hex(12),
        "object": "event",
        "api_version": "2024-06-20",
        "created": created if created is not None else int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": {"object": obj},
    }


def subscription(
    customer: str, *, price: str = "price_pro", status: str = "active"
) -> dict[str, Any]:
    return {
        "id": "sub_" + secrets.token_hex(7),
        "object": "subscription",
        "customer": customer,
        "status": status,
        "items": {
            "object": "list",
            "data": [{"id": "si_1", "object": "subscription_item", "price": {"id": price}}],
        },
    }


def stripe_side(client: TestClient) -> TestClient:
    """A client for the same app without the browser's cookies: Stripe sends none."""
    return TestClient(client.app)


def send(
    client: TestClient,
    body: dict[str, Any],
    *,
    secret: str = WEBHOOK_SECRET,
    timestamp: int | None = None,
) -> Any:
    """POST an event signed the way Stripe signs (``t=...,v1=HMAC-SHA256``), by the
    stripe library's own helper."""
    payload = json.dumps(body)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)
    return stripe_side(client).post(
        WEBHOOK,
        content=payload,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


__all__ = [
    "PASSWORD",
    "PLANS",
    "WEBHOOK",
    "WEBHOOK_SECRET",
    "billing_client",
    "csrf",
    "event",
    "send",
    "sign_up",
    "stripe_side",
    "subscription",
]
