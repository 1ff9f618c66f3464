"""Accepting a job from a create request: prepared here, stored by the job intake.

Preparing a job (mapping ``model``/``engine`` to an engine, checking the request,
building its rows) is work in memory for most requests, done right here on the event
loop. Requests whose checks wait on something (a webhook host to resolve, a provider
consent to read, a model catalogue on disk, uploads to shred if refused) are prepared
on a thread instead. Storing runs on the intake's writer thread, which stores jobs that
arrive together in one batch (:mod:`reelvault.jobs.intake`); the event loop only waits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from starlette.concurrency import run_in_threadpool

from reelvault.accounts.quotas import admit, billing_enabled, release
from reelvault.engines.model_refs import refuse_server_path
from reelvault.jobs.characters import names_a_character, with_character
from reelvault.jobs.derive import DeriveAsk, prepare_derived
from reelvault.jobs.intake import JobIntake
from reelvault.jobs.request import (
    JobRequest,
    Shape,
    fill_shape,
    preparing_waits,
    resolve_engine,
    resolving_waits,
)
from reelvault.jobs.submission import PreparedJob, prepare_job
from reelvault.jobs.uploads import UploadedInput, discard_uploads
from reelvault.jobs.views import JobView
from reelvault.runtime import Runtime
from reelvault.types import Task


async def request_shape(
    runtime: Runtime,
    *,
    task: Task,
    engine: str | None,
    model: str | None,
    asked: dict[str, Any],
    fallback: Shape,
) -> Shape:
    """:func:`fill_shape` on a thread where a model must be looked up (a catalogue on
    disk), here on the event loop otherwise (the common case costs no thread hop)."""
    if model and not engine:
        return await run_in_threadpool(
            lambda: fill_shape(
                runtime, task=task, engine=engine, model=model, asked=asked, fallback=fallback
            )
        )
    return fill_shape(
        runtime, task=task, engine=engine, model=model, asked=asked, fallback=fallback
    )


async def accept_job(
    intake: JobIntake,
    runtime: Runtime,
    asked: JobRequest,
    *,
    engine: str | None,
    model: str | None,
    uploads: Sequence[UploadedInput] = (),
) -> JobView:
    """Resolve the engine, complete the request and store the job; uploads shredded on error.

    ``asked`` is the request as the client's route reads it (both the native and the
    OpenAI-compatible create routes); its engine and the params the model adds are
    filled in here, once resolved.

    Where plans are configured, the owner's plan is checked first and the job's seconds
    taken from the month (:mod:`reelvault.accounts.quotas`), given back if the job is
    then refused.

    A ``model`` (top-level or in ``params``) must be an id: a client never names a
    folder on this server (:mod:`reelvault.engines.model_refs`).
    """
    reservation = None
    if billing_enabled(runtime.settings):
        # The owner's plan first: a refused job costs no engine lookup and stores nothing.
        try:
            reservation = await run_in_threadpool(
                admit,
                runtime,
                asked.owner_id,
                width=asked.width,
                height=asked.height,
                seconds=asked.seconds,
            )
        except BaseException:
            await run_in_threadpool(discard_uploads, runtime, uploads)
            raise
    try:
        return await _accept(intake, runtime, asked, engine=engine, model=model, uploads=uploads)
    except BaseException:
        if reservation is not None:  # the job was not stored: its seconds were not used
            await run_in_threadpool(release, runtime, reservation)
        raise


async def _accept(
    intake: JobIntake,
    runtime: Runtime,
    asked: JobRequest,
    *,
    engine: str | None,
    model: str | None,
    uploads: Sequence[UploadedInput],
) -> JobView:
    if names_a_character(asked):
        # Before the engine is chosen: a character turns text→video into image→video.
        asked, uploads = await run_in_threadpool(with_character, runtime, asked, uploads)
    if uploads or resolving_waits(runtime, engine=engine, model=model):
        prepared = await run_in_threadpool(
            _prepare, runtime, asked, engine=engine, model=model, uploads=uploads
        )
    else:
        request = _client_request(runtime, asked, engine=engine, model=model)
        if preparing_waits(runtime, request):
            prepared = await run_in_threadpool(prepare_job, runtime, request)
        else:
            prepared = prepare_job(runtime, request)
    return await intake.store(prepared)


def _prepare(
    runtime: Runtime,
    asked: JobRequest,
    *,
    engine: str | None,
    model: str | None,
    uploads: Sequence[UploadedInput],
) -> PreparedJob:
    try:
        request = _client_request(runtime, asked, engine=engine, model=model)
    except BaseException:
        discard_uploads(runtime, uploads)
        raise
    return prepare_job(runtime, request, uploads)


def _client_request(
    runtime: Runtime, asked: JobRequest, *, engine: str | None, model: str | None
) -> JobRequest:
    # Checked before resolving: resolving a path would already look at the disk.
    refuse_server_path(model)
    name, extra = resolve_engine(runtime, task=asked.task, engine=engine, model=model)
    request = replace(asked, engine=name, params={**asked.params, **extra})
    refuse_server_path(request.params.get("model"))
    return request


async def accept_derived(intake: JobIntake, runtime: Runtime, ask: DeriveAsk) -> JobView:
    """Store a remix, extension or edit (:mod:`reelvault.jobs.derive`).

    The source is read and its inputs copied on a thread; where plans are configured the
    new job's seconds are taken from the month like any job's (an extension's new part
    only: the source's seconds were taken when it was made), and given back if refused.
    """
    prepared = await run_in_threadpool(prepare_derived, runtime, ask)
    reservation = None
    if billing_enabled(runtime.settings):
        job = prepared.job
        seconds = ask.seconds if ask.seconds is not None else job["seconds"]
        try:
            reservation = await run_in_threadpool(
                admit,
                runtime,
                prepared.owner_id,
                width=job["width"],
                height=job["height"],
                seconds=seconds,
            )
        except BaseException:
            await run_in_threadpool(discard_uploads, runtime, prepared.uploads)
            raise
    try:
        return await intake.store(prepared)
    except BaseException:
        if reservation is not None:
            await run_in_threadpool(release, runtime, reservation)
        raise


__all__ = ["accept_derived", "accept_job", "request_shape"]
