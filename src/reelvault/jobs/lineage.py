"""What a derived job's run needs of its source (see :mod:`reelvault.jobs.derive`).

* The source's prompt, where this server's policy still keeps it (the redacted copy kept
  beyond the job): read into memory for the engine, never stored with the new job. When
  it is gone (not kept, or the source deleted) the new prompt stands alone.
* Its copy of the source's finished video (an extension's; a video-to-video remix's or
  edit's), decrypted into the job's scratch directory and handed to the engine as
  ``inputs["source_video"]``. An extension's frames open the new video unchanged (they
  already carry the source's label and watermark) before the frames the engine renders
  after them: its lead-in.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reelvault.db.models import Job
from reelvault.engines.base import Derivation, Frame
from reelvault.errors import EngineError, VaultError
from reelvault.jobs import objects
from reelvault.media.decode import iter_video_frames
from reelvault.media.probe import probe_video
from reelvault.runtime import Runtime
from reelvault.types import ObjectId


@dataclass(frozen=True)
class Lineage:
    """A job's source, as its row records it (all None for a video made from scratch)."""

    derivation: Derivation | None = None
    source_job_id: str | None = None
    source_video: ObjectId | None = None  # the job's copy of the source's video
    timeline_frames: int | None = None  # an extension's engine timeline, in frames

    @classmethod
    def of(cls, job: Job) -> Lineage:
        if not job.derivation:
            return cls()
        video = job.object_of_kind(objects.SOURCE_VIDEO)
        return cls(
            derivation=Derivation(job.derivation),
            source_job_id=job.source_job_id,
            source_video=ObjectId(video.id) if video is not None else None,
            timeline_frames=job.timeline_frames,
        )


@dataclass(frozen=True)
class LeadIn:
    """The frames an extension starts with: the source's, decoded from its video."""

    path: Path
    frame_count: int
    size: tuple[int, int]

    def frames(self) -> Iterator[Frame]:
        yield from iter_video_frames(self.path, size=self.size)


def source_prompt(runtime: Runtime, lineage: Lineage, *, owner_id: str) -> str | None:
    """The source's kept prompt, for the engine to apply the new prompt's changes to."""
    if lineage.source_job_id is None:
        return None
    with runtime.session() as session:
        source = session.get(Job, lineage.source_job_id)
        if source is None or source.owner_id != owner_id:
            return None
        kept = source.object_of_kind(objects.PROMPT)
        object_id = ObjectId(kept.id) if kept is not None else None
    if object_id is None:
        return None
    try:
        prompt, _free_text = objects.read_prompt_document(runtime.vault, object_id)
    except (VaultError, ValueError):
        return None  # shredded meanwhile
    return prompt


def source_video(runtime: Runtime, lineage: Lineage, scratch: Path) -> Path | None:
    """Decrypt the job's copy of its source's video into scratch space, where it has one
    (an extension, and a video-to-video remix or edit; see jobs.derive)."""
    if lineage.source_video is None:
        if lineage.derivation is Derivation.EXTENSION:
            raise EngineError("the video to extend is no longer kept")
        return None
    path = scratch / "source_video.mp4"
    runtime.vault.write_to(lineage.source_video, path)
    return path


def lead_in(lineage: Lineage, path: Path | None, *, size: tuple[int, int]) -> LeadIn | None:
    """An extension's lead-in: the frames of its source's video (decrypted at ``path``)."""
    if lineage.derivation is not Derivation.EXTENSION or path is None:
        return None
    info = probe_video(path)
    if info.frame_count < 1:
        raise EngineError("the video to extend has no frames")
    return LeadIn(path=path, frame_count=info.frame_count, size=size)


__all__ = ["LeadIn", "Lineage", "lead_in", "source_prompt", "source_video"]
