"""A Celery worker node: consumes the queues of some engines, runs each job it claims.

The task is a job id. It claims that job in the database (:meth:`DatabaseQueue.claim_job`)
and runs it as the polling workers do, renewing its lease while it runs; when the claim
fails (the job already runs elsewhere, is done, was cancelled or deleted) the message is
acknowledged and dropped. A worker that dies mid-job loses nothing: its lease runs out,
the maintenance pass of any node requeues the job and publishes it again.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Collection, Sequence

from celery import Celery, signals

from reelvault.config import Settings
from reelvault.jobs.queue.celery_app import TASK_NAME, queue_name
from reelvault.jobs.queue.database import DatabaseQueue
from reelvault.jobs.worker import clean_stale_scratch, run_claimed
from reelvault.logs import configure_logging
from reelvault.runtime import Runtime, RuntimeFactory
from reelvault.types import JobId

log = logging.getLogger(__name__)

# Each worker process (a prefork child) opens its own runtime on its first job: a
# database connection pool must never cross a fork.
_process_state: dict[str, object] = {}


def _process_runtime(settings: Settings, open_runtime: RuntimeFactory) -> tuple[Runtime, str]:
    if _process_state.get("pid") != os.getpid():
        _process_state.clear()
        _process_state["pid"] = os.getpid()
        _process_state["runtime"] = open_runtime(settings)
        _process_state["worker_id"] = (
            f"celery-{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        )
    runtime = _process_state["runtime"]
    worker_id = _process_state["worker_id"]
    assert isinstance(runtime, Runtime) and isinstance(worker_id, str)
    return runtime, worker_id


def register_task(
    app: Celery,
    settings: Settings,
    open_runtime: RuntimeFactory,
    engines: Collection[str] | None,
) -> None:
    """Register the job task on ``app`` for a node that runs ``engines`` (None: all)."""
    taken = frozenset(engines) if engines is not None else None

    @app.task(name=TASK_NAME, ignore_result=True)  # type: ignore[untyped-decorator]
    def run_job_task(job_id: str) -> str:
        runtime, worker_id = _process_runtime(settings, open_runtime)
        queue = DatabaseQueue(runtime, engines=taken)
        if not queue.claim_job(JobId(job_id), worker_id):
            # Redelivered or republished: someone has it, or it is over. Nothing to do.
            log.info("job %s is not waiting; message dropped", job_id)
            return "skipped"
        return run_claimed(runtime, queue, JobId(job_id), worker_id)


def worker_argv(
    settings: Settings, engines: Sequence[str], concurrency: int, *, node_name: str | None = None
) -> list[str]:
    """The ``celery worker`` arguments of a node for ``engines`` with ``concurrency`` slots.

    Always the prefork pool, also for one slot: a job runs in a child process, so an
    engine that crashes the interpreter takes one child down, not the node, and the
    parent keeps the broker connection (and its heartbeats) alive while a long job runs.
    """
    queues = ",".join(queue_name(settings, engine) for engine in engines)
    return [
        "worker",
        "--queues",
        queues,
        "--concurrency",
        str(concurrency),
        "--pool",
        "prefork",
        "--hostname",
        node_name or f"reelvault-{os.getpid()}@{socket.gethostname()}",
        "--loglevel",
        settings.log_level,
        # No chatter between nodes: nothing here uses it, and it would be broker traffic.
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]


def run_celery_worker(
    app: Celery,
    settings: Settings,
    open_runtime: RuntimeFactory,
    engines: Sequence[str],
    concurrency: int,
) -> None:
    """Run a worker node in the foreground until SIGTERM/SIGINT (Celery's warm shutdown)."""
    runtime = open_runtime(settings)
    try:
        clean_stale_scratch(runtime)
    finally:
        runtime.close()
    register_task(app, settings, open_runtime, engines)

    def _our_logging(**_kwargs: object) -> None:
        # Celery leaves logging alone when someone answers this signal: our handler and
        # the guard that keeps personal data out of third-party records stay in place, and
        # so does log_format (a JSON deployment must not get text lines from its nodes).
        configure_logging(settings.log_level, settings.log_format)

    nodes: list[object] = []
    stop_signals: list[object] = []

    def _note_node(instance: object = None, **_kwargs: object) -> None:
        nodes.append(instance)

    def _note_stop_signal(sig: object = None, **_kwargs: object) -> None:
        stop_signals.append(sig)

    signals.setup_logging.connect(_our_logging, weak=False)
    signals.celeryd_init.connect(_note_node, weak=False)
    signals.worker_shutting_down.connect(_note_stop_signal, weak=False)
    app.conf.worker_redirect_stdouts = False
    app.worker_main(worker_argv(settings, engines, concurrency))
    # worker_main drops the node's exit status: a node that gave up by itself (the
    # broker refused its password) exited 0, and a supervisor that restarts failures
    # only left it down. Stopped by SIGTERM/SIGINT, the node ends with 0, as before.
    status = getattr(nodes[-1], "exitcode", 0) if nodes else 0
    if status and not stop_signals:
        raise SystemExit(status)


__all__ = ["register_task", "run_celery_worker", "worker_argv"]
