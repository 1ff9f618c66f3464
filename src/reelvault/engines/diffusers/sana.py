"""Sana-Video text- and image-to-video (``SanaVideoPipeline``, ``SanaImageToVideoPipeline``).

Both classes load from the same folder (the released checkpoint serves both tasks).
"""

from __future__ import annotations

from typing import Any

from reelvault.engines.diffusers.call import PipelineCall, PreparedCall

PIPELINES = ("SanaVideoPipeline", "SanaImageToVideoPipeline")
SPATIAL_STEP = 32
"""The pipeline refuses a width or height that is not a multiple of 32 (its check_inputs)."""
FRAME_STEP = 4
"""The 480p model's Wan VAE compresses time 4x after the first frame: counts are 4k + 1."""


def max_sequence_length(pipeline: Any) -> int:
    # 300 for the real Gemma tokenizer; a smaller tokenizer (tests) caps it.
    limit = int(getattr(pipeline.tokenizer, "model_max_length", 300) or 300)
    return max(1, min(300, limit))


def prepare(pipeline: Any, call: PipelineCall) -> PreparedCall:
    arguments: dict[str, Any] = {
        "prompt": call.prompt,
        "negative_prompt": call.negative_prompt,
        "height": call.height,
        "width": call.width,
        # Sana names the frame count `frames`, not `num_frames`.
        "frames": call.num_frames,
        "num_inference_steps": call.steps,
        "guidance_scale": call.guidance,
        "generator": call.generator,
        "output_type": "np",
        "callback_on_step_end": call.on_step_end,
        "max_sequence_length": max_sequence_length(pipeline),
        # The engine has already checked the size against the catalogue; binning would
        # generate at another size and resize, and refuses models of other sample sizes.
        "use_resolution_binning": False,
    }
    if call.pipeline_class == "SanaImageToVideoPipeline":
        arguments["image"] = call.image
    return PreparedCall(arguments=arguments, step_calls=call.steps)


__all__ = ["FRAME_STEP", "PIPELINES", "SPATIAL_STEP", "prepare"]
