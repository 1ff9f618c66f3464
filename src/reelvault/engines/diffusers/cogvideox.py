"""CogVideoX text- and image-to-video (``CogVideoXPipeline``, ``CogVideoXImageToVideoPipeline``)."""

from __future__ import annotations

from typing import Any

from reelvault.engines.diffusers.call import PipelineCall, PreparedCall

PIPELINES = ("CogVideoXPipeline", "CogVideoXImageToVideoPipeline")
SPATIAL_STEP = 16
"""VAE downsamples 8x and the transformer patches 2x2 latents: sizes are multiples of 16."""
FRAME_STEP = 4
"""The VAE compresses time 4x after the first frame: frame counts are 4k + 1."""


def prepare(pipeline: Any, call: PipelineCall) -> PreparedCall:
    # The transformer was trained on a fixed text length (226 for the released models);
    # the prompt must be padded to exactly that, so read it from the model itself.
    text_length = int(getattr(pipeline.transformer.config, "max_text_seq_length", 226))
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
        "max_sequence_length": text_length,
    }
    if call.pipeline_class == "CogVideoXImageToVideoPipeline":
        arguments["image"] = call.image
    return PreparedCall(arguments=arguments, step_calls=call.steps)


__all__ = ["FRAME_STEP", "PIPELINES", "SPATIAL_STEP", "prepare"]
