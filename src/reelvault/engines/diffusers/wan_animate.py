"""Wan 2.2 Animate for dance (``WanAnimatePipeline``): a portrait performs a reference's moves.

The pipeline wants two conditioning videos made from the reference: ``pose_video``, the
reference's skeleton drawn on black at the output size (one PIL image per frame), and
``face_video``, square crops of the performer's face at the transformer's
``motion_encoder_size`` (512 for the released model). Producing them needs pose and
face landmarks, which is the puppet engine's pose extraction (``reelvault.media``); it
is reached through :data:`PoseTracker` (default: ``reelvault.media.pose.track``), and the
whole step through :class:`MotionConditioner`, so any extractor of that shape plugs in.
Landmarks are transient (DESIGN.md): they live in memory for this one call only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from reelvault.engines.diffusers.call import (
    PipelineCall,
    PreparedCall,
    pipeline_arguments,
    text_length,
)
from reelvault.errors import EngineError

PIPELINES = ("WanAnimatePipeline",)
SPATIAL_STEP = 16
FRAME_STEP = 1
"""Any frame count: the pipeline pads the conditioning to whole segments and we trim."""
SEGMENT_FRAMES = 77
PREVIOUS_SEGMENT_FRAMES = 1
TRACK_LONG_SIDE = 512
"""The reference is tracked at this size (landmarks are then scaled to the output)."""

Frame = npt.NDArray[np.uint8]
Points = npt.NDArray[np.float32]

# MediaPipe Pose landmark indices: limbs drawn, each with the colour the OpenPose/DWPose
# renderings that Wan-Animate was trained on give that limb (red head, warm right side,
# cool left side).
LIMBS: tuple[tuple[int, int, tuple[int, int, int]], ...] = (
    (11, 12, (255, 0, 0)),
    (12, 14, (255, 85, 0)),
    (14, 16, (255, 170, 0)),
    (11, 13, (85, 255, 0)),
    (13, 15, (0, 255, 0)),
    (12, 24, (0, 255, 85)),
    (24, 26, (0, 255, 170)),
    (26, 28, (0, 255, 255)),
    (11, 23, (0, 170, 255)),
    (23, 25, (0, 85, 255)),
    (25, 27, (0, 0, 255)),
    (23, 24, (85, 0, 255)),
    (0, 2, (170, 0, 255)),
    (0, 5, (255, 0, 255)),
    (2, 7, (255, 0, 170)),
    (5, 8, (255, 0, 85)),
)
FACE_POINTS = tuple(range(11))  # nose, eyes, ears, mouth
VISIBLE = 0.5


@dataclass(frozen=True)
class MotionConditioning:
    """The pipeline's conditioning videos, as lists of RGB PIL images."""

    pose_frames: list[Any]
    """Skeleton renderings at the output width x height, one per output frame."""
    face_frames: list[Any]
    """Face crops, ``face_size`` x ``face_size``, one per output frame."""


class MotionConditioner(Protocol):
    """Turns a reference video into WanAnimate's pose and face videos."""

    def __call__(
        self,
        reference_video: Path,
        *,
        width: int,
        height: int,
        frame_count: int,
        fps: int,
        face_size: int,
    ) -> MotionConditioning: ...


PoseTracker = Callable[[Iterable[Frame]], tuple[Points, npt.NDArray[np.bool_]]]
"""Frames in, ``(n, 33, 3)`` MediaPipe Pose landmarks (x, y in pixels, visibility) and a
per-frame "person found" flag out: the shape of the puppet engine's ``pose.track``."""


def default_tracker(frames: Iterable[Frame]) -> tuple[Points, npt.NDArray[np.bool_]]:
    """The shared pose extraction (MediaPipe), imported only when a dance job needs it."""
    from reelvault.media.pose import track

    return track(frames)


def _draw_pose(points: Points, scale: float, width: int, height: int) -> Any:
    from PIL import Image, ImageDraw

    canvas = Image.new("RGB", (width, height), (0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    line = max(1, round(min(width, height) / 128))
    for start, end, colour in LIMBS:
        if points[start, 2] >= VISIBLE and points[end, 2] >= VISIBLE:
            a = (float(points[start, 0]) * scale, float(points[start, 1]) * scale)
            b = (float(points[end, 0]) * scale, float(points[end, 1]) * scale)
            draw.line([a, b], fill=colour, width=line * 2)
    for joint in {joint for limb in LIMBS for joint in limb[:2]}:
        if points[joint, 2] >= VISIBLE:
            x, y = float(points[joint, 0]) * scale, float(points[joint, 1]) * scale
            draw.ellipse(
                [x - line * 2, y - line * 2, x + line * 2, y + line * 2], fill=(255, 255, 255)
            )
    return canvas


def _face_box(points: Points, width: int, height: int) -> tuple[int, int, int, int] | None:
    seen = points[list(FACE_POINTS)]
    seen = seen[seen[:, 2] >= VISIBLE]
    if len(seen) < 3:
        return None
    centre_x, centre_y = float(seen[:, 0].mean()), float(seen[:, 1].mean())
    spread = float(max(np.ptp(seen[:, 0]), np.ptp(seen[:, 1])))
    side = max(16.0, spread * 2.2)
    left = int(np.clip(centre_x - side / 2, 0, max(0, width - side)))
    top = int(np.clip(centre_y - side / 2, 0, max(0, height - side)))
    side_px = int(min(side, width, height))
    return left, top, left + side_px, top + side_px


class PoseConditioner:
    """Pose and face videos from a reference, with a :data:`PoseTracker` for landmarks."""

    def __init__(self, tracker: PoseTracker = default_tracker) -> None:
        self.tracker = tracker

    def __call__(
        self,
        reference_video: Path,
        *,
        width: int,
        height: int,
        frame_count: int,
        fps: int,
        face_size: int,
    ) -> MotionConditioning:
        from PIL import Image

        from reelvault.media.decode import iter_video_frames

        frames = list(iter_video_frames(reference_video, fps=fps, max_frames=frame_count))
        if not frames:
            raise EngineError("the reference video has no frames")
        source_height, source_width = frames[0].shape[:2]
        shrink = min(1.0, TRACK_LONG_SIDE / max(source_width, source_height))
        if shrink < 1.0:
            size = (round(source_width * shrink), round(source_height * shrink))
            frames = [
                np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.BILINEAR))
                for frame in frames
            ]
            source_height, source_width = frames[0].shape[:2]
        points, found = self.tracker(frames)
        if not bool(np.any(found)):
            raise EngineError("no person was found in the reference video")
        # Fit the reference into the output as the pipeline will (scale to cover, centred).
        scale = max(width / source_width, height / source_height)
        pose_frames: list[Any] = []
        face_frames: list[Any] = []
        box: tuple[int, int, int, int] | None = None
        for index, frame in enumerate(frames):
            frame_points = points[index].copy()
            frame_points[:, 0] -= (source_width - width / scale) / 2
            frame_points[:, 1] -= (source_height - height / scale) / 2
            pose_frames.append(_draw_pose(frame_points, scale, width, height))
            if found[index]:
                # Where the face is not seen, keep the last box (a turn, a blur).
                box = _face_box(points[index], source_width, source_height) or box
            crop = Image.fromarray(frame)
            if box is not None:
                crop = crop.crop(box)
            face_frames.append(crop.resize((face_size, face_size), Image.Resampling.BILINEAR))
        # A reference shorter than the video asked for holds its last pose.
        while len(pose_frames) < frame_count:
            pose_frames.append(pose_frames[-1])
            face_frames.append(face_frames[-1])
        return MotionConditioning(pose_frames=pose_frames, face_frames=face_frames)


def segment_length(frame_count: int) -> int:
    """77-frame segments (as trained); a shorter clip gets one segment just long enough."""
    fitted = ((max(1, frame_count) - 1 + 3) // 4) * 4 + 1
    return min(SEGMENT_FRAMES, fitted)


def segments(frame_count: int) -> int:
    """How many denoising segments the pipeline runs for ``frame_count`` frames."""
    effective = segment_length(frame_count) - PREVIOUS_SEGMENT_FRAMES
    remainder = (frame_count - PREVIOUS_SEGMENT_FRAMES) % effective
    padded = frame_count + (effective - remainder if remainder else 0)
    return max(1, padded // effective)


def prepare(
    pipeline: Any, call: PipelineCall, conditioner: MotionConditioner | None = None
) -> PreparedCall:
    try:
        import ftfy  # noqa: F401  (WanAnimatePipeline cleans prompts with it, unguarded)
    except ImportError:
        raise EngineError(
            'Wan-Animate needs the ftfy package: pip install "reelvault[diffusers]"'
        ) from None
    conditioner = conditioner or PoseConditioner()
    if call.reference_video is None or call.image is None:
        raise EngineError("dance needs a portrait image and a reference video")
    face_size = int(getattr(pipeline.transformer.config, "motion_encoder_size", 512))
    conditioning = conditioner(
        call.reference_video,
        width=call.width,
        height=call.height,
        frame_count=call.num_frames,
        fps=call.fps,
        face_size=face_size,
    )
    arguments = pipeline_arguments(
        call,
        max_sequence_length=text_length(pipeline, 512),
        # The pipeline derives the length from the pose video, in segments.
        frames=None,
    )
    arguments.update(
        {
            "image": call.image,
            "pose_video": conditioning.pose_frames,
            "face_video": conditioning.face_frames,
            "segment_frame_length": segment_length(call.num_frames),
            "prev_segment_conditioning_frames": PREVIOUS_SEGMENT_FRAMES,
            "mode": "animate",
        }
    )
    return PreparedCall(arguments=arguments, step_calls=call.steps * segments(call.num_frames))


__all__ = [
    "FRAME_STEP",
    "PIPELINES",
    "SPATIAL_STEP",
    "MotionConditioner",
    "MotionConditioning",
    "PoseConditioner",
    "PoseTracker",
    "default_tracker",
    "prepare",
    "segment_length",
    "segments",
]
