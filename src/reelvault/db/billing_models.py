"""Tables of plans and payments: an account's billing status, usage per month, Stripe events.

What a payment processor tells us is cut down to three facts before anything is written:
the processor's customer id, the plan and the subscription status. No card data, no
address, no name, no invoice ever reaches a row (``accounts.billing`` drops the rest).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from reelvault.db.base import Base, UTCDateTime


class BillingAccount(Base):
    """An account's paid plan, as the payment processor last reported it.

    The customer id is personal data (it names the person at Stripe): the row goes with
    the account (erasure), and nothing else of the person is kept here.
    """

    __tablename__ = "billing_accounts"

    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)
    plan: Mapped[str] = mapped_column(String(40))
    # Stripe's subscription status (active, trialing, past_due, canceled, ...), or None
    # before any subscription.
    subscription_status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    # When the processor made the change last applied (its event's time): an older event
    # delivered late does not undo a newer one.
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    data_class: Mapped[str] = mapped_column(String(32), default="billing_status")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class BillingUsage(Base):
    """Seconds of video an owner asked for in one calendar month (UTC), for the quota.

    One row per owner and month, kept until the month after next (then swept): enough to
    answer "usage this month", never a history of what someone made.
    """

    __tablename__ = "billing_usage"

    owner_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-12"
    video_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    data_class: Mapped[str] = mapped_column(String(32), default="billing_status")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class StripeEvent(Base):
    """The id of a Stripe event already handled, so a redelivery does nothing twice.

    Holds no personal data (an event id and times); kept ``stripe_event_retention_days``.
    """

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


__all__ = ["BillingAccount", "BillingUsage", "StripeEvent"]
