"""One error shape per API surface.

Native (``/api/v1`` and operations): ``{"error": {"code", "message", "param"}}``.
OpenAI-compatible (``/v1``): ``{"error": {"message", "type", "param", "code"}}`` with
OpenAI's status codes (invalid input is 400 there, 422 natively).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelvault.errors import (
    AgeRequiredError,
    ConsentRequiredError,
    ContentBlockedError,
    InsufficientScopeError,
    RateLimitedError,
    ReelvaultError,
    ValidationError,
)

log = logging.getLogger(__name__)

OPENAI_PREFIX = "/v1/"
#: Where an owner answers the age question (named in ``age_required`` errors).
AGE_ENDPOINT = "/api/v1/privacy/age"

_OPENAI_TYPES = {
    401: "authentication_error",
    404: "invalid_request_error",
    409: "invalid_request_error",
    410: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    429: "rate_limit_error",
}


def _is_openai(request: Request) -> bool:
    return request.url.path.startswith(OPENAI_PREFIX)


def error_response(
    request: Request,
    *,
    status: int,
    code: str,
    message: str,
    param: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any]
    if _is_openai(request):
        if status == 422:
            status = 400
        kind = _OPENAI_TYPES.get(status, "invalid_request_error" if status < 500 else "api_error")
        body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    else:
        body = {"error": {"code": code, "message": message, "param": param}}
    if extra:
        body["error"].update(extra)
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    errors = exc.errors()
    if not errors:
        return "invalid request", None
    first = errors[0]
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    param = ".".join(location) or None
    message = str(first.get("msg", "invalid value"))
    if first.get("type") == "json_invalid":
        return "the request body is not valid JSON", None
    return (f"{param}: {message}" if param else message), param


DATABASE_RETRY_AFTER_S = 5


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ReelvaultError)
    async def _reelvault(request: Request, exc: ReelvaultError) -> JSONResponse:
        headers = None
        if isinstance(exc, RateLimitedError):
            headers = {"Retry-After": str(exc.retry_after)}
        status = exc.http_status
        if status >= 500 and not isinstance(exc, ValidationError):
            log.error("request failed: %s (%s)", exc.code, type(exc).__name__)
        extra: dict[str, Any] | None = None
        if isinstance(exc, ConsentRequiredError):
            extra = {"provider": exc.provider, "sends": exc.sends}
        elif isinstance(exc, ContentBlockedError):
            extra = {"categories": exc.categories}
        elif isinstance(exc, AgeRequiredError):
            extra = {"age_endpoint": AGE_ENDPOINT, "minimum_age": exc.minimum_age}
        elif isinstance(exc, InsufficientScopeError):
            extra = {"required_scope": exc.scope}
            # RFC 6750 section 3: the scope a bearer token would need.
            headers = {
                "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{exc.scope}"'
            }
        return error_response(
            request,
            status=status,
            code=exc.code,
            message=exc.message,
            param=exc.param,
            headers=headers,
            extra=extra,
        )

    @app.exception_handler(OperationalError)
    async def _database_down(request: Request, exc: OperationalError) -> JSONResponse:
        # The database restarting, unreachable or busy: nothing the client did wrong, and
        # worth retrying. The driver's message may name hosts or queries: never shown.
        log.error("request failed: the database did not answer (%s)", type(exc.orig).__name__)
        return error_response(
            request,
            status=503,
            code="database_unavailable",
            message="the database is not answering; retry in a few seconds",
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)},
        )

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> JSONResponse:
        # A value the database refuses to compare or store: PostgreSQL takes no NUL
        # character in text (an id like "job_%00" in a path), whatever the route.
        log.warning("request refused: the database refused a value (%s)", type(exc.orig).__name__)
        return error_response(
            request,
            status=422,
            code="invalid_request",
            message="a value in the request cannot be stored or looked up "
            "(e.g. it holds a NUL character)",
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, param = _validation_message(exc)
        return error_response(
            request, status=422, code="invalid_request", message=message, param=param
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
        return error_response(
            request,
            status=exc.status_code,
            code=codes.get(exc.status_code, "http_error"),
            message=str(exc.detail),
            headers=dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Reached only by a failure outside UnexpectedErrors (an outer middleware).
        route = getattr(request.scope.get("route"), "path", "unmatched")
        log.error("unexpected %s on %s %s", type(exc).__name__, request.method, route)
        return error_response(
            request, status=500, code="internal_error", message="internal server error"
        )

    app.add_middleware(UnexpectedErrors)


class UnexpectedErrors:
    """The catch-all: an exception no handler took becomes a 500 in the error shape.

    It logs the exception's type and the route's template (``/api/v1/jobs/{job_id}``)
    and nothing else: no message (it may quote input), no traceback (its frames name
    scratch paths and job ids). Starlette's own catch-all would re-raise the exception
    after answering, so that the server logs it with its traceback; this one, sitting
    inside it, does not.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_noting_start(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_noting_start)
        except Exception as exc:
            route = getattr(scope.get("route"), "path", "unmatched")
            log.error("unexpected %s on %s %s", type(exc).__name__, scope["method"], route)
            if started:
                return  # mid-response: nothing more can be said; the server closes it
            response = error_response(
                Request(scope), status=500, code="internal_error", message="internal server error"
            )
            await response(scope, receive, send)


__all__ = ["UnexpectedErrors", "error_response", "install_error_handlers"]
