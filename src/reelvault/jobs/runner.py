"""Run one claimed job end to end: the only place vault, database and engine meet.

Decrypted inputs live only in the job's scratch directory, which is removed when the
job ends whatever the outcome (and by the next worker, should this one be killed).
"""

from __future__ import annotations

import itertools
import logging
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import select

from reelvault.db.models import Job, StoredObject
from reelvault.engines.base import Engine, Frame, GenerationRequest, parse_params
from reelvault.errors import ContentBlockedError, JobCancelledError, LeaseLostError, ReelvaultError
from reelvault.jobs import objects
from reelvault.jobs.consent_gate import check_provider_consent
from reelvault.jobs.lifecycle import finish_job
from reelvault.jobs.lineage import LeadIn, Lineage, lead_in, source_prompt, source_video
from reelvault.jobs.progress import JobProgress
from reelvault.jobs.request import INPUT_KIND_PREFIX
from reelvault.media.encode import encode_h264
from reelvault.media.encode_webm import encode_webm
from reelvault.media.provenance import (
    ProvenanceClaims,
    Watermarker,
    apply_label,
    label_text,
    load_signer,
    new_video_id,
    sign_image,
    sign_video,
    watermark_key,
)
from reelvault.media.sniff import ALL_TYPES
from reelvault.media.spritesheet import make_spritesheet
from reelvault.media.stitch_audio import stitch_soundtrack
from reelvault.media.thumbnail import make_thumbnail
from reelvault.metrics import UpstreamTimer
from reelvault.moderation import Verdict
from reelvault.private_files import ensure_private_dir
from reelvault.runtime import Runtime, ensure_scratch_root
from reelvault.types import DataClass, JobStatus, ObjectId, Task

log = logging.getLogger(__name__)

OUTPUT_FILENAME = "output.mp4"
EXTENSIONS = {media_type.mime: media_type.extension for media_type in ALL_TYPES}


def scratch_path(runtime: Runtime, job_id: str) -> Path:
    return runtime.settings.scratch_dir / job_id


def remove_scratch(path: Path) -> None:
    """Remove a job's scratch directory: the only place its decrypted inputs and frames
    ever were. Called when the job ends, whatever the outcome."""
    shutil.rmtree(path, ignore_errors=True)


def prepare_scratch(runtime: Runtime, job_id: str) -> Path:
    """A fresh private scratch directory for the job (a dead attempt's leftovers go first)."""
    path = scratch_path(runtime, job_id)
    shutil.rmtree(path, ignore_errors=True)
    ensure_scratch_root(runtime.settings)  # another process may have removed it
    return ensure_private_dir(path)


@dataclass(frozen=True)
class _Spec:
    task: Task
    engine: str
    owner_id: str
    width: int
    height: int
    fps: int
    seconds: float
    seed: int
    params: dict[str, object]
    output_format: str
    prompt_object: ObjectId | None
    inputs: tuple[tuple[str, ObjectId, str], ...]  # (name, object id, content type)
    lineage: Lineage = field(default_factory=Lineage)


def _load_spec(runtime: Runtime, job_id: str) -> _Spec:
    with runtime.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise JobCancelledError("the job was deleted")
        # Outputs half-written by a dead attempt are never finished: shred them.
        objects.discard_outputs(runtime.vault, session, job)
        prompt_row = job.object_of_kind(objects.JOB_PROMPT)
        return _Spec(
            task=Task(job.task),
            engine=job.engine,
            owner_id=job.owner_id,
            width=job.width,
            height=job.height,
            fps=job.fps,
            seconds=job.seconds,
            seed=job.seed,
            params=dict(job.params),
            output_format=job.output_format,
            prompt_object=ObjectId(prompt_row.id) if prompt_row is not None else None,
            inputs=tuple(
                (row.kind.removeprefix(INPUT_KIND_PREFIX), ObjectId(row.id), row.content_type)
                for row in job.objects
                if row.kind.startswith(INPUT_KIND_PREFIX)
            ),
            lineage=Lineage.of(job),
        )


def _keep_frame(frames: Iterator[Frame], index: int, kept: list[Frame]) -> Iterator[Frame]:
    """Pass frames through, keeping a copy of frame ``index`` for the thumbnail."""
    for position, frame in enumerate(frames):
        if position == index or (position == 0 and not kept):
            kept[:] = [frame.copy()]
        yield frame


def _sample_frames(
    runtime: Runtime, frames: Iterator[Frame], count: int, samples: list[Frame]
) -> Iterator[Frame]:
    """Pass frames through, keeping copies of a few evenly spaced ones for the moderators
    that look at images (``moderation_output_frames``); none when no such moderator runs."""
    wanted = runtime.settings.moderation_output_frames
    if not runtime.moderation.checks_images or wanted <= 0 or count <= 0:
        return frames
    picks = {min(count - 1, (2 * index + 1) * count // (2 * wanted)) for index in range(wanted)}

    def sampled() -> Iterator[Frame]:
        for position, frame in enumerate(frames):
            if position in picks:
                samples.append(frame.copy())
            yield frame

    return sampled()


OUTPUT_BLOCKED = (
    "the generated video was refused by this service's content rules (category: {}); "
    "nothing of it was kept"
)


def check_output(runtime: Runtime, samples: list[Frame], *, owner_id: str) -> None:
    """Refuse a generated video whose sampled frames the moderators block.

    Raised before anything of the output is stored: the job fails with
    ``content_blocked``, and its scratch folder (the encoded file, the frames) goes
    with the job, so nothing of the output is kept.
    """
    if not samples:
        return
    decision = runtime.moderation.assess_images(samples)
    samples.clear()
    if decision.verdict is not Verdict.ALLOW:
        runtime.hooks.gate.count_moderation(runtime, owner_id, "output", decision)
    if decision.verdict is Verdict.FLAG:
        log.warning(
            "content moderation flagged a generated video (categories: %s)",
            ", ".join(decision.categories),
        )
    if decision.blocked:
        categories = list(decision.categories)
        raise ContentBlockedError(
            OUTPUT_BLOCKED.format(", ".join(categories)), categories=categories
        )


@dataclass(frozen=True)
class Outputs:
    video: Path
    video_type: str
    thumbnail: bytes
    spritesheet: bytes
    frames: int
    fps: int
    width: int
    height: int
    has_audio: bool = False


def _provenance_marks(
    frames: Iterator[Frame], marker: Watermarker, video_id: bytes, label: str | None
) -> Iterator[Frame]:
    """Every frame gets the invisible watermark (after the visible label, if any)."""
    for index, frame in enumerate(frames):
        if label is not None:
            frame = apply_label(frame, label)
        yield marker.embed(frame, index, video_id)


def _generation_request(
    runtime: Runtime,
    spec: _Spec,
    scratch: Path,
    engine: Engine,
    source: tuple[Path | None, LeadIn | None],
) -> GenerationRequest:
    prompt: str | None = None
    free_text: dict[str, object] = {}
    if spec.prompt_object is not None:
        prompt, free_text = objects.read_prompt_document(runtime.vault, spec.prompt_object)
    # The free-text parameters were kept with the prompt, out of the job's row.
    params = parse_params(engine, {**spec.params, **free_text})
    inputs: dict[str, Path] = {}
    for name, object_id, content_type in spec.inputs:
        # Decrypted inputs exist only here, in the job's private scratch directory.
        extension = EXTENSIONS.get(content_type, ".bin")
        inputs[name] = scratch / f"{name}{extension}"
        runtime.vault.write_to(object_id, inputs[name])
    source_path, lead = source
    if source_path is not None:  # decrypted into scratch too, by lineage.source_video
        inputs["source_video"] = source_path
    lineage = spec.lineage
    return GenerationRequest(
        task=spec.task,
        width=spec.width,
        height=spec.height,
        fps=spec.fps,
        seconds=spec.seconds,
        seed=spec.seed,
        scratch_dir=scratch,
        prompt=prompt,
        params=params,
        inputs=inputs,
        derivation=lineage.derivation,
        source_prompt=source_prompt(runtime, lineage, owner_id=spec.owner_id),
        start_frame=lead.frame_count if lead is not None else 0,
        timeline_frames=(lineage.timeline_frames or lead.frame_count) if lead is not None else None,
    )


def _render_and_encode(
    runtime: Runtime, spec: _Spec, scratch: Path, progress: JobProgress
) -> Outputs:
    engine = runtime.registry.get(spec.engine)
    source_path = source_video(runtime, spec.lineage, scratch)
    lead = lead_in(spec.lineage, source_path, size=(spec.width, spec.height))
    request = _generation_request(runtime, spec, scratch, engine, (source_path, lead))
    if not engine.runs_locally:
        # Consent may have been withdrawn while the job waited in the queue.
        check_provider_consent(runtime, spec.owner_id, engine, request, params=request.params)
    progress.report(1, "rendering", force=True)
    video = engine.run(request, progress.engine)
    settings = runtime.settings
    key = watermark_key(settings)
    assert key is not None  # created on first use
    video_id = new_video_id()
    samples: list[Frame] = []
    marked: Iterator[Frame] = _provenance_marks(
        _sample_frames(runtime, video.frames, video.frame_count, samples),
        Watermarker(key),
        video_id,
        label_text(settings.visible_label),
    )
    copy_lead: Path | None = None
    if lead is not None:  # an extension: the source's own frames first, as they are...
        if spec.output_format == "webm":
            marked = itertools.chain(lead.frames(), marked)
            video = replace(video, frame_count=lead.frame_count + video.frame_count)
        else:  # ...copied without re-encoding where the stream allows (media.h264_copy)
            copy_lead = lead.path
        # ...and its sound under them, then the new part's (see media.stitch_audio).
        video = replace(
            video,
            audio_path=stitch_soundtrack(
                lead.path, lead.frame_count / video.fps, video.audio_path, scratch
            ),
        )
    kept: list[Frame] = []
    # The encoder pulls frames from the engine: time the engine apart from the encoding.
    upstream = UpstreamTimer()
    frames = upstream.wrap(_keep_frame(marked, video.frame_count // 2, kept))
    encode_started = time.perf_counter()
    if spec.output_format == "webm":
        encoded = encode_webm(
            frames, scratch / "output.webm", fps=video.fps, width=video.width, height=video.height
        )
    else:
        encoded = encode_h264(
            frames,
            scratch / OUTPUT_FILENAME,
            fps=video.fps,
            width=video.width,
            height=video.height,
            audio_source=video.audio_path,
            lead=copy_lead,
        )
    encode_s = time.perf_counter() - encode_started - upstream.seconds
    runtime.metrics.encoded(spec.output_format, encode_s)
    check_output(runtime, samples, owner_id=spec.owner_id)
    progress.report(96, "encoding", force=True)
    thumbnail = make_thumbnail(kept[0]) if kept else b""
    spritesheet = make_spritesheet(encoded.path, columns=5, tile_width=160, tiles=25, fmt="jpeg")
    signer = load_signer(settings)
    if signer is not None:
        claims = ProvenanceClaims(
            engine=spec.engine,
            model=str(spec.params.get("model") or spec.engine),
            source_type=("trainedAlgorithmicMedia" if engine.neural else "algorithmicMedia"),
            input_kinds=tuple(content_type for _, _, content_type in spec.inputs),
            watermark_id=video_id.hex(),
            derivation=spec.lineage.derivation,
        )
        # c2pa-python signs MP4 but not WebM (Matroska is not among its formats): a WebM
        # carries the watermark, and its thumbnail the credentials.
        if spec.output_format == "mp4":
            sign_video(encoded.path, encoded.path, claims, signer)
        if thumbnail:
            thumbnail = sign_image(thumbnail, "image/webp", claims, signer)
    return Outputs(
        video=encoded.path,
        video_type="video/webm" if spec.output_format == "webm" else "video/mp4",
        thumbnail=thumbnail,
        spritesheet=spritesheet,
        frames=encoded.frame_count,
        fps=video.fps,
        width=video.width,
        height=video.height,
        has_audio=encoded.has_audio,
    )


def _store_outputs(
    runtime: Runtime, job_id: str, worker_id: str, outputs: Outputs
) -> list[StoredObject]:
    now = runtime.clock()
    parts = [
        (objects.OUTPUT_VIDEO, outputs.video_type),
        (objects.OUTPUT_THUMBNAIL, "image/webp"),
        (objects.OUTPUT_SPRITESHEET, "image/jpeg"),
    ]
    rows = [
        objects.new_object_row(
            job_id=job_id, kind=kind, data_class=DataClass.OUTPUT, content_type=mime, now=now
        )
        for kind, mime in parts
    ]
    # Rows first (scoped to the job), bytes second: a crash in between leaves rows
    # that the next attempt or the sweeper shreds, never an untracked object.
    with runtime.session() as session:
        session.add_all(rows)
    objects.store_file(runtime.vault, rows[0], outputs.video)
    objects.store_bytes(runtime.vault, rows[1], outputs.thumbnail)
    objects.store_bytes(runtime.vault, rows[2], outputs.spritesheet)
    _record_outputs(runtime, job_id, worker_id, rows, outputs)
    return rows


def _record_outputs(
    runtime: Runtime, job_id: str, worker_id: str, rows: list[StoredObject], outputs: Outputs
) -> None:
    """Write down that every output is stored, with what completing the job needs.

    From this commit on, the job's outputs are whole: a worker that dies before it marks
    the job completed leaves them for the next attempt, which completes the job from them
    instead of rendering again (:func:`_recorded_outputs`).
    """
    sizes = {row.id: row.plaintext_size for row in rows}
    with runtime.session() as session:
        # Locked, so that a cancel or a takeover committed meanwhile is seen, not overwritten.
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or job.lease_owner != worker_id or job.status != "in_progress":
            return  # taken over or gone: _complete says so
        for stored in session.scalars(select(StoredObject).where(StoredObject.id.in_(sizes))):
            stored.plaintext_size = sizes[stored.id]
        # Engines may decide these (a dance follows its reference's length and rate).
        job.output_width = outputs.width
        job.output_height = outputs.height
        job.output_frames = outputs.frames
        job.output_seconds = outputs.frames / outputs.fps
        job.output_bytes = rows[0].plaintext_size
        job.output_has_audio = outputs.has_audio


def _complete(runtime: Runtime, job_id: str, worker_id: str) -> bool:
    """Mark the job completed from its recorded outputs; False when it is not ours now."""
    with runtime.session() as session:
        # Locked, so that a cancel or a takeover committed meanwhile is seen, not overwritten.
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or job.lease_owner != worker_id or job.status != "in_progress":
            return False
        if job.cancel_requested:
            raise JobCancelledError("the job was cancelled")
        if objects.recorded_outputs(runtime.vault, job) is None:
            return False  # lost between storing and now (a takeover shredded them)
        now = runtime.clock()
        for stored in job.objects:
            if stored.kind in objects.OUTPUT_KINDS:
                objects.apply_retention(stored, policy=runtime.policy, now=now)
        session.flush()
        session.refresh(job)
        finish_job(runtime, session, job, JobStatus.COMPLETED, stage="completed", now=now)
    return True


def _recorded_outputs(runtime: Runtime, job_id: str) -> bool:
    """Whether an earlier attempt stored and recorded every output of this job.

    A redelivered job (its worker died after storing the output, before marking the job
    completed) is then completed from them: rendering again would cost the whole job.
    """
    with runtime.session() as session:
        job = session.get(Job, job_id)
        return job is not None and objects.recorded_outputs(runtime.vault, job) is not None


def _finish_unless_taken(
    runtime: Runtime,
    job_id: str,
    worker_id: str,
    status: JobStatus,
    *,
    error_code: str | None = None,
    error_message: str | None = None,
) -> bool:
    with runtime.session() as session:
        # Locked, so that a cancel or a takeover committed meanwhile is seen, not overwritten.
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or job.lease_owner != worker_id or job.status != "in_progress":
            return False
        finish_job(
            runtime,
            session,
            job,
            status,
            stage=status.value,
            error_code=error_code,
            error_message=error_message,
        )
    return True


def run_job(runtime: Runtime, job_id: str, *, worker_id: str, progress: JobProgress) -> str:
    """Run a job this worker has claimed. Returns the outcome, for logs and tests."""
    started = time.monotonic()
    scratch = prepare_scratch(runtime, job_id)
    written: list[StoredObject] = []
    outcome = "lost"
    try:
        if _recorded_outputs(runtime, job_id):
            progress.report(97, "storing", force=True)
            log.info("job %s: outputs of an earlier attempt are stored; not rendering", job_id)
        else:
            spec = _load_spec(runtime, job_id)
            outputs = _render_and_encode(runtime, spec, scratch, progress)
            progress.report(97, "storing", force=True)
            written = _store_outputs(runtime, job_id, worker_id, outputs)
        if _complete(runtime, job_id, worker_id):
            outcome = "completed"
    except JobCancelledError:
        if _finish_unless_taken(runtime, job_id, worker_id, JobStatus.CANCELLED):
            outcome = "cancelled"
    except LeaseLostError:
        outcome = "lost"
    except ReelvaultError as exc:
        if _finish_unless_taken(
            runtime,
            job_id,
            worker_id,
            JobStatus.FAILED,
            error_code=exc.code,
            error_message=exc.message,
        ):
            outcome = "failed"
    except Exception as exc:
        # The message of an unexpected error might quote inputs: log its type only.
        log.error("job %s failed with an unexpected %s", job_id, type(exc).__name__)
        if _finish_unless_taken(
            runtime,
            job_id,
            worker_id,
            JobStatus.FAILED,
            error_code="internal_error",
            error_message=f"the job failed unexpectedly ({type(exc).__name__})",
        ):
            outcome = "failed"
    finally:
        if outcome != "completed":
            for row in written:
                runtime.vault.shred(ObjectId(row.id))
        remove_scratch(scratch)
    took = time.monotonic() - started
    log.info(
        "job %s %s after %.1f s",
        job_id,
        outcome,
        took,
        extra={"job_id": job_id, "outcome": outcome, "duration_s": round(took, 3)},
    )
    return outcome


__all__ = ["check_output", "prepare_scratch", "run_job", "scratch_path"]
