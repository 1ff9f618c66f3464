"""HunyuanVideo 1.5 text- and image-to-video (``HunyuanVideo15Pipeline``,
``HunyuanVideo15ImageToVideoPipeline``).

The released checkpoints are one folder per task (their transformers differ). These
pipelines are shaped unlike diffusers' others, so this module writes its own arguments:

* Guidance is a component, a ``ClassifierFreeGuidance`` guider, not a
  ``guidance_scale`` argument: the call gets a copy of the loaded guider carrying the
  request's scale (``guider.new``), swapped in for that call only.
* There is no ``callback_on_step_end`` in diffusers 0.42: progress and cancellation
  follow the transformer's forward passes (one per step, two with CFG), counted by a
  hook the engine puts on the transformer for the call.
* Image-to-video takes no size: it picks the bucket of the model's ``target_size``
  nearest the image's aspect ratio. The first frame is cropped to the requested size,
  which must be such a bucket (the catalogue lists them), or the request is refused.
"""

from __future__ import annotations

from typing import Any

from reelvault.engines.diffusers.call import PipelineCall, PreparedCall
from reelvault.errors import ValidationError

PIPELINES = ("HunyuanVideo15Pipeline", "HunyuanVideo15ImageToVideoPipeline")
SPATIAL_STEP = 16
"""The VAE downsamples 16x (the transformer patches 1x1): sizes are multiples of 16."""
FRAME_STEP = 4
"""The VAE compresses time 4x after the first frame: frame counts are 4k + 1."""


def _first_frame(pipeline: Any, call: PipelineCall) -> Any:
    """The image cropped to the requested size, which the pipeline then keeps."""
    from PIL import ImageOps

    made = tuple(
        pipeline.video_processor.calculate_default_height_width(
            height=call.height, width=call.width, target_size=pipeline.target_size
        )
    )
    if made != (call.height, call.width):
        raise ValidationError(
            f"this HunyuanVideo 1.5 image-to-video model makes {made[1]}x{made[0]} for that "
            f"aspect ratio, not {call.width}x{call.height}; ask for {made[1]}x{made[0]}",
            param="size",
        )
    return ImageOps.fit(call.image, (call.width, call.height))


def prepare(pipeline: Any, call: PipelineCall) -> PreparedCall:
    guider = pipeline.guider.new(guidance_scale=call.guidance)
    arguments: dict[str, Any] = {
        "prompt": call.prompt,
        "negative_prompt": call.negative_prompt,
        "num_frames": call.num_frames,
        "num_inference_steps": call.steps,
        "generator": call.generator,
        "output_type": "np",
    }
    if call.pipeline_class == "HunyuanVideo15ImageToVideoPipeline":
        arguments["image"] = _first_frame(pipeline, call)
    else:
        arguments.update(height=call.height, width=call.width)
    return PreparedCall(
        arguments=arguments,
        # A guidance scale of 1 turns CFG off: one pass per step instead of two.
        step_calls=call.steps * int(guider.num_conditions),
        components={"guider": guider},
        counts_passes=True,
    )


__all__ = ["FRAME_STEP", "PIPELINES", "SPATIAL_STEP", "prepare"]
