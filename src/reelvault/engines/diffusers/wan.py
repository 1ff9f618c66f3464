"""Wan 2.1 / 2.2 text- and image-to-video (``WanPipeline``, ``WanImageToVideoPipeline``)."""

from __future__ import annotations

from typing import Any

from reelvault.engines.diffusers.call import (
    PipelineCall,
    PreparedCall,
    pipeline_arguments,
    text_length,
)

PIPELINES = ("WanPipeline", "WanImageToVideoPipeline")
SPATIAL_STEP = 16
"""VAE downsamples 8x and the transformer patches 2x2 latents: sizes are multiples of 16."""
FRAME_STEP = 4
"""The VAE compresses time 4x after the first frame: frame counts are 4k + 1."""


def prepare(pipeline: Any, call: PipelineCall) -> PreparedCall:
    # 512 tokens for the real UMT5 encoder.
    arguments = pipeline_arguments(
        call,
        max_sequence_length=text_length(pipeline, 512),
        image_pipelines=("WanImageToVideoPipeline",),
    )
    return PreparedCall(arguments=arguments, step_calls=call.steps)


__all__ = ["FRAME_STEP", "PIPELINES", "SPATIAL_STEP", "prepare"]
