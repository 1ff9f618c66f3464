"""The application factory: one process serving the API, running workers and the sweeper."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from fastapi import Depends, FastAPI
from starlette.staticfiles import StaticFiles

from reelvault import __version__
from reelvault.api.access_log import AccessLog
from reelvault.api.metrics_export import app_registry
from reelvault.api.routes import (
    admin_ops,
    admin_users,
    billing,
    characters,
    native,
    native_derived,
    openai_videos,
    ops,
    privacy,
    provenance,
    reports,
)
from reelvault.api.slow_clients import BodyDeadline
from reelvault.app.compose import open_runtime
from reelvault.config import Settings
from reelvault.http.address_limits import AddressLimits
from reelvault.http.body_cap import ACCOUNT_PREFIX, MAX_ACCOUNT_BODY_BYTES, BodyCap
from reelvault.http.cors import OriginAllowList
from reelvault.http.deps import ApiContext
from reelvault.http.errors import install_error_handlers
from reelvault.http.hosts import HostAllowList, HostCheck
from reelvault.http.login_throttle import LoginThrottle
from reelvault.http.ratelimit import RateLimiter
from reelvault.http.security_headers import SecurityHeaders
from reelvault.jobs.intake import JobIntake
from reelvault.jobs.pool import WorkerPool
from reelvault.jobs.webhooks import WebhookDispatcher
from reelvault.jobs.worker import Worker
from reelvault.logs import guard_log_records
from reelvault.privacy.sweeper import PeriodicSweeper
from reelvault.runtime import Runtime
from reelvault.web.account_email import router as account_email_router
from reelvault.web.account_keys import router as account_keys_router
from reelvault.web.account_routes import router as account_router
from reelvault.web.csrf import csrf_protect
from reelvault.web.docs import OPENAPI_URL
from reelvault.web.docs import router as docs_router
from reelvault.web.oidc_routes import router as oidc_router
from reelvault.web.routes import STATIC_DIR
from reelvault.web.routes import router as web_router

if TYPE_CHECKING:
    from reelvault.jobs.queue.celery_queue import CeleryMaintenance

WorkerMode = Literal["process", "thread", "none"]

DESCRIPTION = """\
Self-hostable AI video generation whose privacy policy is enforced by its code.

* **Native API** under `/api/v1`: jobs for text→video, image→video and dance, with
  progress as Server-Sent Events, downloads with HTTP Range, signed webhooks.
* **OpenAI-compatible Videos API** under `/v1`: the official `openai` SDK works by
  changing its base URL.

Authenticate with `Authorization: Bearer rv-...` (create keys with
`reelvault keys create --name NAME`). Until the first key is ever created, a server
bound to loopback serves its single local user without keys; after that, requests
without a valid key get 401, even if every key is later revoked or erased.
"""


class _Services:
    """Background parts started with the app and stopped with it."""

    def __init__(self, runtime: Runtime, mode: WorkerMode, count: int) -> None:
        self.runtime = runtime
        self.mode = mode
        self.count = count if mode != "none" else 0
        self.pool: WorkerPool | None = None
        self.threads: list[threading.Thread] = []
        self.stop_event = threading.Event()
        self.sweeper: PeriodicSweeper | None = None
        self.webhooks: WebhookDispatcher | None = None
        self.maintenance: CeleryMaintenance | None = None

    def start(self) -> None:
        # Fresh threads each start: an app may be started and stopped more than once.
        self.stop_event = threading.Event()
        self.threads = []
        if self.mode == "process":
            self.pool = WorkerPool(
                self.runtime.settings, self.count, open_runtime, runtime=self.runtime
            )
            self.pool.start()
        elif self.mode == "thread":
            for index in range(self.count):
                worker = Worker(self.runtime, worker_id=f"api-thread-{index}")
                thread = threading.Thread(
                    target=worker.run_forever, args=(self.stop_event,), daemon=True
                )
                thread.start()
                self.threads.append(thread)
        dispatch = self.runtime.hooks.dispatch
        if dispatch is not None:
            # queue=celery: workers are `reelvault worker` nodes; this node helps requeue
            # the jobs of dead ones and republish messages a broker lost.
            from reelvault.jobs.queue.celery_queue import CeleryMaintenance

            self.maintenance = CeleryMaintenance(self.runtime, dispatch)
            self.maintenance.start()
        self.sweeper = PeriodicSweeper(self.runtime, self.runtime.settings.sweep_interval_seconds)
        self.sweeper.start()
        self.webhooks = WebhookDispatcher(self.runtime)
        self.webhooks.start()

    def metrics_dir(self) -> Path | None:
        return self.pool.metrics_dir if self.pool is not None else None

    def alive(self) -> int:
        if self.pool is not None:
            return self.pool.alive()
        return sum(1 for thread in self.threads if thread.is_alive())

    def stop(self) -> None:
        if self.maintenance is not None:
            self.maintenance.stop()
        if self.sweeper is not None:
            self.sweeper.stop()
        if self.webhooks is not None:
            self.webhooks.stop()
        self.stop_event.set()
        if self.pool is not None:
            self.pool.stop()
        for thread in self.threads:
            thread.join(timeout=60)


def create_app(
    settings: Settings,
    *,
    runtime: Runtime | None = None,
    worker_mode: WorkerMode = "process",
) -> FastAPI:
    """Build the app. ``worker_mode``: worker processes (serve), threads (tests), or none
    (always none with queue=celery: the worker nodes run the jobs)."""
    # Whoever hosts the app (serve, another ASGI server, tests) owns the handlers; the
    # guard on third-party log text is ours to install.
    guard_log_records()
    owns_runtime = runtime is None
    runtime = runtime if runtime is not None else open_runtime(settings)
    # With queue=celery, jobs run on `reelvault worker` nodes that consume the broker.
    mode: WorkerMode = "none" if settings.queue == "celery" else worker_mode
    services = _Services(runtime, mode, settings.workers)
    ctx = ApiContext(
        runtime=runtime,
        limiter=RateLimiter(settings.rate_limit_per_minute),
        intake=JobIntake(runtime),
        address_limits=AddressLimits.from_settings(settings),
        login_throttle=LoginThrottle(
            settings.login_failures_before_backoff, float(settings.login_backoff_max_seconds)
        ),
        workers_expected=services.count,
        workers_alive=services.alive,
        workers_metrics_dir=services.metrics_dir,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        services.start()
        try:
            yield
        finally:
            services.stop()
            if owns_runtime:
                runtime.close()

    app = FastAPI(
        # Double-submit CSRF check on state-changing requests made with a session cookie.
        dependencies=[Depends(csrf_protect)],
        title="reelvault",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # FastAPI's docs pages load scripts from a CDN: ours come from this origin.
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_URL if settings.docs_enabled else None,
    )
    app.state.ctx = ctx
    app.state.metrics_registry = app_registry(ctx)
    app.state.host_allow_list = HostAllowList.from_settings(settings)
    install_error_handlers(app)
    app.include_router(ops.router)
    app.include_router(native.router)
    app.include_router(native_derived.router)
    # Before /v1/videos/{video_id}...: "characters" is not a video id.
    app.include_router(characters.openai_router)
    app.include_router(characters.router)
    app.include_router(openai_videos.router)
    app.include_router(privacy.router)
    app.include_router(provenance.router)
    app.include_router(reports.router)
    app.include_router(reports.admin_router)
    app.include_router(admin_users.router)
    app.include_router(admin_ops.router)
    app.include_router(billing.router)
    app.include_router(web_router)
    app.include_router(account_router)
    app.include_router(account_keys_router)
    app.include_router(account_email_router)
    app.include_router(oidc_router)
    if settings.docs_enabled:
        app.include_router(docs_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    # Inside the body deadline, so a trickled account body is still cut at its deadline.
    app.add_middleware(BodyCap, prefix=ACCOUNT_PREFIX, max_bytes=MAX_ACCOUNT_BODY_BYTES)
    app.add_middleware(
        BodyDeadline,
        timeout_seconds=settings.body_timeout_seconds,
        min_bytes_per_second=settings.body_min_bytes_per_second,
    )
    app.add_middleware(AccessLog)
    # A request for a name this server does not own (DNS rebinding) is refused before
    # anything but the security headers sees it.
    if settings.cors_allow_origins:  # none listed: same origin only, no CORS headers at all
        app.add_middleware(OriginAllowList, origins=settings.cors_allow_origins)
    app.add_middleware(HostCheck, allow_list=app.state.host_allow_list)
    # Outermost: every answer, the Host check's refusals included, carries the headers.
    app.add_middleware(SecurityHeaders, settings=settings)
    return app


__all__ = ["WorkerMode", "create_app"]
