"""CogVideoX text- and image-to-video (``CogVideoXPipeline``, ``CogVideoXImageToVideoPipeline``)."""

from __future__ import annotations

from typing import Any

from reelvault.engines.diffusers.call import PipelineCall, PreparedCall, pipeline_arguments

PIPELINES = ("CogVideoXPipeline", "CogVideoXImageToVideoPipeline")
SPATIAL_STEP = 16
"""VAE downsamples 8x and the transformer patches 2x2 latents: sizes are multiples of 16."""
FRAME_STEP = 4
"""The VAE compresses time 4x after the first frame: frame counts are 4k + 1."""


def prepare(pipeline: Any, call: PipelineCall) -> PreparedCall:
    # The transformer was trained on a fixed text length (226 for the released models);
    # the prompt must be padded to exactly that, so read it from the model itself.
    arguments = pipeline_arguments(
        call,
        max_sequence_length=int(getattr(pipeline.transformer.config, "max_text_seq_length", 226)),
        image_pipelines=("CogVideoXImageToVideoPipeline",),
    )
    return PreparedCall(arguments=arguments, step_calls=call.steps)


__all__ = ["FRAME_STEP", "PIPELINES", "SPATIAL_STEP", "prepare"]
