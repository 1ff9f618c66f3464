"""Checkout and customer-portal links, made through Stripe's HTTP API (a local stand-in
that speaks its protocol: tests/stripe_fake.py), for a browser signed in to an account."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelvault.accounts.keys import create_api_key
from reelvault.runtime import Runtime
from tests.services import free_port
from tests.stripe_fake import FakeStripe

from .billing_helpers import billing_client, csrf, event, send, sign_up, subscription

CHECKOUT = "/api/v1/billing/checkout"
PORTAL = "/api/v1/billing/portal"


@pytest.fixture
def app(tmp_path: Path, fake_stripe: FakeStripe) -> Iterator[tuple[TestClient, Runtime]]:
    client, runtime = billing_client(
        tmp_path, stripe_url=fake_stripe.url, billing_return_url="https://studio.example/"
    )
    with client:
        yield client, runtime
    runtime.close()


def test_checkout_makes_a_customer_once_and_a_subscription_session_for_the_plans_price(
    app: tuple[TestClient, Runtime], fake_stripe: FakeStripe
) -> None:
    client, _runtime = app
    account = sign_up(client, "ada@example.org")
    answer = client.post(CHECKOUT, json={"plan": "pro"}, headers=csrf(client))
    assert answer.status_code == 200, answer.text
    assert answer.json()["url"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    [customer] = fake_stripe.calls("/v1/customers")
    assert customer.form == {"metadata[reelvault_account]": account["id"]}
    [made] = fake_stripe.calls("/v1/checkout/sessions")
    assert made.form["mode"] == "subscription"
    assert made.form["line_items[0][price]"] == "price_pro"
    assert made.form["line_items[0][quantity]"] == "1"
    assert made.form["client_reference_id"] == account["id"]
    assert made.form["customer"] in fake_stripe.customers
    assert made.form["metadata[reelvault_plan]"] == "pro"
    assert made.form["success_url"] == "https://studio.example/?billing=success"
    assert made.form["cancel_url"] == "https://studio.example/?billing=cancelled"
    assert made.headers["authorization"].startswith("Bearer sk_test_")
    # Nothing about the person goes to Stripe: no address, only the random account id.
    assert all("example.org" not in call.body for call in fake_stripe.received)
    # A second checkout (the first was abandoned) reuses the customer.
    again = client.post(CHECKOUT, json={"plan": "pro"}, headers=csrf(client))
    assert again.status_code == 200, again.text
    assert len(fake_stripe.calls("/v1/customers")) == 1
    assert fake_stripe.calls("/v1/checkout/sessions")[1].form["customer"] == made.form["customer"]


def test_the_portal_opens_for_the_accounts_customer(
    app: tuple[TestClient, Runtime], fake_stripe: FakeStripe
) -> None:
    client, _runtime = app
    sign_up(client, "ada@example.org")
    before = client.post(PORTAL, headers=csrf(client))
    assert before.status_code == 404, before.text
    assert "POST /api/v1/billing/checkout" in before.json()["error"]["message"]
    client.post(CHECKOUT, json={"plan": "pro"}, headers=csrf(client))
    answer = client.post(PORTAL, headers=csrf(client))
    assert answer.status_code == 200, answer.text
    assert answer.json()["url"].startswith("https://billing.stripe.com/p/session/")
    [opened] = fake_stripe.calls("/v1/billing_portal/sessions")
    assert opened.form == {
        "customer": fake_stripe.calls("/v1/checkout/sessions")[0].form["customer"],
        "return_url": "https://studio.example/",
    }


def test_a_subscribed_account_changes_its_plan_in_the_portal_not_a_new_checkout(
    app: tuple[TestClient, Runtime], fake_stripe: FakeStripe
) -> None:
    client, _runtime = app
    sign_up(client, "ada@example.org")
    client.post(CHECKOUT, json={"plan": "pro"}, headers=csrf(client))
    customer = fake_stripe.calls("/v1/checkout/sessions")[0].form["customer"]
    send(client, event("customer.subscription.created", subscription(customer)))
    answer = client.post(CHECKOUT, json={"plan": "pro"}, headers=csrf(client))
    assert answer.status_code == 409, answer.text
    assert "/api/v1/billing/portal" in answer.json()["error"]["message"]


@pytest.mark.parametrize("plan", ["free", "platinum"])
def test_only_a_paid_plan_can_be_bought(
    app: tuple[TestClient, Runtime], fake_stripe: FakeStripe, plan: str
) -> None:
    client, _runtime = app
    sign_up(client, "ada@example.org")
    answer = client.post(CHECKOUT, json={"plan": plan}, headers=csrf(client))
    assert answer.status_code == 422, answer.text
    assert "pro" in answer.json()["error"]["message"]
    assert fake_stripe.received == []


def test_money_is_managed_only_from_a_signed_in_browser(
    app: tuple[TestClient, Runtime], fake_stripe: FakeStripe
) -> None:
    client, runtime = app
    key = {"Authorization": "Bearer " + create_api_key(runtime, name="script").secret}
    for path in (CHECKOUT, PORTAL):
        answer = TestClient(client.app).post(path, json={"plan": "pro"}, headers=key)
        assert answer.status_code == 403, answer.text
    assert fake_stripe.received == []


def test_plans_are_listed_without_their_prices(app: tuple[TestClient, Runtime]) -> None:
    client, _runtime = app
    plans = client.get("/api/v1/billing/plans").json()
    assert plans["billing"] is True
    by_name = {plan["name"]: plan for plan in plans["data"]}
    assert by_name["pro"]["paid"] is True and by_name["free"]["default"] is True
    assert by_name["free"]["video_seconds_per_month"] == 3
    assert "price_pro" not in str(plans)


def test_stripe_out_of_reach_is_503_and_nothing_is_linked(tmp_path: Path) -> None:
    client, runtime = billing_client(tmp_path, stripe_url=f"http://127.0.0.1:{free_port()}")
    with client:
        sign_up(client, "ada@example.org")
        answer = client.post(CHECKOUT, json={"plan": "pro"}, headers=csrf(client))
        assert answer.status_code == 503, answer.text
        assert client.post(PORTAL, headers=csrf(client)).status_code == 404
    runtime.close()


def test_checkout_is_503_where_no_stripe_key_is_set(tmp_path: Path) -> None:
    client, runtime = billing_client(tmp_path, stripe_secret_key=None)
    with client:
        sign_up(client, "ada@example.org")
        answer = client.post(CHECKOUT, json={"plan": "pro"}, headers=csrf(client))
        assert answer.status_code == 503, answer.text
        assert "not set up" in answer.json()["error"]["message"]
    runtime.close()
