"""Privacy self-service, ``/api/v1/privacy``, and the public policy at ``/privacy``.

Every route acts for the caller only (the ``Owner`` dependency): a session, an API key,
or the local owner. Nothing here takes an owner id from the client.
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response, StreamingResponse

from reelvault.accounts.scopes import PRIVACY
from reelvault.errors import ConflictError
from reelvault.http.deps import Ctx, Owner, RuntimeDep, check_submission_limits, require_scope
from reelvault.http.error_schema import ErrorOut
from reelvault.policy.render import LEGAL_BASIS_TEXT, PURPOSE_TEXT
from reelvault.privacy import adults, age, consent, dsr, erase, export, holdings, notify, restrict
from reelvault.privacy.policy_page import (
    policy_html,
    processors,
    provider_consent_text,
    public_policy,
)
from reelvault.runtime import Runtime
from reelvault.types import LegalBasis, Purpose

router = APIRouter(tags=["privacy"])
PREFIX = "/api/v1/privacy"
# Every route here that acts for a caller; the e-mailed notify links carry their own token.
SCOPE = require_scope(PRIVACY)
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (401, 403, 404, 409, 410, 422, 429)
}
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConsentEntry(BaseModel):
    purpose: str
    granted: bool
    opt_in: bool
    legal_basis: str
    description: str


class ConsentList(BaseModel):
    purposes: list[ConsentEntry]


class ConsentChange(_Body):
    granted: bool


class RestrictBody(_Body):
    restricted: bool = True


class NotifyBody(_Body):
    email: str = Field(max_length=254)


class AgeBody(_Body):
    over_minimum_age: bool


# -- consents -------------------------------------------------------------------------------

_PURPOSES = {
    consent.ANALYTICS: Purpose.ANALYTICS,
    consent.MARKETING: Purpose.MARKETING,
}
_COOKIES_TEXT = "Remember your studio preferences in your browser beyond what the service needs."


def _describe(runtime: Runtime, purpose: str) -> tuple[str, str]:
    """(legal basis, description) of a consent purpose, from the live policy."""
    wanted = (
        Purpose.THIRD_PARTY_PROCESSING
        if purpose.startswith(consent.PROVIDER_PREFIX)
        else _PURPOSES.get(purpose)
    )
    for rule in runtime.policy.data_classes.values():
        for item in rule.purposes:
            if item.purpose is wanted:
                basis = item.legal_basis.value
                text = " ".join(item.description.split())
                if purpose.startswith(consent.PROVIDER_PREFIX):
                    text = provider_consent_text(_provider_title(runtime, purpose), text)
                return basis, text
    if purpose == consent.OPTIONAL_COOKIES:
        return LegalBasis.CONSENT.value, _COOKIES_TEXT
    name = PURPOSE_TEXT.get(wanted, purpose) if wanted else purpose
    return LegalBasis.CONSENT.value, f"{LEGAL_BASIS_TEXT[LegalBasis.CONSENT]}: {name}"


def _provider_title(runtime: Runtime, purpose: str) -> str:
    """``fal.ai`` for ``provider:fal``: the name people know the provider by."""
    for item in processors(runtime):
        if item["consent_purpose"] == purpose:
            return str(item["title"])
    return purpose[len(consent.PROVIDER_PREFIX) :]


def _entry(runtime: Runtime, owner: str, purpose: str, request: Request) -> ConsentEntry:
    signals = consent.privacy_signals(request.headers.get("sec-gpc"), request.headers.get("dnt"))
    basis, text = _describe(runtime, purpose)
    return ConsentEntry(
        purpose=purpose,
        granted=consent.has_consent(runtime, owner, purpose, signals=signals),
        opt_in=consent.is_opt_in(runtime.policy, purpose),
        legal_basis=basis,
        description=text,
    )


def _purposes(runtime: Runtime) -> list[str]:
    names = [consent.ANALYTICS, consent.MARKETING, consent.OPTIONAL_COOKIES]
    names += [consent.provider_purpose(item["name"]) for item in processors(runtime)]
    return [name for name in names if consent.is_offered(runtime.policy, name)]


@router.get(
    f"{PREFIX}/consents", dependencies=[SCOPE], response_model=ConsentList, responses=ERRORS
)
def list_consents(request: Request, runtime: RuntimeDep, owner: Owner) -> ConsentList:
    """Each purpose you can decide on, its legal basis, and your current decision."""
    return ConsentList(
        purposes=[_entry(runtime, owner, name, request) for name in _purposes(runtime)]
    )


@router.put(
    f"{PREFIX}/consents/{{purpose}}",
    dependencies=[SCOPE],
    response_model=ConsentEntry,
    responses=ERRORS,
)
def change_consent(
    purpose: str, body: ConsentChange, request: Request, runtime: RuntimeDep, owner: Owner
) -> ConsentEntry:
    """Grant or withdraw; recorded with the policy's version hash, effective at once.

    Granting a purpose the policy reserves for adults asks first: 403 ``age_required``
    (answer at ``POST /api/v1/privacy/age``, then retry) from someone never asked, 403
    from someone who said they are under the minimum age.
    """
    purpose = consent.check_purpose(purpose)
    if body.granted:
        adults.check_answered(runtime, owner, purpose)
    consent.set_consent(runtime, owner, purpose, body.granted)
    return _entry(runtime, owner, purpose, request)


# -- rights ---------------------------------------------------------------------------------


@router.get(f"{PREFIX}/access", dependencies=[SCOPE], responses=ERRORS)
def access(runtime: RuntimeDep, owner: Owner) -> dict[str, Any]:
    """What we hold about you (counts, retention), or an honest "nothing"."""
    summary = holdings.access_summary(runtime, owner)
    dsr.record_self_service(runtime, dsr.RequestKind.ACCESS, {"held": len(summary["held"])})
    return summary


@router.get(
    f"{PREFIX}/export",
    dependencies=[SCOPE],
    responses={**ERRORS, 200: {"content": {export.MEDIA_TYPE: {}}, "description": "A ZIP."}},
    response_class=StreamingResponse,
)
def export_route(runtime: RuntimeDep, owner: Owner) -> Response:
    """Everything we hold about you as a ZIP: data.json plus your media, decrypted."""
    dsr.record_self_service(runtime, dsr.RequestKind.EXPORT, {})
    stamp = runtime.clock().strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        export.stream_export(runtime, [owner]),
        media_type=export.MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="reelvault-export-{stamp}.zip"',
            "Cache-Control": "no-store",
        },
    )


@router.post(f"{PREFIX}/erase", dependencies=[SCOPE], responses=ERRORS)
async def erase_route(runtime: RuntimeDep, owner: Owner) -> dict[str, Any]:
    """Crypto-shred everything of yours now, your API keys and session included."""
    report = await run_in_threadpool(erase.erase_owner, runtime, owner)
    await run_in_threadpool(
        dsr.record_self_service, runtime, dsr.RequestKind.ERASE, report.as_dict()
    )
    response = report.as_dict()
    response.pop("scratch_removed", None)
    return {"erased": response}


@router.post(f"{PREFIX}/restrict", dependencies=[SCOPE], responses=ERRORS)
def restrict_route(
    runtime: RuntimeDep, owner: Owner, body: Annotated[RestrictBody | None, Body()] = None
) -> dict[str, Any]:
    """Restrict processing (data kept, queued jobs held, new jobs refused), or lift it."""
    wanted = True if body is None else body.restricted
    state = restrict.set_restricted(runtime, owner, wanted)
    dsr.record_self_service(runtime, dsr.RequestKind.RESTRICT, {"held_jobs": state.held_jobs})
    return {"restricted": state.restricted, "held_jobs": state.held_jobs}


@router.post(f"{PREFIX}/object", dependencies=[SCOPE], responses=ERRORS)
def object_route(request: Request, runtime: RuntimeDep, owner: Owner) -> dict[str, Any]:
    """Object to analytics and marketing: both stop at once."""
    withdrawn = restrict.object_to_processing(runtime, owner)
    dsr.record_self_service(runtime, dsr.RequestKind.OBJECT, {"purposes": len(withdrawn)})
    return {
        "objected": withdrawn,
        "purposes": [_entry(runtime, owner, name, request) for name in _purposes(runtime)],
    }


@router.post(f"{PREFIX}/age", dependencies=[SCOPE], responses=ERRORS)
def age_route(body: AgeBody, runtime: RuntimeDep, owner: Owner) -> dict[str, Any]:
    """Your answer to the age question; under the minimum age nothing personal is kept.

    An answer of "under age" stands: changing it to "old enough" is refused (403) until
    the operator reviews it.
    """
    declared = age.declare_age(runtime, owner, over_minimum_age=body.over_minimum_age)
    return {
        "over_minimum_age": declared.over_minimum_age,
        "minimum_age": declared.minimum_age,
        "required": adults.gate_required(runtime.policy),
        "erased": declared.erased.as_dict() if declared.erased is not None else None,
    }


# -- notify-me ------------------------------------------------------------------------------


@router.post(f"{PREFIX}/notify", dependencies=[SCOPE], status_code=202, responses=ERRORS)
async def notify_signup(
    request: Request, body: NotifyBody, ctx: Ctx, owner: Owner
) -> dict[str, str]:
    """Sign up for availability news: a confirmation link is e-mailed (double opt-in).

    Each caller's signup is their own: signing up an address someone else signed up
    starts a new double opt-in and shows or links nothing of theirs. Confirmation e-mails
    draw on the deployment's outgoing-mail budget (429 with Retry-After when spent).
    """
    runtime = ctx.runtime
    if adults.is_under_age(runtime, owner):
        raise adults.under_age_error(runtime.policy)
    smtp = notify.smtp_settings(runtime.settings)
    if smtp is None:
        raise ConflictError(
            "notify-me e-mail is not set up on this deployment (no SMTP server configured)",
            param="email",
        )
    # An e-mail address: only from someone old enough.
    await run_in_threadpool(adults.check_adult, runtime, owner)
    await check_submission_limits(ctx, request, owner)
    await run_in_threadpool(notify.subscribe, runtime, smtp, body.email, owner_id=owner)
    # The same answer whether the address was new, pending or confirmed (no probing).
    return {"status": "check_your_inbox"}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{title}</title></head><body style="font-family:system-ui,sans-serif;'
        f'max-width:40rem;margin:3rem auto;padding:0 1rem"><h1>{title}</h1>{body}</body></html>'
    )
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


Token = Annotated[str, Query(min_length=8, max_length=200)]


@router.get(f"{PREFIX}/notify/confirm", response_class=HTMLResponse)
def notify_confirm(token: Token, runtime: RuntimeDep) -> HTMLResponse:
    """The link in the confirmation e-mail."""
    if notify.confirm(runtime, token):
        return _page("Subscribed", "<p>Thank you: we will e-mail you when it is available.</p>")
    return _page("Link not valid", "<p>This link was used already or has expired.</p>", 404)


@router.get(f"{PREFIX}/notify/unsubscribe", response_class=HTMLResponse)
def notify_unsubscribe_page(token: Token) -> HTMLResponse:
    """The link in each e-mail: a page with one button (a GET never unsubscribes, so mail
    scanners that prefetch links cannot unsubscribe anyone)."""
    action = escape(f"{PREFIX}/notify/unsubscribe?token={quote(token, safe='')}")
    form = (
        f'<form method="post" action="{action}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        "<p>Stop these e-mails and delete your address?</p>"
        '<button type="submit">Unsubscribe</button></form>'
    )
    return _page("Unsubscribe", form)


@router.post(f"{PREFIX}/notify/unsubscribe", response_class=HTMLResponse)
def notify_unsubscribe(token: Token, runtime: RuntimeDep) -> HTMLResponse:
    """RFC 8058 one-click unsubscribe: the address is shredded. Idempotent."""
    notify.unsubscribe(runtime, token)
    return _page("Unsubscribed", "<p>Your address has been deleted. No more e-mails.</p>")


# -- the policy -----------------------------------------------------------------------------


@router.get("/privacy", response_class=HTMLResponse, include_in_schema=False)
def privacy_page(runtime: RuntimeDep) -> HTMLResponse:
    """The privacy policy, rendered from the live policy file."""
    return HTMLResponse(
        policy_html(runtime),
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )


@router.get("/privacy.json")
def privacy_json(runtime: RuntimeDep) -> JSONResponse:
    """The privacy policy as JSON, with its version hash, processors and transfers."""
    return JSONResponse(public_policy(runtime))


__all__ = ["router"]
