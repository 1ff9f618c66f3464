"""Plans, usage and payments: ``/api/v1/billing`` and ``/api/v1/account/usage``.

Checkout and the customer portal are Stripe pages; this server only hands out links to
them and learns the outcome from Stripe's signed webhook. Money matters are managed only
from a browser signed in to the account, never with an API key.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse

from reelvault.accounts.billing import record_event
from reelvault.accounts.quotas import (
    billing_enabled,
    count_active_jobs,
    month_of,
    plan_of,
    seconds_used,
)
from reelvault.accounts.scopes import VIDEOS_READ
from reelvault.accounts.stripe_billing import portal_link, start_checkout, verify_event
from reelvault.errors import ForbiddenError, PayloadTooLargeError, UnauthorizedError
from reelvault.http.deps import Caller, CallerDep, Owner, RuntimeDep, require_scope
from reelvault.http.error_schema import ErrorOut
from reelvault.runtime import Runtime

router = APIRouter(tags=["billing"])
MAX_WEBHOOK_BYTES = 512 * 1024  # Stripe's events are a few KiB


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorOut} for status in statuses}


class PlanOut(BaseModel):
    name: str
    title: str
    video_seconds_per_month: float | None = Field(description="None: no limit.")
    concurrent_jobs: int | None = Field(description="None: no limit.")
    max_resolution: str | None = Field(description="WIDTHxHEIGHT; None: no limit.")
    paid: bool = Field(description="Bought through checkout (POST /api/v1/billing/checkout).")
    default: bool = Field(description="The plan of an account without a subscription.")


class PlanList(BaseModel):
    billing: bool = Field(description="Whether this server has plans at all.")
    data: list[PlanOut]


class UsageOut(BaseModel):
    plan: str | None = Field(description="The caller's plan; None: nothing limits them.")
    plan_title: str | None
    subscription_status: str | None = Field(
        description="As the payment processor reports it (active, past_due, canceled, ...)."
    )
    month: str = Field(description="The calendar month (UTC) counted, YYYY-MM.")
    video_seconds_used: float = Field(
        description="Seconds of video asked for this month (jobs that never ran give theirs back)."
    )
    video_seconds_limit: float | None
    video_seconds_left: float | None
    active_jobs: int = Field(description="Jobs queued or running now.")
    concurrent_jobs_limit: int | None
    max_resolution: str | None


class CheckoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan: str = Field(
        max_length=40, description="The name of a paid plan (GET /api/v1/billing/plans)."
    )


class LinkOut(BaseModel):
    url: str = Field(description="A Stripe page to send the browser to.")


class WebhookOut(BaseModel):
    received: bool
    duplicate: bool = Field(description="This event was handled before; nothing was done again.")


async def signed_in_account(caller: CallerDep) -> Caller:
    if caller.credential in ("api_key", "key_session"):
        raise ForbiddenError(
            "plans are bought and managed from a browser signed in to the account, not with "
            "an API key"
        )
    if caller.credential != "account_session" or caller.account_id is None:
        raise UnauthorizedError("sign in to an account to buy or manage a plan")
    return caller


AccountCaller = Annotated[Caller, Depends(signed_in_account)]


def _return_url(request: Request, runtime: Runtime, outcome: str | None) -> str:
    settings = runtime.settings
    base = settings.billing_return_url or (
        (settings.public_base_url or str(request.base_url)).rstrip("/") + "/"
    )
    if outcome is None:
        return base
    return base + ("&" if "?" in base else "?") + "billing=" + outcome


@router.get("/api/v1/billing/plans", response_model=PlanList)
def list_plans(runtime: RuntimeDep) -> PlanList:
    """The plans of this server and what each allows (empty where there are none)."""
    settings = runtime.settings
    return PlanList(
        billing=billing_enabled(settings),
        data=[
            PlanOut(
                name=name,
                title=plan.title or name,
                video_seconds_per_month=plan.video_seconds_per_month,
                concurrent_jobs=plan.concurrent_jobs,
                max_resolution=plan.max_resolution,
                paid=plan.stripe_price_id is not None,
                default=name == settings.billing_default_plan,
            )
            for name, plan in settings.billing_plans.items()
        ],
    )


def _usage(runtime: Runtime, owner: str) -> UsageOut:
    found = plan_of(runtime, owner)
    month = month_of(runtime.clock())
    used = seconds_used(runtime, owner, month)
    plan = found.plan if found is not None else None
    limit = plan.video_seconds_per_month if plan is not None else None
    return UsageOut(
        plan=found.name if found is not None else None,
        plan_title=found.label if found is not None else None,
        subscription_status=found.subscription_status if found is not None else None,
        month=month,
        video_seconds_used=used,
        video_seconds_limit=limit,
        video_seconds_left=None if limit is None else max(0.0, limit - used),
        active_jobs=count_active_jobs(runtime, owner),
        concurrent_jobs_limit=plan.concurrent_jobs if plan is not None else None,
        max_resolution=plan.max_resolution if plan is not None else None,
    )


@router.get(
    "/api/v1/account/usage",
    dependencies=[require_scope(VIDEOS_READ)],
    response_model=UsageOut,
    responses=_errors(401, 403),
)
def usage(runtime: RuntimeDep, owner: Owner) -> UsageOut:
    """The caller's plan and what of it this month has used: seconds of video, jobs
    running, the largest frame. For accounts, API keys and studio sessions alike."""
    return _usage(runtime, owner)


@router.post(
    "/api/v1/billing/checkout",
    response_model=LinkOut,
    responses=_errors(401, 403, 409, 422, 503),
)
def checkout(
    body: CheckoutIn, request: Request, runtime: RuntimeDep, caller: AccountCaller
) -> LinkOut:
    """A Stripe Checkout page subscribing the signed-in account to a paid plan.

    The plan changes when Stripe confirms the payment (its webhook), not when this link
    is made. 409 when the account already has a subscription: use the portal to change
    it. 503 where payments are not set up.
    """
    assert caller.account_id is not None  # signed_in_account checked it
    url = start_checkout(
        runtime,
        caller.account_id,
        body.plan,
        success_url=_return_url(request, runtime, "success"),
        cancel_url=_return_url(request, runtime, "cancelled"),
    )
    return LinkOut(url=url)


@router.post(
    "/api/v1/billing/portal",
    response_model=LinkOut,
    responses=_errors(401, 403, 404, 503),
)
def portal(request: Request, runtime: RuntimeDep, caller: AccountCaller) -> LinkOut:
    """Stripe's customer portal for the signed-in account: change plan or card, see
    invoices, cancel. 404 before the account has ever started a checkout."""
    assert caller.account_id is not None
    url = portal_link(runtime, caller.account_id, return_url=_return_url(request, runtime, None))
    return LinkOut(url=url)


@router.post(
    "/api/v1/billing/stripe/webhook",
    response_model=WebhookOut,
    responses=_errors(400, 413, 503),
)
async def stripe_webhook(
    request: Request,
    runtime: RuntimeDep,
    stripe_signature: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Where Stripe sends events (set this URL and its signing secret in Stripe).

    Verified by the `Stripe-Signature` header (HMAC-SHA256 with
    `REELVAULT_STRIPE_WEBHOOK_SECRET`, signed at most `stripe_webhook_tolerance_seconds`
    ago): anything else is 400. Each event id is handled once; a redelivery answers 200
    with `duplicate: true`. Handled: `checkout.session.completed`,
    `customer.subscription.created|updated|deleted`; of them only the customer id, the
    plan and the subscription status are kept.
    """
    payload = bytearray()
    async for chunk in request.stream():
        payload.extend(chunk)
        if len(payload) > MAX_WEBHOOK_BYTES:
            raise PayloadTooLargeError("a Stripe event is never this large")
    event = verify_event(runtime.settings, bytes(payload), stripe_signature)
    fresh = await run_in_threadpool(record_event, runtime, event.id, event.created, event.change)
    return JSONResponse(WebhookOut(received=True, duplicate=not fresh).model_dump())


__all__ = ["router"]
