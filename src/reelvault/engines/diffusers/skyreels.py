"""SkyReels-V2 diffusion forcing: long videos in overlapping windows
(``SkyReelsV2DiffusionForcingPipeline``, ``SkyReelsV2DiffusionForcingImageToVideoPipeline``).

All three diffusion-forcing pipelines (the third, ``...VideoToVideoPipeline``, extends a
video: :data:`VIDEO_PIPELINES`) load from the same folder. A video longer than one window of
:data:`WINDOW_FRAMES` is made window by window, each starting from the last
:data:`OVERLAP_FRAMES` frames of the one before, which are lightly re-noised
(:data:`ADD_NOISE`) so the seams do not show. The step callback runs once per step of
each window: progress counts ``steps x windows``.
"""

from __future__ import annotations

from typing import Any

from reelvault.engines.diffusers.call import (
    PipelineCall,
    PreparedCall,
    pipeline_arguments,
    text_length,
)

PIPELINES = (
    "SkyReelsV2DiffusionForcingPipeline",
    "SkyReelsV2DiffusionForcingImageToVideoPipeline",
)
VIDEO_PIPELINES = ("SkyReelsV2DiffusionForcingVideoToVideoPipeline",)
"""An extension: the source video continued, each window overlapping the frames before.
Its output holds the video it was given first, then ``num_frames`` decoded frames, the
first ``overlap_history`` of which make that video's last frames again (its history)."""
SPATIAL_STEP = 16
"""The Wan VAE downsamples 8x and the transformer patches 2x2 latents: multiples of 16."""
FRAME_STEP = 4
"""The VAE compresses time 4x after the first frame: frame counts are 4k + 1."""
# The model card's diffusion-forcing settings for the 540P models (SkyworkAI/SkyReels-V2
# README at fd11285): synchronous (ar_step 0), base_num_frames 97, overlap_history 17,
# addnoise_condition 20.
WINDOW_FRAMES = 97
OVERLAP_FRAMES = 17
ADD_NOISE = 20.0


def _latent_frames(frames: int) -> int:
    return (frames - 1) // FRAME_STEP + 1


def windows(num_frames: int, overlap_frames: int = OVERLAP_FRAMES) -> int:
    """How many windows the pipeline makes for ``num_frames`` (its own arithmetic)."""
    if num_frames <= WINDOW_FRAMES:
        return 1
    base = _latent_frames(WINDOW_FRAMES)
    overlap = _latent_frames(overlap_frames)
    return 2 + (_latent_frames(num_frames) - base - 1) // (base - overlap)


def prepare(pipeline: Any, call: PipelineCall) -> PreparedCall:
    arguments = pipeline_arguments(
        call,
        # 512 tokens for the real UMT5 encoder.
        max_sequence_length=text_length(pipeline, 512),
        image_pipelines=("SkyReelsV2DiffusionForcingImageToVideoPipeline",),
    )
    arguments.update(
        {
            # The transformer tells 16 fps from 24 fps apart (its fps embedding).
            "fps": call.fps,
            "base_num_frames": WINDOW_FRAMES,
            "overlap_history": OVERLAP_FRAMES,
            "addnoise_condition": ADD_NOISE,
            "ar_step": 0,
        }
    )
    overlap = OVERLAP_FRAMES
    if call.pipeline_class in VIDEO_PIPELINES and call.video is not None:
        # An extension: the video is the source's last frames (4k + 1 of them, see
        # derived.py), all of them the first window's history; num_frames counts that
        # history and the new frames after it.
        overlap = len(call.video)
        arguments["video"] = call.video
        arguments["overlap_history"] = overlap
    steps = call.steps * windows(call.num_frames, overlap)
    return PreparedCall(arguments=arguments, step_calls=steps)


__all__ = [
    "FRAME_STEP",
    "OVERLAP_FRAMES",
    "PIPELINES",
    "SPATIAL_STEP",
    "VIDEO_PIPELINES",
    "WINDOW_FRAMES",
    "prepare",
    "windows",
]
