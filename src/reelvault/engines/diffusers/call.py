"""What the engine hands a pipeline family module for one call, and the arguments most
families' pipelines share.

Each family module (wan.py, ltx.py, sana.py, ...) turns a :class:`PipelineCall` into
the keyword arguments of its own pipeline classes. The pipelines that follow diffusers'
usual ``__call__`` (prompt, size, frame count, steps, ``guidance_scale``, a step
callback, ``output_type``) start from :func:`pipeline_arguments` and add what is theirs
(LTX's frame rate, Sana's resolution binning); a family whose pipeline is shaped
otherwise (HunyuanVideo 1.5's guider) writes its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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
    video: list[Any] | None = None
    """The source video's frames (PIL images, RGB) for a remix, an edit or an extension
    (the catalogue's ``video_pipelines``)."""
    strength: float | None = None
    """A remix's share of the source re-noised and made again (None: the family's default)."""
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
    components: dict[str, Any] = field(default_factory=dict)
    """Components that replace the loaded pipeline's own for this call only (a guider
    carrying the request's guidance scale); the loaded ones are put back after it."""
    counts_passes: bool = False
    """The pipeline takes no step callback: progress (and cancellation) then follow the
    transformer's forward passes instead, ``step_calls`` of them."""


@contextmanager
def call_scope(pipeline: Any, prepared: PreparedCall, on_step_end: StepCallback) -> Iterator[None]:
    """The call's own components on the pipeline, and its pass counter where it needs one.

    Whatever the call changes on the loaded (cached) pipeline is undone when it ends,
    however it ends, so the next request finds the pipeline as it was loaded.
    """
    saved = {name: getattr(pipeline, name) for name in prepared.components}
    for name, component in prepared.components.items():
        setattr(pipeline, name, component)
    handle = None
    if prepared.counts_passes:

        def after_pass(_module: Any, _args: Any, _output: Any) -> None:
            # May raise JobCancelledError: the pipeline then stops before the next pass.
            on_step_end(pipeline, 0, None, {})

        handle = pipeline.transformer.register_forward_hook(after_pass)
    try:
        yield
    finally:
        if handle is not None:
            handle.remove()
        for name, component in saved.items():
            setattr(pipeline, name, component)


def text_length(pipeline: Any, ceiling: int) -> int:
    """How many prompt tokens to encode: the family's ``ceiling`` (what its released text
    encoder reads), or less where the pipeline's tokenizer is shorter (a test's)."""
    limit = int(getattr(pipeline.tokenizer, "model_max_length", ceiling) or ceiling)
    return max(1, min(ceiling, limit))


def pipeline_arguments(
    call: PipelineCall,
    *,
    max_sequence_length: int,
    frames: str | None = "num_frames",
    image_pipelines: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The keyword arguments diffusers' video pipelines share, for one call.

    ``frames`` names the pipeline's frame-count argument (Sana's is ``frames``; None for
    a pipeline that derives the count itself); ``image`` is passed to the classes in
    ``image_pipelines``.
    """
    arguments: dict[str, Any] = {
        "prompt": call.prompt,
        "negative_prompt": call.negative_prompt,
        "height": call.height,
        "width": call.width,
        "num_inference_steps": call.steps,
        "guidance_scale": call.guidance,
        "generator": call.generator,
        "output_type": "np",
        "callback_on_step_end": call.on_step_end,
        "max_sequence_length": max_sequence_length,
    }
    if frames is not None:
        arguments[frames] = call.num_frames
    if call.pipeline_class in image_pipelines:
        arguments["image"] = call.image
    return arguments


__all__ = [
    "PipelineCall",
    "PreparedCall",
    "StepCallback",
    "call_scope",
    "pipeline_arguments",
    "text_length",
]
