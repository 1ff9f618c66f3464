"""Wan 2.1 / 2.2 text- and image-to-video (``WanPipeline``, ``WanImageToVideoPipeline``)."""

from __future__ import annotations

from typing import Any

from reelvault.engines.diffusers.call import PipelineCall, PreparedCall

PIPELINES = ("WanPipeline", "WanImageToVideoPipeline")
SPATIAL_STEP = 16
"""VAE downsamples 8x and the transformer patches 2x2 latents: sizes are multiples of 16."""
FRAME_STEP = 4
"""The VAE compresses time 4x after the first frame: frame counts are 4k + 1."""


def max_sequence_length(pipeline: Any) -> int:
    # 512 for the real UMT5 encoder; a smaller tokenizer (tests) caps it.
    limit = int(getattr(pipeline.tokenizer, "model_max_length", 512) or 512)
    return max(1, min(512, limit))


def prepare(pipeline: Any, call: PipelineCall) -> PreparedCall:
    arguments: dict[str, Any] = {
        "prompt": call.prompt,
        "negative_prompt": call.negative_prompt,
        "height": call.height,
        "width": call.width,
        "num_frames": call.num_frames,
        "num_inference_steps": call.steps,
        "guidance_scale": call.guidance,
        "generator": call.generator,
        "output_type": "np",
        "callback_on_step_end": call.on_step_end,
        "max_sequence_length": max_sequence_length(pipeline),
    }
    if call.pipeline_class == "WanImageToVideoPipeline":
        arguments["image"] = call.image
    return PreparedCall(arguments=arguments, step_calls=call.steps)


__all__ = ["FRAME_STEP", "PIPELINES", "SPATIAL_STEP", "prepare"]
