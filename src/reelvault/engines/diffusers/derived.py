"""Videos made from videos on the diffusers engine: remix, edit and extension.

A derived job (see ``reelvault.jobs.derive``) carries its own copy of the source's video
as ``inputs["source_video"]``. Its frames are decoded here from that file (never taken
from the source job's memory), scaled to the job's size, and handed to the model's
video pipeline (the catalogue's ``video_pipelines``):

* remix (Wan's ``WanVideoToVideoPipeline``): the source re-noised by ``strength`` and
  made again under the new prompt, in the source's length;
* edit (``WanVACEPipeline``): the source as VACE's control video, regenerated everywhere
  (no mask, which VACE reads as all ones) following the instruction;
* extension (SkyReels-V2's video-to-video diffusion forcing): the source's last frames
  are the first window's history; only the frames after them are this job's. The runner
  puts the source's own frames in front (the project's extension stitching), so the
  output starts with them unchanged.

Only the new prompt reaches a pipeline: the frames carry the source's scene.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelvault.engines.base import Derivation, GenerationRequest
from reelvault.engines.diffusers import skyreels, wan
from reelvault.engines.diffusers.catalogue import ModelSpec, VideoMode
from reelvault.errors import EngineError, UnsupportedMediaError, ValidationError
from reelvault.media.decode import iter_video_frames

MODES: dict[Derivation, VideoMode] = {
    Derivation.REMIX: "remix",
    Derivation.EXTENSION: "extension",
    Derivation.EDIT: "edit",
}
VERBS = {Derivation.REMIX: "remix", Derivation.EXTENSION: "extend", Derivation.EDIT: "edit"}


@dataclass(frozen=True)
class FramePlan:
    """Which pipeline makes the job's frames, how many it makes, and which are kept."""

    pipeline_class: str
    num_frames: int
    """The pipeline's ``num_frames`` (for a video pipeline: the video's, or an
    extension's history plus its new frames)."""
    keep: int
    """The job's frames (an extension's: the new ones only)."""
    skip: int = 0
    """Leading output frames that are not the job's (an extension's source part)."""
    video: list[Any] | None = None
    """The source's frames (PIL images at the job's size) for a video pipeline."""
    strength: float | None = None


def model_derivations(spec: ModelSpec) -> frozenset[Derivation]:
    """What ``spec`` can make from one of its videos: its ``video_pipelines``."""
    return frozenset(
        derivation for derivation, mode in MODES.items() if mode in spec.video_pipelines
    )


def native_count(count: int, frame_step: int) -> int:
    """The smallest frame count of the form ``frame_step * k + 1`` that holds ``count``."""
    if frame_step == 1:
        return count
    return math.ceil((count - 1) / frame_step) * frame_step + 1


def source_frames(path: Path, size: tuple[int, int], *, last: int | None = None) -> list[Any]:
    """The video's frames (the ``last`` ones only, if given) as RGB PIL images of ``size``."""
    from PIL import Image

    kept: deque[Any] = deque(maxlen=last)
    try:
        for frame in iter_video_frames(path, size=size):
            kept.append(Image.fromarray(frame))
    except UnsupportedMediaError:
        raise EngineError("the source video could not be decoded") from None
    if not kept:
        raise EngineError("the source video has no frames")
    return list(kept)


def _fit(frames: list[Any], count: int) -> list[Any]:
    """``count`` frames: trimmed, or the last one held to make up the length the VAE needs."""
    return (frames + [frames[-1]] * count)[:count]


def plan_derived(
    spec: ModelSpec,
    request: GenerationRequest,
    *,
    size: tuple[int, int],
    wanted: int,
    frame_step: int,
    steps: int,
    strength: float | None,
) -> FramePlan:
    """The plan of a remix, an edit or an extension by ``spec`` (a clear error if it
    cannot make it)."""
    derivation = request.derivation
    assert derivation is not None
    pipeline_class = spec.video_pipelines.get(MODES[derivation])
    if pipeline_class is None:
        raise ValidationError(f"model {spec.id} cannot {VERBS[derivation]} videos", param="model")
    path = request.inputs.get("source_video")
    if path is None or not path.is_file():
        raise EngineError("the source video of this job is no longer kept")
    if derivation is Derivation.EXTENSION:
        return _extension(spec, pipeline_class, path, size, wanted - request.start_frame)
    if wanted > spec.max_frames:
        raise ValidationError(
            f"the source video is longer than model {spec.id} makes in one video "
            f"({spec.max_frames} frames)",
            param="video",
        )
    count = native_count(wanted, frame_step)
    video = _fit(source_frames(path, size), count)
    if derivation is not Derivation.REMIX:
        return FramePlan(pipeline_class, count, keep=wanted, video=video)
    strength = wan.REMIX_STRENGTH if strength is None else strength
    if wan.remix_steps(steps, strength) < 1:
        raise ValidationError(
            f"strength {strength:g} of {steps} steps runs no step: raise strength or steps",
            param="strength",
        )
    return FramePlan(pipeline_class, count, keep=wanted, video=video, strength=strength)


def _extension(
    spec: ModelSpec, pipeline_class: str, path: Path, size: tuple[int, int], added: int
) -> FramePlan:
    """The source's last frames (up to SkyReels-V2's history of 17, 4k + 1 of them) as the
    first window's history, then the new frames, in whole latent frames."""
    step = skyreels.FRAME_STEP
    if added < 1:
        raise ValidationError("an extension needs at least one new frame", param="seconds")
    if added > spec.max_frames:
        raise ValidationError(
            f"{added} new frames is more than model {spec.id} makes ({spec.max_frames})",
            param="seconds",
        )
    tail = source_frames(path, size, last=skyreels.OVERLAP_FRAMES)
    history = (len(tail) - 1) // step * step + 1
    tail = tail[len(tail) - history :]
    new = math.ceil(added / step) * step
    # Output: the tail as given, its history made again, then the new frames.
    return FramePlan(
        pipeline_class, history + new, keep=added, skip=len(tail) + history, video=tail
    )


__all__ = ["FramePlan", "model_derivations", "native_count", "plan_derived", "source_frames"]
