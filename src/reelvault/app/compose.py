"""The composition root: a :class:`~reelvault.runtime.Runtime` with every layer wired in.

The API, the studio, the CLI and worker processes all open their runtime here, so the
privacy layer's gate and job-end hooks are part of every job however it was started.
"""

from __future__ import annotations

import dataclasses

from reelvault.accounts.quotas import PlanAdmission, refund_unrun_job
from reelvault.config import Settings
from reelvault.engines.registry import EngineRegistry
from reelvault.moderation import ModeratorRegistry
from reelvault.privacy.job_gate import privacy_job_hooks
from reelvault.runtime import Runtime
from reelvault.types import Clock, utc_now


def open_runtime(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    registry: EngineRegistry | None = None,
    moderators: ModeratorRegistry | None = None,
    run_migrations: bool = True,
) -> Runtime:
    """Open the database, vault and engines for ``settings``, with the privacy hooks (and,
    for ``queue=celery``, the broker that stored jobs are published to)."""
    # A job that never ran gives its seconds back to the owner's plan (where plans exist).
    hooks = privacy_job_hooks()
    hooks = dataclasses.replace(hooks, end_hooks=(*hooks.end_hooks, refund_unrun_job))
    # ...and its jobs at once are counted again as the job is stored, under a lock.
    hooks = dataclasses.replace(hooks, admission=PlanAdmission())
    if settings.queue == "celery":
        # Late: Celery is an optional dependency (reelvault[scale]).
        from reelvault.jobs.queue.celery_queue import CeleryDispatch

        hooks = dataclasses.replace(hooks, dispatch=CeleryDispatch(settings))
    return Runtime.open(
        settings,
        hooks=hooks,
        clock=clock,
        registry=registry,
        moderators=moderators,
        run_migrations=run_migrations,
    )


__all__ = ["open_runtime"]
