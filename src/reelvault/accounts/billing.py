"""An account's billing status: what the payment processor said, cut down to three facts.

A Stripe event carries a whole customer, subscription or checkout session (names,
addresses, card brands and last digits, invoices). :func:`change_from_event` reads the
customer id, the plan (from our own price ids) and the subscription status and nothing
else; the rest of the payload is never stored. Each event id is recorded in the same
transaction that applies it, so a redelivered event does nothing the second time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError as DbIntegrityError
from sqlalchemy.orm import Session

from reelvault.config import Settings
from reelvault.db.billing_models import BillingAccount, BillingUsage, StripeEvent
from reelvault.db.models import Account
from reelvault.runtime import Runtime

PAID_STATUSES = frozenset({"active", "trialing"})
"""Subscription statuses that give the paid plan; any other gives the default plan."""
HANDLED_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    }
)
PLAN_METADATA = "reelvault_plan"
"""The metadata key our checkout sessions carry the plan's name in."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BillingStatus:
    plan: str | None
    subscription_status: str | None
    has_customer: bool


@dataclass(frozen=True)
class BillingChange:
    """All that is kept of one event."""

    customer_id: str
    plan: str
    subscription_status: str
    account_id: str | None = None  # a checkout session names the account it was made for


def status_of(runtime: Runtime, account_id: str) -> BillingStatus:
    with runtime.session() as session:
        row = session.get(BillingAccount, account_id)
        if row is None:
            return BillingStatus(None, None, False)
        return BillingStatus(row.plan, row.subscription_status, row.customer_id is not None)


def customer_of(runtime: Runtime, account_id: str) -> str | None:
    with runtime.session() as session:
        row = session.get(BillingAccount, account_id)
        return None if row is None else row.customer_id


def link_customer(runtime: Runtime, account_id: str, customer_id: str) -> None:
    """Remember the processor's customer made for this account (before any payment)."""
    with runtime.session() as session:
        row = session.get(BillingAccount, account_id)
        if row is None:
            session.add(
                BillingAccount(
                    account_id=account_id,
                    customer_id=customer_id,
                    plan=runtime.settings.billing_default_plan,
                )
            )
        elif row.customer_id is None:
            row.customer_id = customer_id


def plan_for_price(settings: Settings, price_id: str | None) -> str | None:
    for name, plan in settings.billing_plans.items():
        if price_id and plan.stripe_price_id == price_id:
            return name
    return None


def _text(value: Any) -> str | None:
    # An expandable field is an id, or (expanded) an object with one.
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _subscription_price(obj: Mapping[str, Any]) -> str | None:
    items = obj.get("items")
    data = items.get("data") if isinstance(items, Mapping) else None
    if not isinstance(data, list) or not data or not isinstance(data[0], Mapping):
        return None
    return _text(data[0].get("price"))


def change_from_event(
    settings: Settings, event_type: str, obj: Mapping[str, Any]
) -> BillingChange | None:
    """The three facts an event tells, or None when it changes nothing we keep."""
    customer = _text(obj.get("customer"))
    if event_type not in HANDLED_EVENTS or customer is None:
        return None
    default = settings.billing_default_plan
    if event_type == "checkout.session.completed":
        metadata = obj.get("metadata")
        plan = metadata.get(PLAN_METADATA) if isinstance(metadata, Mapping) else None
        paid = obj.get("payment_status") in ("paid", "no_payment_required")
        if not paid or not isinstance(plan, str) or plan not in settings.billing_plans:
            return None  # paid later (or not ours): the subscription events tell
        account = _text(obj.get("client_reference_id"))
        return BillingChange(customer, plan, "active", account_id=account)
    status = _text(obj.get("status")) or "canceled"
    plan = plan_for_price(settings, _subscription_price(obj))
    if event_type == "customer.subscription.deleted" or status not in PAID_STATUSES:
        plan = None
    return BillingChange(customer, plan or default, status)


def _row_for(session: Session, change: BillingChange, default_plan: str) -> BillingAccount | None:
    row = session.scalar(
        select(BillingAccount).where(BillingAccount.customer_id == change.customer_id)
    )
    if row is not None or change.account_id is None:
        return row
    if session.get(Account, change.account_id) is None:
        return None
    row = session.get(BillingAccount, change.account_id)
    if row is None:
        row = BillingAccount(account_id=change.account_id, plan=default_plan)
        session.add(row)
    row.customer_id = change.customer_id
    return row


def record_event(
    runtime: Runtime, event_id: str, created: datetime, change: BillingChange | None
) -> bool:
    """Apply one verified event once. False when its id was handled before (nothing done).

    The id is stored in the transaction that applies the change: if applying fails,
    neither is kept and the processor's retry tries again.
    """
    now = runtime.clock()
    keep = timedelta(days=runtime.settings.stripe_event_retention_days)
    with runtime.session() as session:
        if session.get(StripeEvent, event_id) is not None:
            return False
        try:
            with session.begin_nested():
                session.add(StripeEvent(id=event_id, received_at=now, expires_at=now + keep))
        except DbIntegrityError:  # the same event, delivered twice at once
            return False
        if change is None:
            return True
        row = _row_for(session, change, runtime.settings.billing_default_plan)
        if row is None:
            log.warning("billing: a Stripe event names no account of this server; ignored")
        elif row.status_at is None or created >= row.status_at:
            row.plan = change.plan
            row.subscription_status = change.subscription_status
            row.status_at = created
    return True


def forget_billing(runtime: Runtime, owner_id: str) -> int:
    """Delete the owner's billing status (customer id included) and usage; the erasure
    calls this. The processor keeps its own records (invoices) under its own retention."""
    with runtime.session() as session:
        account_id = session.scalar(select(Account.id).where(Account.owner_id == owner_id))
        removed = 0
        if account_id is not None:
            result = session.execute(
                delete(BillingAccount).where(BillingAccount.account_id == account_id)
            )
            removed += int(getattr(result, "rowcount", 0) or 0)
        result = session.execute(delete(BillingUsage).where(BillingUsage.owner_id == owner_id))
        return removed + int(getattr(result, "rowcount", 0) or 0)


def delete_expired(runtime: Runtime) -> int:
    """Usage of months long past and event ids past their retention; for the sweeper."""
    now = runtime.clock()
    with runtime.session() as session:
        removed = session.execute(delete(BillingUsage).where(BillingUsage.expires_at <= now))
        events = session.execute(delete(StripeEvent).where(StripeEvent.expires_at <= now))
        return int(getattr(removed, "rowcount", 0) or 0) + int(getattr(events, "rowcount", 0) or 0)


__all__ = [
    "HANDLED_EVENTS",
    "PAID_STATUSES",
    "PLAN_METADATA",
    "BillingChange",
    "BillingStatus",
    "change_from_event",
    "customer_of",
    "delete_expired",
    "forget_billing",
    "link_customer",
    "plan_for_price",
    "record_event",
    "status_of",
]
