"""LTX-Video text- and image-to-video (``LTXPipeline``, ``LTXImageToVideoPipeline``).

Both classes load from the same folder. LTX conditions on the frame rate, so the
requested fps is passed through.
"""

from __future__ import annotations

from typing import Any

from reelvault.engines.diffusers.call import (
    PipelineCall,
    PreparedCall,
    pipeline_arguments,
    text_length,
)

PIPELINES = ("LTXPipeline", "LTXImageToVideoPipeline")
SPATIAL_STEP = 32
"""The LTX VAE downsamples 32x (with patch size 1): sizes are multiples of 32."""
FRAME_STEP = 8
"""The VAE compresses time 8x after the first frame: frame counts are 8k + 1."""


def prepare(pipeline: Any, call: PipelineCall) -> PreparedCall:
    arguments = pipeline_arguments(
        call,
        # 128 tokens for the real T5 encoder.
        max_sequence_length=text_length(pipeline, 128),
        image_pipelines=("LTXImageToVideoPipeline",),
    )
    arguments["frame_rate"] = call.fps
    return PreparedCall(arguments=arguments, step_calls=call.steps)


__all__ = ["FRAME_STEP", "PIPELINES", "SPATIAL_STEP", "prepare"]
