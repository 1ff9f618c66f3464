"""The studio's pages (``/``, ``/privacy-centre``, ``/account/...``) and its JSON endpoints."""

from __future__ import annotations

import contextlib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, JSONResponse, Response

from reelvault.accounts.keys import key_for_secret
from reelvault.errors import RateLimitedError, UnauthorizedError
from reelvault.http.deps import KEY_REQUIRED, Ctx, RuntimeDep
from reelvault.http.error_schema import ErrorOut
from reelvault.web.csrf import csrf_protect
from reelvault.web.headers import PAGE_HEADERS, ensure_browser_session, issue_session
from reelvault.web.studio_config import StudioConfig, studio_config

PACKAGE_DIR = Path(str(resources.files("reelvault.web")))
STATIC_DIR = PACKAGE_DIR / "static"
PAGES_DIR = PACKAGE_DIR / "pages"

router = APIRouter(tags=["studio"])


@cache
def _page(name: str) -> str:
    return (PAGES_DIR / name).read_text(encoding="utf-8")


async def _serve(request: Request, ctx: Ctx, name: str) -> Response:
    response = HTMLResponse(_page(name), headers=PAGE_HEADERS)
    # Past the per-address limit the page still loads; when the studio asks for a
    # session it hears why (429 with Retry-After).
    with contextlib.suppress(RateLimitedError):
        await run_in_threadpool(ensure_browser_session, request, response, ctx)
    return response


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def studio_page(request: Request, ctx: Ctx) -> Response:
    return await _serve(request, ctx, "studio.html")


@router.get("/privacy-centre", response_class=HTMLResponse, include_in_schema=False)
async def privacy_centre_page(request: Request, ctx: Ctx) -> Response:
    return await _serve(request, ctx, "privacy-centre.html")


@router.get("/report", response_class=HTMLResponse, include_in_schema=False)
async def report_page(request: Request, ctx: Ctx) -> Response:
    """The form that reports a video (POST /api/v1/reports); ``?job=`` fills it in."""
    return await _serve(request, ctx, "report.html")


# The account pages. The e-mailed links open /account/verify-email and
# /account/password-reset (reelvault.web.account_mail), with the token in the query.
ACCOUNT_PAGES = {
    "/account": "account.html",
    "/account/signup": "signup.html",
    "/account/login": "login.html",
    "/account/password-reset": "password-reset.html",
    "/account/verify-email": "verify-email.html",
}


def _account_page(name: str) -> Any:
    async def serve(request: Request, ctx: Ctx) -> Response:
        return await _serve(request, ctx, name)

    return serve


for _path, _name in ACCOUNT_PAGES.items():
    router.add_api_route(
        _path,
        _account_page(_name),
        methods=["GET"],
        response_class=HTMLResponse,
        include_in_schema=False,
    )


@router.get("/api/v1/studio/config", response_model=StudioConfig)
def get_studio_config(runtime: RuntimeDep) -> StudioConfig:
    """The policy's plain words and the upload limits, for the studio's checks."""
    return studio_config(runtime.policy, runtime.settings)


SESSION_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (401, 403, 429)
}


@router.post(
    "/api/v1/studio/session", dependencies=[Depends(csrf_protect)], responses=SESSION_ERRORS
)
async def open_studio_session(request: Request, ctx: Ctx) -> Response:
    """Start or keep this browser's studio session (an HttpOnly cookie).

    With `Authorization: Bearer rv-...`: the key is exchanged for a session that acts as
    its owner until the key is revoked, under a new session id. Without a key: a working
    session is kept; otherwise an anonymous one is started where this server allows it
    (keyless single-user mode, or the `anonymous_sessions` setting), else 401.
    """
    cookies = Response()
    credential = await run_in_threadpool(_open_session, request, cookies, ctx)
    response = JSONResponse(
        {"session": True, "credential": credential}, headers={"Cache-Control": "no-store"}
    )
    for value in cookies.headers.getlist("set-cookie"):
        response.headers.append("set-cookie", value)
    return response


def _open_session(request: Request, response: Response, ctx: Ctx) -> str:
    runtime = ctx.runtime
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        key = key_for_secret(runtime, secret.strip())
        if key is None:
            raise UnauthorizedError("the API key is not valid")
        issue_session(request, response, runtime, key=key)
        return "api_key"
    if not ensure_browser_session(request, response, ctx):
        raise UnauthorizedError(KEY_REQUIRED)
    return "session"


__all__ = ["ACCOUNT_PAGES", "PAGES_DIR", "STATIC_DIR", "router"]
