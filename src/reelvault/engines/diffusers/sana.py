"""Sana-Video text- and image-to-video (``SanaVideoPipeline``, ``SanaImageToVideoPipeline``).

Both classes load from the same folder (the released checkpoint serves both tasks).
"""

from __future__ import annotations

from typing import Any

from reelvault.engines.diffusers.call import (
    PipelineCall,
    PreparedCall,
    pipeline_arguments,
    text_length,
)

PIPELINES = ("SanaVideoPipeline", "SanaImageToVideoPipeline")
SPATIAL_STEP = 32
"""The pipeline refuses a width or height that is not a multiple of 32 (its check_inputs)."""
FRAME_STEP = 4
"""The 480p model's Wan VAE compresses time 4x after the first frame: counts are 4k + 1."""


def prepare(pipeline: Any, call: PipelineCall) -> PreparedCall:
    arguments = pipeline_arguments(
        call,
        # 300 tokens for the real Gemma tokenizer.
        max_sequence_length=text_length(pipeline, 300),
        # Sana names the frame count `frames`, not `num_frames`.
        frames="frames",
        image_pipelines=("SanaImageToVideoPipeline",),
    )
    # The engine has already checked the size against the catalogue; binning would
    # generate at another size and resize, and refuses models of other sample sizes.
    arguments["use_resolution_binning"] = False
    return PreparedCall(arguments=arguments, step_calls=call.steps)


__all__ = ["FRAME_STEP", "PIPELINES", "SPATIAL_STEP", "prepare"]
