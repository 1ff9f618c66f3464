"""The ``livephoto`` engine: layered parallax, camera moves and subtle life motion."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import ClassVar, Literal

import cv2
import numpy as np
from pydantic import Field

from reelvault.engines.base import (
    Derivation,
    EngineBase,
    EngineLimits,
    EngineParams,
    Frame,
    GenerationRequest,
    ProgressCallback,
    VideoFrames,
)
from reelvault.engines.livephoto.motion import MOTIONS
from reelvault.engines.livephoto.render import LivePhotoRenderer
from reelvault.engines.livephoto.subject import find_subject
from reelvault.engines.livephoto.words import camera_words
from reelvault.errors import ValidationError
from reelvault.media.validate import MediaLimits, load_image
from reelvault.types import Task

Motion = Literal[
    "auto", "push-in", "pull-out", "pan-left", "pan-right", "orbit", "dolly-zoom", "none"
]


class LivePhotoParams(EngineParams):
    """Options of the livephoto engine."""

    motion: Motion = Field(
        "auto", description="Camera move; auto picks one from the seed; none: life motion only."
    )
    strength: float = Field(0.6, ge=0.0, le=1.0, description="How far the camera and body move.")
    seed: int | None = Field(None, description="Overrides the request's seed for this engine.")


def cover_fit(image: Frame, width: int, height: int) -> Frame:
    """Scale ``image`` to cover ``width`` x ``height`` and crop the overflow (centred,
    a little towards the top for tall photos, where faces are)."""
    h, w = image.shape[:2]
    scale = max(width / w, height / h)
    new_w, new_h = max(width, round(w * scale)), max(height, round(h * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(image, (new_w, new_h), interpolation=interpolation)
    left = (new_w - width) // 2
    top = round((new_h - height) * 0.35)
    return np.ascontiguousarray(resized[top : top + height, left : left + width])


def _params(request: GenerationRequest) -> LivePhotoParams:
    params = request.params
    if isinstance(params, LivePhotoParams):
        return params
    if type(params) is EngineParams:
        return LivePhotoParams()
    raise ValidationError(
        f"the livephoto engine needs LivePhotoParams, not {type(params).__name__}",
        param="params",
    )


def _motion(request: GenerationRequest, params: LivePhotoParams, seed: int) -> tuple[str, float]:
    """The camera move and strength: the parameters, the seed's pick, and for a remix or
    an edit the new prompt's camera words (an extension keeps the source's move)."""
    motion: str = params.motion
    if motion == "auto":
        motion = random.Random(seed).choice([m for m in MOTIONS if m != "none"])
    strength = params.strength
    if request.derivation in (Derivation.REMIX, Derivation.EDIT):
        named, named_strength = camera_words(request.prompt)
        motion = named or motion
        strength = named_strength if named_strength is not None else strength
    return motion, strength


class LivePhotoEngine(EngineBase):
    """Brings a still photo to life on the CPU with models shipped in the mediapipe wheel."""

    name: ClassVar[str] = "livephoto"
    description: ClassVar[str] = (
        "Living photo: separates the person (or, with no person, what stands out) from "
        "the background, fills the background behind them, and animates the photo with "
        "a camera move (push-in, pull-out, pan, orbit, dolly-zoom) and subtle breathing "
        "and sway. Nothing is invented: only pixels of the photo move."
    )
    tasks: ClassVar[frozenset[Task]] = frozenset({Task.IMAGE_TO_VIDEO})
    device: ClassVar[str] = "cpu"
    runs_locally: ClassVar[bool] = True
    params_model: ClassVar[type[EngineParams]] = LivePhotoParams
    limits: ClassVar[EngineLimits] = EngineLimits()
    media_limits: ClassVar[MediaLimits] = MediaLimits()
    # The photo is kept as an input of the source job: a remix or an edit animates it
    # again with the new prompt's camera words; an extension continues the camera path.
    derivations: ClassVar[frozenset[Derivation]] = frozenset(Derivation)

    def run(self, request: GenerationRequest, progress: ProgressCallback) -> VideoFrames:
        if request.task is not Task.IMAGE_TO_VIDEO:
            raise ValidationError(
                f"the livephoto engine does image_to_video, not {request.task.value}",
                param="task",
            )
        self.limits.check(
            width=request.width, height=request.height, fps=request.fps, seconds=request.seconds
        )
        params = _params(request)
        source = request.inputs.get("image")
        if source is None:
            raise ValidationError("the livephoto engine needs an image", param="image")
        progress(0.0, "analysing the photo")
        pixels = load_image(source, self.media_limits).pixels
        image = cover_fit(pixels, request.width, request.height)
        del pixels
        subject = find_subject(image)
        seed = params.seed if params.seed is not None else request.seed
        motion, strength = _motion(request, params, seed)
        count = request.frame_count
        start = min(request.start_frame, count - 1)
        renderer = LivePhotoRenderer(
            image,
            subject,
            motion=motion,
            strength=strength,
            fps=request.fps,
            # An extension keeps the source's camera path (its move ended with the source,
            # easing to a stop) while the life motion goes on.
            count=request.timeline_frames or count,
            seed=seed,
        )
        del subject, image

        def frames() -> Iterator[Frame]:
            for index in range(start, count):
                frame = renderer.render(index)
                progress((index + 1 - start) / (count - start), "rendering")
                yield frame

        return VideoFrames(
            frames=frames(),
            frame_count=count - start,
            fps=request.fps,
            width=request.width,
            height=request.height,
        )


__all__ = ["LivePhotoEngine", "LivePhotoParams", "cover_fit"]
