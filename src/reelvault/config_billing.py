"""Settings of plans (quotas) and of payments through Stripe.

A part of :class:`reelvault.config.Settings` (which inherits these fields), kept in its
own module so that each stays small; read them through ``Settings`` like any other.
With no plans configured (the default) nothing here applies: jobs are limited only by
the rate limits, as before plans existed.
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings


def parse_resolution(value: str) -> tuple[int, int]:
    """``"1280x720"`` as (1280, 720); ``ValueError`` for anything else."""
    width, sep, height = value.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit() or int(width) * int(height) == 0:
        raise ValueError(f"a resolution is WIDTHxHEIGHT, e.g. 1280x720, not {value!r}")
    return int(width), int(height)


class Plan(BaseModel):
    """What one plan allows. A limit left out (None) is no limit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(default="", max_length=80, description="The plan's name shown to people.")
    video_seconds_per_month: float | None = Field(
        default=None,
        ge=0,
        description="Seconds of video an owner may ask for per calendar month (UTC).",
    )
    concurrent_jobs: int | None = Field(
        default=None, ge=1, description="Jobs an owner may have queued or running at once."
    )
    max_resolution: str | None = Field(
        default=None,
        description=(
            "The largest frame, WIDTHxHEIGHT (e.g. 1280x720): a job may have at most as many "
            "pixels and its longer side at most the longer side of this (portrait too)."
        ),
    )
    stripe_price_id: str | None = Field(
        default=None,
        max_length=255,
        description="The Stripe price (price_...) a subscription to this plan is bought at.",
    )

    @field_validator("max_resolution")
    @classmethod
    def _resolution(cls, value: str | None) -> str | None:
        if value is not None:
            parse_resolution(value)
        return value


class BillingSettings(BaseSettings):
    billing_plans: dict[str, Plan] = Field(
        default_factory=dict,
        description=(
            "Plans by name (JSON in the environment). Empty (the default): no quotas, no "
            "payments. Each plan: video_seconds_per_month, concurrent_jobs, max_resolution, "
            "stripe_price_id (paid plans)."
        ),
    )
    billing_default_plan: str = Field(
        default="free",
        max_length=40,
        description="The plan of an account without an active paid subscription.",
    )
    billing_guest_plan: str | None = Field(
        default=None,
        max_length=40,
        description=(
            "The plan of owners that are not accounts (API keys made by the CLI, anonymous "
            "studio sessions); unset: billing_default_plan. The local single user (keyless "
            "mode, the CLI) is never limited."
        ),
    )
    stripe_secret_key: SecretStr | None = Field(
        default=None, description="Stripe secret API key (sk_...); unset: no checkout or portal."
    )
    stripe_webhook_secret: SecretStr | None = Field(
        default=None,
        description="The signing secret (whsec_...) of the Stripe webhook endpoint; unset: "
        "webhooks are refused.",
    )
    stripe_api_base: str = Field(
        default="https://api.stripe.com",
        description="Where Stripe's API is (change only to test against a local stand-in).",
    )
    stripe_webhook_tolerance_seconds: int = Field(
        default=300,
        ge=1,
        le=3600,
        description="A webhook signed longer ago than this is refused (replay protection).",
    )
    stripe_event_retention_days: int = Field(
        default=30,
        ge=4,
        le=365,
        description="How long the ids of handled Stripe events are kept to ignore redeliveries "
        "(Stripe retries for up to 3 days).",
    )
    billing_return_url: str | None = Field(
        default=None,
        description="Where Checkout and the customer portal send the browser back; unset: "
        "the studio at public_base_url (or the address the request came to).",
    )

    @model_validator(mode="after")
    def _plans_named(self) -> Self:
        if not self.billing_plans:
            return self
        for setting in ("billing_default_plan", "billing_guest_plan"):
            name = getattr(self, setting)
            if name is not None and name not in self.billing_plans:
                raise ValueError(f"{setting} {name!r} is not one of billing_plans")
        if self.billing_plans[self.billing_default_plan].stripe_price_id:
            raise ValueError("billing_default_plan is what people get without paying: no price")
        prices = [p.stripe_price_id for p in self.billing_plans.values() if p.stripe_price_id]
        if len(prices) != len(set(prices)):
            raise ValueError("two billing_plans have the same stripe_price_id")
        return self


__all__ = ["BillingSettings", "Plan", "parse_resolution"]
