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
* extension by a model without that pipeline but with an image→video one (LTX, Wan I2V,
  CogVideoX I2V…): image→video from the source's last frame. Its first frame is that
  picture made again and is dropped; the colour the VAE's round trip shifted is faded
  out over the first new frames (:func:`seam_fade`), so the seam shows no jump.

Only the new prompt reaches a pipeline: the frames carry the source's scene.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reelvault.engines.base import Derivation, Frame, GenerationRequest
from reelvault.engines.diffusers import skyreels, wan
from reelvault.engines.diffusers.catalogue import ModelSpec, VideoMode
from reelvault.errors import EngineError, UnsupportedMediaError, ValidationError
from reelvault.media.decode import iter_video_frames
from reelvault.types import Task

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
    image: Any = None
    """The picture an image→video pipeline starts from, in place of the job's photo (an
    extension's: the source's last frame)."""
    seam: Frame | None = None
    """The frame the job's first frame follows (an extension's source's last frame): the
    first new frames are faded from it, see :func:`seam_fade`."""


def model_derivations(spec: ModelSpec) -> frozenset[Derivation]:
    """What ``spec`` can make from one of its videos: its ``video_pipelines``, and an
    extension wherever it makes video from a picture."""
    made = {derivation for derivation, mode in MODES.items() if mode in spec.video_pipelines}
    if Task.IMAGE_TO_VIDEO in spec.pipelines:
        made.add(Derivation.EXTENSION)
    return frozenset(made)


SEAM_SECONDS = 0.25
"""How long an image→video extension takes to fade out the seam's colour shift."""


def seam_fade(
    frames: Iterator[Frame], *, before: Frame, remade: Frame, count: int
) -> Iterator[Frame]:
    """The new frames, the first ``count`` of them moved toward the frame ``before`` them.

    An image→video pipeline starts from ``before`` but returns it ``remade`` through its
    VAE: a little brighter, darker or shifted in colour, and the frames after it carry the
    same shift. Adding the difference ``before - remade``, in full at the seam and less on
    each frame until none, joins the two parts without a jump and leaves the rest as made.
    """
    shift = before.astype(np.int16) - remade.astype(np.int16)
    for index, frame in enumerate(frames):
        if index >= count:
            yield frame
            continue
        weight = (count - index) / (count + 1)
        moved = frame.astype(np.int16) + np.rint(shift * weight).astype(np.int16)
        yield np.clip(moved, 0, 255).astype(np.uint8)


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
    # An extension without a video pipeline for it: image→video from the last frame.
    from_picture = (
        spec.pipelines.get(Task.IMAGE_TO_VIDEO)
        if derivation is Derivation.EXTENSION and pipeline_class is None
        else None
    )
    path = request.inputs.get("source_video")
    if pipeline_class is None and from_picture is None:
        raise ValidationError(f"model {spec.id} cannot {VERBS[derivation]} videos", param="model")
    if path is None or not path.is_file():
        raise EngineError("the source video of this job is no longer kept")
    added = wanted - request.start_frame
    if from_picture is not None:
        return _extension_from_last_frame(spec, from_picture, path, size, added, frame_step)
    assert pipeline_class is not None
    if derivation is Derivation.EXTENSION:
        return _extension(spec, pipeline_class, path, size, added)
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


def _check_added(spec: ModelSpec, added: int, most: int) -> None:
    if added < 1:
        raise ValidationError("an extension needs at least one new frame", param="seconds")
    if added > most:
        raise ValidationError(
            f"{added} new frames is more than model {spec.id} makes ({most})",
            param="seconds",
        )


def _extension_from_last_frame(
    spec: ModelSpec,
    pipeline_class: str,
    path: Path,
    size: tuple[int, int],
    added: int,
    frame_step: int,
) -> FramePlan:
    """Image→video from the source's last frame: that frame made again, then the new ones
    (the pipeline's count rounded up to whole latent frames, the surplus dropped)."""
    _check_added(spec, added, spec.max_frames - 1)
    last = source_frames(path, size, last=1)[-1]
    count = native_count(added + 1, frame_step)
    if count > spec.max_frames:  # a catalogue maximum not of the pipeline's own form
        raise ValidationError(
            f"{added} new frames is more than model {spec.id} makes from a picture",
            param="seconds",
        )
    return FramePlan(
        pipeline_class,
        count,
        keep=added,
        skip=1,
        image=last,
        seam=np.asarray(last, dtype=np.uint8),
    )


def _extension(
    spec: ModelSpec, pipeline_class: str, path: Path, size: tuple[int, int], added: int
) -> FramePlan:
    """The source's last frames (up to SkyReels-V2's history of 17, 4k + 1 of them) as the
    first window's history, then the new frames, in whole latent frames."""
    step = skyreels.FRAME_STEP
    _check_added(spec, added, spec.max_frames)
    tail = source_frames(path, size, last=skyreels.OVERLAP_FRAMES)
    history = (len(tail) - 1) // step * step + 1
    tail = tail[len(tail) - history :]
    new = math.ceil(added / step) * step
    # Output: the tail as given, its history made again, then the new frames.
    return FramePlan(
        pipeline_class, history + new, keep=added, skip=len(tail) + history, video=tail
    )


__all__ = [
    "SEAM_SECONDS",
    "FramePlan",
    "model_derivations",
    "native_count",
    "plan_derived",
    "seam_fade",
    "source_frames",
]
