"""Operations: liveness, readiness and Prometheus metrics (no personal data in any).

Once API keys exist, the details (metrics, which readiness check fails) are for the
operator only: see api/operator_access.py.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CollectorRegistry
from sqlalchemy import text

from reelvault.api.metrics_export import CONTENT_TYPE, render
from reelvault.api.operator_access import may_see_operations
from reelvault.errors import UnauthorizedError
from reelvault.http.deps import Ctx

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready: see the failing checks."}})
def readyz(request: Request, ctx: Ctx) -> JSONResponse:
    """Ready to take jobs: the database answers, the vault has its key and its blob store
    answers (an S3 bucket: one quick request), workers run.

    The checks are listed for the operator (metrics token, loopback, or keyless mode).
    """
    checks: dict[str, bool] = {}
    try:
        with ctx.runtime.db.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = True
    except Exception:
        checks["database"] = False
    try:
        vault = ctx.runtime.vault
        checks["vault"] = bool(vault.keyring.active_id) and vault.blobs.reachable()
    except Exception:
        checks["vault"] = False
    checks["workers"] = ctx.workers_alive() >= ctx.workers_expected
    ready = all(checks.values())
    body: dict[str, object] = {"status": "ready" if ready else "not ready"}
    if may_see_operations(request, ctx.runtime):
        body["checks"] = checks
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={401: {"description": "Once API keys exist: the metrics token is needed."}},
)
def metrics(request: Request, ctx: Ctx) -> Response:
    """Prometheus text format: job outcomes, queue wait, run and encode time per engine,
    upload bytes, webhook deliveries, and the jobs queued or running now.

    Once API keys exist: send ``Authorization: Bearer <metrics_token>``, or scrape from
    this machine. Every metric is listed in docs/operations.md.
    """
    if not may_see_operations(request, ctx.runtime):
        raise UnauthorizedError(
            "metrics need the metrics token (Authorization: Bearer ...) or a loopback client"
        )
    registry: CollectorRegistry = request.app.state.metrics_registry
    return Response(render(registry), media_type=CONTENT_TYPE)


__all__ = ["router"]
