"""Stripe's webhook: signed by Stripe's scheme or refused, each event once, three facts kept."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from reelvault.accounts.billing import link_customer
from reelvault.db.billing_models import BillingAccount, BillingUsage, StripeEvent
from reelvault.runtime import Runtime
from tests.storage_backends import database_holds

from .billing_helpers import (
    WEBHOOK,
    billing_client,
    csrf,
    event,
    send,
    sign_up,
    stripe_side,
    subscription,
)
from .conftest import wait_for


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[TestClient, Runtime]]:
    client, runtime = billing_client(tmp_path)
    with client:
        yield client, runtime
    runtime.close()


def _customer_for(client: TestClient, runtime: Runtime, email: str, customer: str) -> str:
    account = sign_up(client, email)
    link_customer(runtime, account["id"], customer)  # as checkout does (test_billing_stripe)
    return str(account["id"])


def _plan(client: TestClient) -> tuple[str, str | None]:
    usage = client.get("/api/v1/account/usage")
    assert usage.status_code == 200, usage.text
    body: dict[str, Any] = usage.json()
    return body["plan"], body["subscription_status"]


def test_a_signed_subscription_event_sets_the_plan_and_keeps_only_three_facts(
    app: tuple[TestClient, Runtime],
) -> None:
    client, runtime = app
    _customer_for(client, runtime, "ada@example.org", "cus_ada")
    assert _plan(client) == ("free", None)
    sub = subscription("cus_ada")
    # What Stripe sends carries much more than we keep: none of it may be stored.
    sub["customer_details"] = {
        "email": "ada@example.org",
        "name": "Ada Lovelace",
        "address": {"line1": "12 Analytical Row", "city": "London"},
    }
    sub["default_payment_method"] = {
        "id": "pm_1",
        "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2031},
    }
    answer = send(client, event("customer.subscription.created", sub))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": True, "duplicate": False}
    assert _plan(client) == ("pro", "active")
    for needle in (b"Ada Lovelace", b"Analytical Row", b"pm_1", sub["id"].encode()):
        assert not database_holds(runtime.db, needle), needle
    # The card's last digits on their own (random ids and times hold "4242" now and then).
    assert not database_holds(runtime.db, b"4242", whole=True)
    with runtime.session() as session:
        row = session.scalars(select(BillingAccount)).one()
        assert (row.customer_id, row.plan, row.subscription_status) == ("cus_ada", "pro", "active")


def test_a_replayed_event_does_nothing_twice(app: tuple[TestClient, Runtime]) -> None:
    client, runtime = app
    _customer_for(client, runtime, "ada@example.org", "cus_ada")
    now = int(time.time())
    upgraded = event("customer.subscription.updated", subscription("cus_ada"), created=now)
    assert send(client, upgraded).json()["duplicate"] is False
    # Cancelled in the same second (Stripe's times are whole seconds).
    ended = subscription("cus_ada", status="canceled")
    assert (
        send(client, event("customer.subscription.deleted", ended, created=now)).status_code == 200
    )
    assert _plan(client) == ("free", "canceled")
    # Stripe delivers the upgrade again (a retry), freshly signed: it is not applied again.
    again = send(client, upgraded)
    assert again.status_code == 200, again.text
    assert again.json() == {"received": True, "duplicate": True}
    assert _plan(client) == ("free", "canceled")
    with runtime.session() as session:
        assert len(session.scalars(select(StripeEvent)).all()) == 2


def test_an_older_event_delivered_late_does_not_undo_a_newer_one(
    app: tuple[TestClient, Runtime],
) -> None:
    client, runtime = app
    _customer_for(client, runtime, "ada@example.org", "cus_ada")
    now = int(time.time())
    ended = subscription("cus_ada", status="canceled")
    send(client, event("customer.subscription.deleted", ended, created=now))
    late = event("customer.subscription.created", subscription("cus_ada"), created=now - 60)
    assert send(client, late).status_code == 200
    assert _plan(client) == ("free", "canceled")


def test_a_lapsed_payment_falls_back_to_the_default_plan(
    app: tuple[TestClient, Runtime],
) -> None:
    client, runtime = app
    _customer_for(client, runtime, "ada@example.org", "cus_ada")
    send(client, event("customer.subscription.created", subscription("cus_ada"), created=1))
    assert _plan(client) == ("pro", "active")
    unpaid = subscription("cus_ada", status="unpaid")
    send(client, event("customer.subscription.updated", unpaid, created=2))
    assert _plan(client) == ("free", "unpaid")


def test_checkout_completed_links_the_customer_to_the_account_it_was_made_for(
    app: tuple[TestClient, Runtime],
) -> None:
    client, runtime = app
    account = sign_up(client, "bea@example.org")
    completed = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "customer": "cus_bea",
        "client_reference_id": account["id"],
        "status": "complete",
        "payment_status": "paid",
        "metadata": {"reelvault_plan": "pro"},
        "customer_details": {"email": "bea@example.org", "name": "Bea"},
    }
    assert send(client, event("checkout.session.completed", completed)).status_code == 200
    assert _plan(client) == ("pro", "active")
    with runtime.session() as session:
        assert session.get(BillingAccount, account["id"]).customer_id == "cus_bea"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "how",
    ["wrong secret", "stale timestamp", "no signature", "tampered body", "not json"],
)
def test_a_webhook_not_signed_by_stripe_now_is_400_and_changes_nothing(
    app: tuple[TestClient, Runtime], how: str
) -> None:
    client, runtime = app
    _customer_for(client, runtime, "ada@example.org", "cus_ada")
    body = event("customer.subscription.created", subscription("cus_ada"))
    if how == "wrong secret":
        answer = send(client, body, secret="whsec_someone_else")
    elif how == "stale timestamp":  # a captured request replayed 10 minutes later
        answer = send(client, body, timestamp=int(time.time()) - 600)
    elif how == "no signature":
        answer = stripe_side(client).post(WEBHOOK, json=body)
    else:
        import json

        import stripe

        from .billing_helpers import WEBHOOK_SECRET

        signed = json.dumps(body)
        header = stripe.WebhookSignature.generate_signature_header(signed, WEBHOOK_SECRET)
        sent = signed.replace("price_pro", "price_xyz") if how == "tampered body" else "{oops"
        if how == "not json":
            header = stripe.WebhookSignature.generate_signature_header(sent, WEBHOOK_SECRET)
        answer = stripe_side(client).post(
            WEBHOOK, content=sent, headers={"Stripe-Signature": header}
        )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "invalid_signature"
    assert _plan(client) == ("free", None)
    with runtime.session() as session:
        assert session.scalars(select(StripeEvent)).all() == []


def test_webhooks_are_refused_where_no_secret_is_set(tmp_path: Path) -> None:
    client, runtime = billing_client(tmp_path, stripe_webhook_secret=None)
    with client:
        body = event("customer.subscription.created", subscription("cus_ada"))
        answer = send(client, body)
        assert answer.status_code == 503, answer.text
    runtime.close()


def test_deleting_the_account_erases_its_billing_status_and_usage(
    app: tuple[TestClient, Runtime],
) -> None:
    client, runtime = app
    _customer_for(client, runtime, "ada@example.org", "cus_ada")
    send(client, event("customer.subscription.created", subscription("cus_ada")))
    job = client.post(
        "/api/v1/jobs",
        json={"engine": "fake", "prompt": "a kite", "size": "64x48", "seconds": 1, "fps": 8},
        headers=csrf(client),
    )
    assert job.status_code == 201, job.text
    # Finished first: erasing a running job can deadlock on PostgreSQL (also without
    # billing; reported separately).
    wait_for(client, job.json()["id"])
    answer = client.delete("/api/v1/account", headers=csrf(client))
    assert answer.status_code == 200, answer.text
    assert answer.json()["erased"]["billing_records"] == 2
    with runtime.session() as session:
        assert session.scalars(select(BillingAccount)).all() == []
        assert session.scalars(select(BillingUsage)).all() == []
    assert not database_holds(runtime.db, b"cus_ada")


def test_access_and_export_show_the_billing_status_held(
    app: tuple[TestClient, Runtime],
) -> None:
    import io
    import json
    import zipfile

    client, runtime = app
    _customer_for(client, runtime, "ada@example.org", "cus_ada")
    send(client, event("customer.subscription.created", subscription("cus_ada")))
    made = client.post(
        "/api/v1/jobs",
        json={"engine": "fake", "prompt": "a kite", "size": "64x48", "seconds": 1, "fps": 8},
        headers=csrf(client),
    )
    assert made.status_code == 201, made.text
    access = client.get("/api/v1/privacy/access")
    assert access.status_code == 200, access.text
    summary = access.json()
    assert summary["held"]["billing_status"]["subscriptions"] == 1
    assert summary["held"]["billing_status"]["usage_months"] == 1
    assert summary["billing_status"].startswith("held:")
    export = client.get("/api/v1/privacy/export")
    assert export.status_code == 200, export.text
    data = json.loads(zipfile.ZipFile(io.BytesIO(export.content)).read("data.json"))
    (record,) = data["owners"]
    assert record["subscription_status"] == "active"
    assert record["billing"]["customer_id"] == "cus_ada"
    assert record["billing"]["plan"] == "pro"
    assert record["billing"]["usage"][0]["video_seconds"] == 1.0
