"""Videos made from earlier ones: remix, extension and edit (OpenAI's Videos API).

A derived job is a new job of the same owner, engine, size, frame rate, seed and
parameters as its source, with its own new prompt. It records its source's id and how it
was made (``jobs.source_job_id``, ``jobs.derivation``), never the source's prompt: where
this server's policy keeps the source's prompt, the runner reads it when the job runs
(:func:`source_prompt`) and the engine applies the new prompt's changes to it.

The source's inputs (a livephoto's photo, a dance's photo and reference) are copied,
re-encrypted under new keys, into uploads of the new job, with the retention any upload
of that job gets. An extension also copies the source's finished video, and so does a
remix or an edit by an engine that makes it from the source's frames (video to video,
``Engine.reads_source_video``): job-scoped, shredded when the new job ends. Nothing of the new
job points into the source's objects, so deleting the source leaves what was made from it.

Whether an engine can derive at all is its own declaration (``Engine.derivations``,
narrowed per model by ``Engine.model_derivations``); what cannot is refused with a 400
naming what it cannot do.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from reelvault.db.models import Job, StoredObject
from reelvault.engines.base import Derivation, Engine, EngineParams, parse_params
from reelvault.engines.registry import EngineRegistry
from reelvault.errors import (
    BadRequestError,
    ConflictError,
    GoneError,
    ValidationError,
    VaultError,
)
from reelvault.jobs import objects
from reelvault.jobs.queries import load_job
from reelvault.jobs.request import INPUT_KIND_PREFIX, REQUIRED_INPUTS, JobRequest
from reelvault.jobs.submission import PreparedJob, prepare_job
from reelvault.jobs.uploads import UploadedInput, discard_uploads
from reelvault.jobs.views import JobView
from reelvault.media.sniff import ALL_TYPES, MediaType
from reelvault.runtime import Runtime
from reelvault.types import DataClass, JobStatus, ObjectId, Task, new_object_id

VERBS = {Derivation.REMIX: "remix", Derivation.EXTENSION: "extend", Derivation.EDIT: "edit"}
_TYPES = {media_type.mime: media_type for media_type in ALL_TYPES}
UPLOADS_GONE = "this server's policy deletes uploads after processing: upload it again"
STRENGTH = (
    "A video-to-video remix's strength (diffusers models with a remix pipeline): how much "
    "of the source is re-noised and made again under the new prompt, from just above 0 "
    "(nearly the source) to 1 (nothing of it kept); default 0.8. Engines that render the "
    "source's scene again (procedural, livephoto, puppet) refuse it."
)


@dataclass(frozen=True)
class DeriveAsk:
    """What a client asks for: how, from which video, with which prompt.

    ``seconds`` is an extension's added length (OpenAI's ``seconds`` of an extension: the
    new segment; the video it makes is the stitched total). An extension's prompt may be
    empty where the source's prompt is kept: the source's scene then simply goes on.
    """

    derivation: Derivation
    source_id: str
    owner_id: str | None  # None: this machine's operator (the CLI), for any owner's job
    prompt: str
    seconds: float | None = None
    strength: float | None = None  # a video-to-video remix's: how much of the source is redone


@dataclass(frozen=True)
class _Source:
    job_id: str
    request: JobRequest
    inputs: tuple[tuple[str, ObjectId, str], ...]  # (name, object id, content type)
    video: tuple[ObjectId, str] | None  # its finished video, for the engine to start from


def _source(runtime: Runtime, ask: DeriveAsk) -> _Source:
    with runtime.session() as session:
        job = load_job(session, ask.source_id, ask.owner_id)  # another owner's: 404
        verb = VERBS[ask.derivation]
        if job.status != JobStatus.COMPLETED.value:
            raise ConflictError(
                f"video {job.id} is {job.status}: only a completed video can be used to {verb}",
                param="video",
            )
        engine = runtime.registry.get(job.engine)
        _check_engine(engine, job, ask)
        video = job.object_of_kind(objects.OUTPUT_VIDEO)
        seconds = job.seconds
        wants_video = ask.derivation is Derivation.EXTENSION or engine.reads_source_video
        if wants_video and (video is None or not job.output_frames):
            raise GoneError(f"the video of {job.id} is no longer kept", param="video")
        if ask.derivation is Derivation.EXTENSION:
            seconds = (job.output_frames or 0) / job.fps + _added_seconds(ask.seconds)
        request = JobRequest(
            prompt=ask.prompt,
            task=Task(job.task),
            engine=job.engine,
            # The size its video came out at (a model may have snapped the one asked for):
            # an extension's frames continue it, a video-to-video model starts from it.
            width=job.output_width or job.width,
            height=job.output_height or job.height,
            fps=job.fps,
            seconds=seconds,
            seed=job.seed,
            params=(
                dict(job.params)
                if ask.strength is None
                else {**job.params, "strength": ask.strength}
            ),
            owner_id=job.owner_id,
            output_format=job.output_format,
            source_job_id=job.id,
            derivation=ask.derivation.value,
            timeline_frames=(
                (job.timeline_frames or job.output_frames)
                if ask.derivation is Derivation.EXTENSION
                else None
            ),
        )
        inputs = tuple(
            (row.kind.removeprefix(INPUT_KIND_PREFIX), ObjectId(row.id), row.content_type)
            for row in job.objects
            if row.kind.startswith(INPUT_KIND_PREFIX)
        )
        missing = sorted(REQUIRED_INPUTS[request.task] - {name for name, _, _ in inputs})
        if missing:
            what = missing[0].replace("_", " ")
            raise GoneError(
                f"the {what} of {job.id} is no longer kept ({UPLOADS_GONE})", param="video"
            )
        if not ask.prompt.strip() and job.object_of_kind(objects.PROMPT) is None:
            raise BadRequestError(
                f"say what should happen next: the prompt of {job.id} is not kept here",
                param="prompt",
            )
        kept_video = None
        if wants_video and video is not None:
            kept_video = (ObjectId(video.id), video.content_type)
        return _Source(job.id, request, inputs, kept_video)


def _model_derivations(engine: Engine, params: dict[str, object]) -> frozenset[Derivation]:
    try:
        parsed = parse_params(engine, params)
    except ValidationError:
        parsed = EngineParams()  # the engine's parameters changed since: judged without them
    return engine.model_derivations(parsed)


def derivations_of(registry: EngineRegistry, view: JobView) -> frozenset[Derivation]:
    """What may be asked of a job's video now: none until it has completed, else what its
    engine and model can make from it (the same judgement a remix, extend or edit meets).

    Whether the inputs it needs are still kept is answered when it is asked (a 410)."""
    if view.status != JobStatus.COMPLETED or view.engine not in registry.names():
        return frozenset()
    engine = registry.get(view.engine)
    return engine.derivations & _model_derivations(engine, view.params)


def _check_engine(engine: Engine, job: Job, ask: DeriveAsk) -> None:
    """A 400 naming what the source's engine (or its model) cannot make from it."""
    verb = VERBS[ask.derivation]
    if ask.derivation not in engine.derivations:
        can = ", ".join(VERBS[d] for d in Derivation if d in engine.derivations)
        raise BadRequestError(
            f"engine {engine.name} cannot {verb} videos"
            + (f" (it can {can} them)" if can else "; create a new video instead"),
            param="video",
        )
    derivations = _model_derivations(engine, job.params)
    if ask.derivation not in derivations:
        model = job.params.get("model")
        subject = f"model {model}" if isinstance(model, str) else f"engine {engine.name}"
        can = ", ".join(VERBS[d] for d in Derivation if d in derivations)
        raise BadRequestError(
            f"{subject} cannot {verb} videos"
            + (f" (it can {can} them)" if can else "; create a new video instead"),
            param="video",
        )
    if ask.strength is not None and not engine.reads_source_video:
        raise BadRequestError(
            f"engine {engine.name} remixes by rendering the source's scene again: strength "
            "applies only to video-to-video models",
            param="strength",
        )


def _added_seconds(seconds: float | None) -> float:
    if seconds is None or not seconds > 0:
        raise BadRequestError("seconds must be a positive number", param="seconds")
    return seconds


def _copy(runtime: Runtime, object_id: ObjectId) -> tuple[ObjectId, int]:
    """Re-encrypt an object under a new id and key: (new id, plaintext size)."""
    new_id = new_object_id()
    try:
        with runtime.vault.open_stream(object_id) as stream:
            stored = runtime.vault.put_stream(iter(stream), object_id=new_id)
    except BaseException:
        runtime.vault.shred(new_id)
        raise
    return stored.object_id, stored.plaintext_size


def _copy_inputs(runtime: Runtime, source: _Source) -> list[UploadedInput]:
    copies: list[UploadedInput] = []
    try:
        for name, object_id, content_type in source.inputs:
            try:
                new_id, size = _copy(runtime, object_id)
            except VaultError:
                raise GoneError(
                    f"the {name.replace('_', ' ')} of {source.job_id} is no longer kept "
                    f"({UPLOADS_GONE})",
                    param="video",
                ) from None
            media_type = _TYPES.get(content_type) or MediaType(content_type, "image", ".bin")
            copies.append(UploadedInput(name, new_id, media_type, size))
    except BaseException:
        discard_uploads(runtime, copies)
        raise
    return copies


def prepare_derived(runtime: Runtime, ask: DeriveAsk) -> PreparedJob:
    """Check the source and the engine, copy what the new job needs, build its rows.

    The copies are shredded if anything here or in storing the job fails.
    """
    source = _source(runtime, ask)
    uploads = _copy_inputs(runtime, source)
    prepared = prepare_job(runtime, source.request, uploads)  # shreds the copies if refused
    if source.video is not None:
        try:
            new_id, size = _copy(runtime, source.video[0])
        except VaultError:
            discard_uploads(runtime, uploads)
            raise GoneError(
                f"the video of {source.job_id} is no longer kept", param="video"
            ) from None
        _attach_source_video(prepared, new_id, source.video[1], size)
    return prepared


def _attach_source_video(prepared: PreparedJob, object_id: ObjectId, mime: str, size: int) -> None:
    """The job's copy of its source's video: output data, shredded with the job."""
    job = prepared.job
    prepared.rows.append(
        {
            "id": object_id,
            "job_id": job["id"],
            "kind": objects.SOURCE_VIDEO,
            "data_class": DataClass.OUTPUT.value,
            "content_type": mime,
            "plaintext_size": size,
            "created_at": job["created_at"],
            "expires_with_job": True,
            "expires_at": None,
        }
    )
    media_type = _TYPES.get(mime) or MediaType(mime, "video", ".bin")
    # Listed with the uploads so that a refusal while storing shreds it too.
    prepared.uploads = [
        *prepared.uploads,
        UploadedInput("source_video", object_id, media_type, size),
    ]


def _digest(runtime: Runtime, object_id: ObjectId) -> str:
    digest = hashlib.sha256()
    with runtime.vault.open_stream(object_id) as stream:
        for chunk in stream:
            digest.update(chunk)
    return digest.hexdigest()


def find_own_video(runtime: Runtime, upload: UploadedInput, *, owner_id: str) -> str | None:
    """The id of the owner's own finished video that ``upload`` is, byte for byte, if any.

    The official SDK sends the video to extend or edit as a file; an embedded engine can
    continue only a video it made (it needs the seed and the composition), so an upload is
    matched against the owner's finished videos of the same size (only those are
    decrypted and compared). No fingerprint of any video is stored for this.
    """
    with runtime.session() as session:
        candidates: Sequence[tuple[str, str]] = session.execute(
            select(StoredObject.id, Job.id)
            .join(Job, StoredObject.job_id == Job.id)
            .where(
                Job.owner_id == owner_id,
                StoredObject.kind == objects.OUTPUT_VIDEO,
                StoredObject.plaintext_size == upload.size,
                StoredObject.expires_with_job.is_(False),
            )
            .order_by(Job.created_at.desc())
            .limit(20)
        ).all()
    if not candidates:
        return None
    wanted = _digest(runtime, upload.object_id)
    for object_id, job_id in candidates:
        try:
            if hmac.compare_digest(_digest(runtime, ObjectId(object_id)), wanted):
                return job_id
        except VaultError:
            continue  # shredded meanwhile
    return None


__all__ = [
    "STRENGTH",
    "VERBS",
    "DeriveAsk",
    "derivations_of",
    "find_own_video",
    "prepare_derived",
]
