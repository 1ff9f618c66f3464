"""Accepting a job from a create request: validated and stored by the job intake.

Mapping ``model``/``engine`` to an engine and storing the job both touch the database
and the vault. They run on the intake's writer thread, which stores jobs that arrive
together in one batch (:mod:`reelvault.jobs.intake`); the event loop only waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from reelvault.jobs.intake import JobIntake
from reelvault.jobs.runtime import Runtime
from reelvault.jobs.service import JobRequest, JobView, PreparedJob, prepare_job, resolve_engine
from reelvault.jobs.uploads import UploadedInput, discard_uploads
from reelvault.types import Task

RequestBuilder = Callable[[str, dict[str, Any]], JobRequest]
"""Builds the job request from the resolved engine name and the params the model adds."""


async def accept_job(
    intake: JobIntake,
    runtime: Runtime,
    build: RequestBuilder,
    *,
    task: Task,
    engine: str | None,
    model: str | None,
    uploads: Sequence[UploadedInput] = (),
) -> JobView:
    """Resolve the engine, build the request and store the job; uploads shredded on error."""

    def prepare() -> PreparedJob:
        try:
            name, extra = resolve_engine(runtime, task=task, engine=engine, model=model)
            request = build(name, extra)
        except BaseException:
            discard_uploads(runtime, uploads)
            raise
        return prepare_job(runtime, request, uploads)

    return await asyncio.wrap_future(intake.submit(prepare))


__all__ = ["RequestBuilder", "accept_job"]
