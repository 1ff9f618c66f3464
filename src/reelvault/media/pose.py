"""Body landmarks with MediaPipe Pose (the model shipped in the mediapipe 0.10.14 wheel,
``model_complexity=1``; nothing is downloaded), smoothed and with gaps filled.

Landmarks are biometric: they stay in memory, for one job, and are never written out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reelvault.logs import native_output_quieted

Frame = npt.NDArray[np.uint8]
Points = npt.NDArray[np.float32]

NAMES = {
    0: "nose",
    11: "left shoulder",
    12: "right shoulder",
    13: "left elbow",
    14: "right elbow",
    15: "left wrist",
    16: "right wrist",
    23: "left hip",
    24: "right hip",
    25: "left knee",
    26: "right knee",
    27: "left ankle",
    28: "right ankle",
}
JOINTS = tuple(sorted(NAMES))
# Swapping left and right (for a mirrored dance).
MIRROR = {
    0: 0,
    11: 12,
    12: 11,
    13: 14,
    14: 13,
    15: 16,
    16: 15,
    23: 24,
    24: 23,
    25: 26,
    26: 25,
    27: 28,
    28: 27,
}
_VISIBLE = 0.5
# (a, b, c): the unsigned angle at b between b→a and b→c, the joints a dance is judged by.
ANGLES = {
    "left elbow": (11, 13, 15),
    "right elbow": (12, 14, 16),
    "left shoulder": (23, 11, 13),
    "right shoulder": (24, 12, 14),
    "left hip": (11, 23, 25),
    "right hip": (12, 24, 26),
    "left knee": (23, 25, 27),
    "right knee": (24, 26, 28),
}


@dataclass(frozen=True)
class PortraitPose:
    points: Points  # (33, 3): x, y in pixels, visibility
    mask: npt.NDArray[np.float32]


def portrait_pose(image: Frame) -> PortraitPose | None:
    """Pose and person mask of a still photo, or None when no person is found."""
    import mediapipe as mp  # type: ignore[import-untyped]

    with (
        native_output_quieted(),
        mp.solutions.pose.Pose(
            static_image_mode=True,
            model_complexity=1,
            enable_segmentation=True,
            min_detection_confidence=0.5,
        ) as pose,
    ):
        result = pose.process(image)
    if result.pose_landmarks is None or result.segmentation_mask is None:
        return None
    height, width = image.shape[:2]
    points = np.array(
        [(lm.x * width, lm.y * height, lm.visibility) for lm in result.pose_landmarks.landmark],
        dtype=np.float32,
    )
    return PortraitPose(points, np.asarray(result.segmentation_mask, dtype=np.float32))


def visible(points: Points, width: int, height: int) -> set[int]:
    """Joints seen in the photo (confident and inside the frame)."""
    seen = set()
    for joint in JOINTS:
        x, y, visibility = points[joint]
        if visibility >= _VISIBLE and 0 <= x < width and 0 <= y < height:
            seen.add(joint)
    return seen


def track(
    frames: Iterable[Frame], on_frame: Callable[[int], None] | None = None
) -> tuple[Points, npt.NDArray[np.bool_]]:
    """Landmarks of every frame: ``(n, 33, 3)`` pixels + visibility, and which frames
    had a person. Tracking mode: the detector runs only when the track is lost."""
    import mediapipe as mp

    rows: list[Points] = []
    found: list[bool] = []
    with (
        native_output_quieted(),
        mp.solutions.pose.Pose(
            static_image_mode=False,
            model_complexity=1,
            smooth_landmarks=True,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        ) as pose,
    ):
        for index, frame in enumerate(frames):
            height, width = frame.shape[:2]
            result = pose.process(frame)
            if result.pose_landmarks is None:
                rows.append(np.zeros((33, 3), np.float32))
                found.append(False)
            else:
                rows.append(
                    np.array(
                        [
                            (lm.x * width, lm.y * height, lm.visibility)
                            for lm in result.pose_landmarks.landmark
                        ],
                        dtype=np.float32,
                    )
                )
                found.append(True)
            if on_frame is not None:
                on_frame(index + 1)
    if not rows:
        return np.zeros((0, 33, 3), np.float32), np.zeros(0, bool)
    return np.stack(rows), np.array(found, dtype=bool)


def joint_angles(points: Points) -> dict[str, npt.NDArray[np.float64]]:
    """The unsigned angle (0..π radians) at each joint of :data:`ANGLES`, per frame of
    ``(n, 33, k)`` landmarks (NaN where the frame's joints coincide or are NaN)."""
    angles: dict[str, npt.NDArray[np.float64]] = {}
    for name, (a, b, c) in ANGLES.items():
        u = points[:, a, :2].astype(np.float64) - points[:, b, :2]
        v = points[:, c, :2].astype(np.float64) - points[:, b, :2]
        lengths = np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            cosine = np.where(lengths > 1e-9, (u * v).sum(axis=1) / lengths, np.nan)
        angles[name] = np.arccos(np.clip(cosine, -1.0, 1.0))
    return angles


def fill_gaps(points: Points, found: npt.NDArray[np.bool_]) -> Points:
    """Interpolate frames without a person between the nearest frames with one (held at
    the ends), so a lost track never makes the figure jump or vanish."""
    if not found.any():
        return points
    filled = points.copy()
    known = np.nonzero(found)[0]
    every = np.arange(len(points))
    for joint in range(points.shape[1]):
        for axis in range(3):
            filled[:, joint, axis] = np.interp(every, known, points[known, joint, axis])
    return filled


class OneEuro:
    """The One-Euro filter (Casiez et al. 2012): smooth when still, responsive when fast."""

    def __init__(self, fps: float, min_cutoff: float = 1.2, beta: float = 0.05) -> None:
        self.fps, self.min_cutoff, self.beta = fps, min_cutoff, beta

    @staticmethod
    def _alpha(cutoff: float, fps: float) -> float:
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau * fps)

    def __call__(self, series: Points) -> Points:
        """Filter ``series`` (n, ...) along its first axis."""
        out = series.astype(np.float32).copy()
        if len(out) < 2:
            return out
        derivative = np.zeros_like(out[0])
        alpha_d = self._alpha(1.0, self.fps)
        for i in range(1, len(out)):
            raw_d = (series[i] - out[i - 1]) * self.fps
            derivative = derivative + alpha_d * (raw_d - derivative)
            cutoff = self.min_cutoff + self.beta * np.abs(derivative)
            alpha = 1.0 / (1.0 + self.fps / (2 * math.pi * cutoff))
            out[i] = out[i - 1] + alpha * (series[i] - out[i - 1])
        return out


__all__ = [
    "ANGLES",
    "JOINTS",
    "MIRROR",
    "NAMES",
    "OneEuro",
    "PortraitPose",
    "fill_gaps",
    "joint_angles",
    "portrait_pose",
    "track",
    "visible",
]
