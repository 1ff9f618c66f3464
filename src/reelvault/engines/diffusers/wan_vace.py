"""Wan VACE (``WanVACEPipeline``): text- and image-to-video, and the edit of a video.

One pipeline does all three, told apart by its conditioning video and mask:

* text-to-video: no video (the pipeline then conditions on nothing);
* image-to-video: the image as the first frame of a grey video, a mask that keeps that
  frame and regenerates the rest (the recipe of diffusers' own VACE example);
* edit: the source video as the control signal, regenerated everywhere under the new
  prompt (no mask), in the source's frame count.
"""

from __future__ import annotations

from typing import Any

from reelvault.engines.diffusers.call import (
    PipelineCall,
    PreparedCall,
    pipeline_arguments,
    text_length,
)

PIPELINES = ("WanVACEPipeline",)
VIDEO_PIPELINES = ("WanVACEPipeline",)
SPATIAL_STEP = 16
"""The Wan VAE downsamples 8x and the transformer patches 2x2 latents: multiples of 16."""
FRAME_STEP = 4
"""The VAE compresses time 4x after the first frame: frame counts are 4k + 1."""
GREY = (128, 128, 128)


def _first_frame_video(call: PipelineCall) -> tuple[list[Any], list[Any]]:
    """A video that starts with the image and a mask that keeps only that frame."""
    from PIL import Image, ImageOps

    size = (call.width, call.height)
    first = ImageOps.fit(call.image, size)
    video = [first, *[Image.new("RGB", size, GREY)] * (call.num_frames - 1)]
    keep, regenerate = Image.new("L", size, 0), Image.new("L", size, 255)
    return video, [keep, *[regenerate] * (call.num_frames - 1)]


def prepare(pipeline: Any, call: PipelineCall) -> PreparedCall:
    arguments = pipeline_arguments(call, max_sequence_length=text_length(pipeline, 512))
    if call.video is not None:
        arguments["video"] = call.video
        arguments["num_frames"] = len(call.video)
    elif call.image is not None:
        arguments["video"], arguments["mask"] = _first_frame_video(call)
    return PreparedCall(arguments=arguments, step_calls=call.steps)


__all__ = ["FRAME_STEP", "PIPELINES", "SPATIAL_STEP", "VIDEO_PIPELINES", "prepare"]
