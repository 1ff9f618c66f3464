"""Operations: liveness, readiness and Prometheus metrics (no personal data in any).

Once API keys exist, the details (metrics, which readiness check fails) are for the
operator only: see api/operator_access.py.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import func, select, text

from reelvault.api.operator_access import may_see_operations
from reelvault.db.models import Job
from reelvault.errors import UnauthorizedError
from reelvault.http.deps import Ctx
from reelvault.types import JobStatus

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


def _line(name: str, value: float, **labels: str) -> str:
    if labels:
        rendered = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
        return f"{name}{{{rendered}}} {value:g}"
    return f"{name} {value:g}"


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={401: {"description": "Once API keys exist: the metrics token is needed."}},
)
def metrics(request: Request, ctx: Ctx) -> PlainTextResponse:
    """Prometheus text format: job counts by state and engine, durations, queue depth.

    Once API keys exist: send ``Authorization: Bearer <metrics_token>``, or scrape from
    this machine.
    """
    runtime = ctx.runtime
    if not may_see_operations(request, runtime):
        raise UnauthorizedError(
            "metrics need the metrics token (Authorization: Bearer ...) or a loopback client"
        )
    lines = [
        "# HELP reelvault_jobs Jobs by state and engine.",
        "# TYPE reelvault_jobs gauge",
    ]
    with runtime.session() as session:
        counts = session.execute(
            select(Job.status, Job.engine, func.count()).group_by(Job.status, Job.engine)
        ).all()
        durations = session.execute(
            select(Job.engine, Job.started_at, Job.completed_at).where(
                Job.status == JobStatus.COMPLETED.value
            )
        ).all()
    queued = 0
    for status, engine, count in counts:
        lines.append(_line("reelvault_jobs", count, state=status, engine=engine))
        if status == JobStatus.QUEUED.value:
            queued += count
    lines += [
        "# HELP reelvault_queue_depth Jobs waiting for a worker.",
        "# TYPE reelvault_queue_depth gauge",
        _line("reelvault_queue_depth", queued),
        "# HELP reelvault_job_duration_seconds Run time of completed jobs still on record.",
        "# TYPE reelvault_job_duration_seconds summary",
    ]
    per_engine: dict[str, tuple[int, float]] = {}
    for engine, started, completed in durations:
        if started is None or completed is None:
            continue
        count, total = per_engine.get(engine, (0, 0.0))
        per_engine[engine] = (count + 1, total + (completed - started).total_seconds())
    for engine, (count, total) in sorted(per_engine.items()):
        lines.append(_line("reelvault_job_duration_seconds_count", count, engine=engine))
        lines.append(_line("reelvault_job_duration_seconds_sum", total, engine=engine))
    lines += [
        "# HELP reelvault_workers_alive Worker processes or threads running.",
        "# TYPE reelvault_workers_alive gauge",
        _line("reelvault_workers_alive", ctx.workers_alive()),
    ]
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")


__all__ = ["router"]
