"""Wan 2.1 / 2.2 text- and image-to-video (``WanPipeline``, ``WanImageToVideoPipeline``), and
the remix of a video (``WanVideoToVideoPipeline``)."""

from __future__ import annotations

from typing import Any

from reelvault.engines.diffusers.call import (
    PipelineCall,
    PreparedCall,
    pipeline_arguments,
    text_length,
)

PIPELINES = ("WanPipeline", "WanImageToVideoPipeline")
VIDEO_PIPELINES = ("WanVideoToVideoPipeline",)
"""A remix: the source video re-noised by the call's strength (default
:data:`REMIX_STRENGTH`) and denoised again under the new prompt (same components as
``WanPipeline``, so the text-to-video folders serve it)."""
REMIX_STRENGTH = 0.8
"""How much of the source is re-noised (diffusers' default): 1 keeps none of it."""


def remix_steps(steps: int, strength: float) -> int:
    """The steps a remix runs: the last ``strength`` share of the schedule (diffusers'
    own arithmetic)."""
    return min(int(steps * strength), steps)


SPATIAL_STEP = 16
"""VAE downsamples 8x and the transformer patches 2x2 latents: sizes are multiples of 16."""
FRAME_STEP = 4
"""The VAE compresses time 4x after the first frame: frame counts are 4k + 1."""


def _remix(pipeline: Any, call: PipelineCall) -> PreparedCall:
    arguments = pipeline_arguments(
        call,
        max_sequence_length=text_length(pipeline, 512),
        # The frame count is the source video's.
        frames=None,
    )
    strength = REMIX_STRENGTH if call.strength is None else call.strength
    arguments.update(video=call.video, strength=strength)
    return PreparedCall(arguments=arguments, step_calls=remix_steps(call.steps, strength))


def prepare(pipeline: Any, call: PipelineCall) -> PreparedCall:
    if call.pipeline_class == "WanVideoToVideoPipeline":
        return _remix(pipeline, call)
    # 512 tokens for the real UMT5 encoder.
    arguments = pipeline_arguments(
        call,
        max_sequence_length=text_length(pipeline, 512),
        image_pipelines=("WanImageToVideoPipeline",),
    )
    return PreparedCall(arguments=arguments, step_calls=call.steps)


__all__ = [
    "FRAME_STEP",
    "PIPELINES",
    "REMIX_STRENGTH",
    "SPATIAL_STEP",
    "VIDEO_PIPELINES",
    "prepare",
    "remix_steps",
]
