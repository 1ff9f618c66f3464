"""What the engine hands a pipeline family module for one call.

Each family module (wan.py, ltx.py, cogvideox.py, wan_animate.py) turns a
:class:`PipelineCall` into the keyword arguments of its own pipeline classes, on its
own: families share this description of the job, not code (STYLE.md, single-file policy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

StepCallback = Callable[[Any, int, Any, dict[str, Any]], dict[str, Any]]
"""diffusers' ``callback_on_step_end(pipeline, step, timestep, tensors) -> tensors``."""


@dataclass(frozen=True)
class PipelineCall:
    """One generation, already validated and snapped to what the model accepts."""

    pipeline_class: str
    prompt: str
    negative_prompt: str
    width: int
    height: int
    num_frames: int
    fps: int
    steps: int
    guidance: float
    generator: Any
    on_step_end: StepCallback
    image: Any = None
    """The first frame (PIL image, RGB) for image_to_video and dance."""
    reference_video: Path | None = None
    """The reference dance video (dance only)."""
    scratch_dir: Path | None = None

    def __repr__(self) -> str:
        # Prompts are personal data: keep them out of any repr that could be logged.
        return (
            f"PipelineCall({self.pipeline_class}, {self.width}x{self.height}, "
            f"frames={self.num_frames}, steps={self.steps}, prompt=<redacted>)"
        )


@dataclass(frozen=True)
class PreparedCall:
    """The pipeline's keyword arguments and how many step callbacks the call will make."""

    arguments: dict[str, Any]
    step_calls: int


__all__ = ["PipelineCall", "PreparedCall", "StepCallback"]
