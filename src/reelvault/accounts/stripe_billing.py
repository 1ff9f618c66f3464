"""Stripe: Checkout and customer-portal links, and verifying the webhooks Stripe sends.

Stripe is an optional dependency (``reelvault[billing]``), imported only when used. Calls
go to ``stripe_api_base`` (Stripe itself unless a test points it at a local stand-in).
What we send Stripe: the account's random id and the plan's name, never an e-mail
address (Checkout asks the person for what it needs itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from reelvault.accounts.billing import (
    PAID_STATUSES,
    PLAN_METADATA,
    BillingChange,
    change_from_event,
    customer_of,
    link_customer,
    status_of,
)
from reelvault.config import Settings
from reelvault.errors import (
    BadSignatureError,
    ConflictError,
    NotFoundError,
    UnavailableError,
    ValidationError,
)
from reelvault.runtime import Runtime

if TYPE_CHECKING:
    import stripe

NOT_CONFIGURED = "payments are not set up on this server (no Stripe key)"


@dataclass(frozen=True)
class VerifiedEvent:
    id: str
    created: datetime
    change: BillingChange | None


def _client(settings: Settings) -> stripe.StripeClient:
    if settings.stripe_secret_key is None or not settings.billing_plans:
        raise UnavailableError(NOT_CONFIGURED)
    try:
        import stripe
    except ModuleNotFoundError:
        raise UnavailableError(NOT_CONFIGURED + ": install reelvault[billing]") from None
    return stripe.StripeClient(
        settings.stripe_secret_key.get_secret_value(),
        base_addresses={"api": settings.stripe_api_base.rstrip("/")},
        max_network_retries=2,
    )


def _calling_stripe() -> type[Exception]:
    import stripe

    return stripe.StripeError


def _unreachable(exc: Exception) -> UnavailableError:
    # Stripe's message may quote what was sent; only the kind of failure is passed on.
    return UnavailableError(
        f"the payment processor did not answer as expected ({type(exc).__name__}); try again"
    )


def start_checkout(
    runtime: Runtime, account_id: str, plan_name: str, *, success_url: str, cancel_url: str
) -> str:
    """The URL of a Stripe Checkout page subscribing the account to ``plan_name``."""
    settings = runtime.settings
    client = _client(settings)
    plan = settings.billing_plans.get(plan_name)
    if plan is None or plan.stripe_price_id is None:
        paid = ", ".join(n for n, p in settings.billing_plans.items() if p.stripe_price_id)
        raise ValidationError(f"plan must be a paid plan: {paid or 'none here'}", param="plan")
    current = status_of(runtime, account_id)
    if current.subscription_status in PAID_STATUSES:
        raise ConflictError(
            "this account has a subscription: change or cancel it in the customer portal "
            "(POST /api/v1/billing/portal)"
        )
    try:
        customer = customer_of(runtime, account_id)
        if customer is None:
            made = client.v1.customers.create(
                params={"metadata": {"reelvault_account": account_id}}
            )
            customer = str(made.id)
            link_customer(runtime, account_id, customer)
        session = client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer": customer,
                "client_reference_id": account_id,
                "line_items": [{"price": plan.stripe_price_id, "quantity": 1}],
                "success_url": success_url,
                "cancel_url": cancel_url,
                "metadata": {PLAN_METADATA: plan_name},
                "subscription_data": {"metadata": {PLAN_METADATA: plan_name}},
            }
        )
    except _calling_stripe() as exc:
        raise _unreachable(exc) from None
    if not session.url:
        raise UnavailableError("the payment processor gave no checkout page; try again")
    return str(session.url)


def portal_link(runtime: Runtime, account_id: str, *, return_url: str) -> str:
    """The URL of Stripe's customer portal for the account (change plan, card, cancel)."""
    client = _client(runtime.settings)
    customer = customer_of(runtime, account_id)
    if customer is None:
        raise NotFoundError(
            "this account has no subscription yet: start one with POST /api/v1/billing/checkout"
        )
    try:
        session = client.v1.billing_portal.sessions.create(
            params={"customer": customer, "return_url": return_url}
        )
    except _calling_stripe() as exc:
        raise _unreachable(exc) from None
    return str(session.url)


def verify_event(settings: Settings, payload: bytes, signature: str | None) -> VerifiedEvent:
    """Check the ``Stripe-Signature`` of a webhook (HMAC-SHA256 with the endpoint's
    secret, within the tolerance) and keep only what :func:`change_from_event` reads.

    :class:`BadSignatureError` (400) for a missing, wrong or stale signature.
    """
    if settings.stripe_webhook_secret is None:
        raise UnavailableError("Stripe webhooks are not set up on this server")
    try:
        import stripe
    except ModuleNotFoundError:
        raise UnavailableError(NOT_CONFIGURED + ": install reelvault[billing]") from None

    try:
        event = stripe.Webhook.construct_event(
            payload.decode("utf-8"),
            signature,
            settings.stripe_webhook_secret.get_secret_value(),
            tolerance=settings.stripe_webhook_tolerance_seconds,
        )
    except stripe.SignatureVerificationError:
        raise BadSignatureError("the Stripe-Signature header does not match") from None
    except (ValueError, UnicodeDecodeError):
        raise BadSignatureError("the webhook body is not a Stripe event") from None
    data: dict[str, Any] = event.to_dict()
    event_id, created = data.get("id"), data.get("created")
    inner = data.get("data")
    obj = inner.get("object") if isinstance(inner, dict) else None
    if not isinstance(event_id, str) or not isinstance(created, int) or not isinstance(obj, dict):
        raise BadSignatureError("the webhook body is not a Stripe event")
    change = change_from_event(settings, str(data.get("type", "")), obj)
    return VerifiedEvent(event_id, datetime.fromtimestamp(created, UTC), change)


__all__ = ["NOT_CONFIGURED", "VerifiedEvent", "portal_link", "start_checkout", "verify_event"]
