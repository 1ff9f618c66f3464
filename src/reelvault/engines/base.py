"""The seam every engine plugs into.

Engines know nothing of HTTP, the database or the vault: the job runner hands them a
:class:`GenerationRequest` whose input files are already decrypted into the job's
private scratch directory, and a :class:`ProgressCallback`. They return
:class:`VideoFrames`, a lazy stream of RGB frames the runner encodes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from reelvault.errors import ValidationError
from reelvault.types import Task

Frame = npt.NDArray[np.uint8]
"""One RGB frame, shape (height, width, 3), dtype uint8."""


class ProgressCallback(Protocol):
    """Report how far an engine is, 0.0-1.0 of its own work, and what it is doing.

    Raises :class:`reelvault.errors.JobCancelledError` when the job was cancelled, so
    an engine that reports progress regularly stops promptly without extra checks.
    """

    def __call__(self, fraction: float, stage: str) -> None: ...


class EngineParams(BaseModel):
    """Base for each engine's own parameter model (unknown fields are refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class EngineLimits:
    """What sizes, frame rates and durations an engine accepts."""

    min_width: int = 64
    max_width: int = 1920
    min_height: int = 64
    max_height: int = 1920
    max_pixels: int = 1920 * 1080
    min_fps: int = 1
    max_fps: int = 60
    min_seconds: float = 0.5
    max_seconds: float = 20.0

    def check(self, *, width: int, height: int, fps: int, seconds: float) -> None:
        """Raise :class:`ValidationError` naming the first value out of range."""
        if not self.min_width <= width <= self.max_width:
            raise ValidationError(
                f"width {width} is out of range {self.min_width}-{self.max_width}",
                param="size",
            )
        if not self.min_height <= height <= self.max_height:
            raise ValidationError(
                f"height {height} is out of range {self.min_height}-{self.max_height}",
                param="size",
            )
        if width % 2 or height % 2:
            raise ValidationError(
                f"size {width}x{height}: width and height must be even (H.264 yuv420p)",
                param="size",
            )
        if width * height > self.max_pixels:
            raise ValidationError(
                f"size {width}x{height} has more than {self.max_pixels} pixels", param="size"
            )
        if not self.min_fps <= fps <= self.max_fps:
            raise ValidationError(
                f"fps {fps} is out of range {self.min_fps}-{self.max_fps}", param="fps"
            )
        if not self.min_seconds <= seconds <= self.max_seconds:
            raise ValidationError(
                f"seconds {seconds:g} is out of range {self.min_seconds:g}-{self.max_seconds:g}",
                param="seconds",
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "width": [self.min_width, self.max_width],
            "height": [self.min_height, self.max_height],
            "max_pixels": self.max_pixels,
            "fps": [self.min_fps, self.max_fps],
            "seconds": [self.min_seconds, self.max_seconds],
        }


@dataclass(frozen=True)
class GenerationRequest:
    """Everything an engine needs for one job. Holds no ids that link to a person."""

    task: Task
    width: int
    height: int
    fps: int
    seconds: float
    seed: int
    scratch_dir: Path
    prompt: str | None = None
    params: EngineParams = field(default_factory=EngineParams)
    inputs: Mapping[str, Path] = field(default_factory=dict)

    @property
    def frame_count(self) -> int:
        return max(1, round(self.seconds * self.fps))

    def __repr__(self) -> str:
        # The prompt is personal data: never let it reach a log through a repr.
        return (
            f"GenerationRequest(task={self.task.value!r}, size={self.width}x{self.height}, "
            f"fps={self.fps}, seconds={self.seconds:g}, seed={self.seed}, prompt=<redacted>)"
        )


@dataclass
class VideoFrames:
    """A lazy stream of frames plus what the encoder needs to know about it."""

    frames: Iterator[Frame]
    frame_count: int
    fps: int
    width: int
    height: int
    audio_path: Path | None = None


@runtime_checkable
class Engine(Protocol):
    """What every engine provides. Declared with class attributes (see STYLE.md)."""

    name: ClassVar[str]
    description: ClassVar[str]
    tasks: ClassVar[frozenset[Task]]
    device: ClassVar[str]
    runs_locally: ClassVar[bool]
    params_model: ClassVar[type[EngineParams]]
    limits: ClassVar[EngineLimits]

    def run(self, request: GenerationRequest, progress: ProgressCallback) -> VideoFrames:
        """Produce the video's frames. May be lazy: frames are rendered as iterated."""
        ...


def parse_params(engine: Engine, raw: Mapping[str, Any] | None) -> EngineParams:
    """Validate raw engine parameters against the engine's model, as a ValidationError."""
    from pydantic import ValidationError as PydanticValidationError

    try:
        return engine.params_model.model_validate(dict(raw or {}))
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "params"
        raise ValidationError(
            f"engine {engine.name}: parameter {name}: {first['msg']}", param=name
        ) from None


__all__ = [
    "Engine",
    "EngineLimits",
    "EngineParams",
    "Frame",
    "GenerationRequest",
    "ProgressCallback",
    "VideoFrames",
    "parse_params",
]
