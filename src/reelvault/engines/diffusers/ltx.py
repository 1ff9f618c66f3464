"""LTX-Video text- and image-to-video (``LTXPipeline``, ``LTXImageToVideoPipeline``).

Both classes load from the same folder. LTX conditions on the frame rate, so the
requested fps is passed through.
"""

from __future__ import annotations

from typing import Any

from reelvault.engines.diffusers.call import PipelineCall, PreparedCall

PIPELINES = ("LTXPipeline", "LTXImageToVideoPipeline")
SPATIAL_STEP = 32
"""The LTX VAE downsamples 32x (with patch size 1): sizes are multiples of 32."""
FRAME_STEP = 8
"""The VAE compresses time 8x after the first frame: frame counts are 8k + 1."""


def prepare(pipeline: Any, call: PipelineCall) -> PreparedCall:
    limit = int(getattr(pipeline.tokenizer, "model_max_length", 128) or 128)
    arguments: dict[str, Any] = {
        "prompt": call.prompt,
        "negative_prompt": call.negative_prompt,
        "height": call.height,
        "width": call.width,
        "num_frames": call.num_frames,
        "frame_rate": call.fps,
        "num_inference_steps": call.steps,
        "guidance_scale": call.guidance,
        "generator": call.generator,
        "output_type": "np",
        "callback_on_step_end": call.on_step_end,
        "max_sequence_length": max(1, min(128, limit)),
    }
    if call.pipeline_class == "LTXImageToVideoPipeline":
        arguments["image"] = call.image
    return PreparedCall(arguments=arguments, step_calls=call.steps)


__all__ = ["FRAME_STEP", "PIPELINES", "SPATIAL_STEP", "prepare"]
