"""A BVH motion-capture file as the dancer: its skeleton's joints in the pose layout.

The puppet dances from the reference's landmarks in MediaPipe Pose's layout (33 rows:
0 nose, 11/12 shoulders, 13/14 elbows, 15/16 wrists, 23/24 hips, 25/26 knees, 27/28
ankles). A BVH skeleton names its joints freely (``LeftHand``, ``lHand``,
``mixamorig:LeftHand``, ``hand_l``…), so the mapping goes by structure once a few
names are found: the hand (or wrist) of each side, its parent the elbow, the elbow's
parent the shoulder; the foot (or ankle), the knee above it, the hip above that; the
head. Twist/roll helper joints and joints at the same place as their child are passed
over.

The camera is orthographic and fixed, in front of the dancer's average facing: up is
the average direction from the ankles to the head, right in the picture is the
dancer's left (as a person facing the camera), so turns show as turns.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

from reelvault.errors import ValidationError
from reelvault.media.bvh import Motion, world_positions

Points = npt.NDArray[np.float32]

FRAME_SIDE = 384
"""Side of the virtual square picture the motion is drawn in (like a tracked video's)."""
_BODY_HEIGHT = 0.7 * FRAME_SIDE
_HELPERS = ("roll", "twist", "nub", "end", "site")


def _side(name: str) -> str | None:
    """``left``/``right`` from a joint's name (LeftHand, lHand, L_Hand, hand_l, hand.R…)."""
    base = name.rsplit(":", 1)[-1]  # mixamorig:LeftHand
    low = base.lower()
    for side in ("left", "right"):
        letter = side[0]
        if (
            low.startswith(side)
            or low.endswith(side)
            or re.match(rf"[{letter}{letter.upper()}][A-Z_.\-]", base)
            or re.search(rf"[_.\-\s]{letter}$", low)
        ):
            return side
    return None


def _find(motion: Motion, words: tuple[str, ...], side: str | None) -> int | None:
    """The joint nearest the root whose name has one of ``words`` (and is of ``side``)."""
    found = [
        index
        for index, joint in enumerate(motion.joints)
        if any(word in joint.name.lower() for word in words)
        and not any(helper in joint.name.lower() for helper in _HELPERS)
        and _side(joint.name) == side
    ]
    return min(found, key=motion.depth) if found else None


def _up_from(motion: Motion, child: int, rest: npt.NDArray[np.float64]) -> int | None:
    """The first real joint above ``child``: not a twist/roll helper, not at its place."""
    index = motion.joints[child].parent
    while index >= 0:
        joint = motion.joints[index]
        helper = any(word in joint.name.lower() for word in _HELPERS)
        if not helper and float(np.linalg.norm(rest[index] - rest[child])) > 1e-6:
            return index
        index = joint.parent
    return None


def _rest_positions(motion: Motion) -> npt.NDArray[np.float64]:
    """Every joint where the offsets alone put it (no channel applied)."""
    rest = np.zeros((len(motion.joints), 3), np.float64)
    for index, joint in enumerate(motion.joints):
        base = rest[joint.parent] if joint.parent >= 0 else np.zeros(3)
        rest[index] = base + np.asarray(joint.offset)
    return rest


def landmark_joints(motion: Motion) -> dict[int, int]:
    """Pose landmark row → BVH joint index, for the 13 landmarks the puppet uses."""
    rest = _rest_positions(motion)
    rows: dict[int, int] = {}
    missing: list[str] = []
    head = _find(motion, ("head",), None)
    if head is None:
        missing.append("head")
    else:
        rows[0] = head
    chains = (
        ("hand", ("hand", "wrist"), {"left": (15, 13, 11), "right": (16, 14, 12)}),
        ("foot", ("foot", "ankle"), {"left": (27, 25, 23), "right": (28, 26, 24)}),
    )
    for what, words, sides in chains:
        for side, (tip_row, middle_row, top_row) in sides.items():
            tip = _find(motion, words, side)
            middle = _up_from(motion, tip, rest) if tip is not None else None
            top = _up_from(motion, middle, rest) if middle is not None else None
            if tip is None or middle is None or top is None:
                missing.append(f"{side} {what}")
                continue
            rows[tip_row], rows[middle_row], rows[top_row] = tip, middle, top
    if missing:
        raise ValidationError(
            "the BVH skeleton has no joints we recognise as its "
            + ", ".join(missing)
            + " (names like Head, LeftHand/LeftWrist, RightFoot/RightAnkle are read)",
            param="reference_video",
        )
    return rows


def _unit(vector: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
    length = float(np.linalg.norm(vector))
    return vector / length if length > 1e-9 else None


def _camera(
    world: npt.NDArray[np.float64], rows: dict[int, int]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The picture's right and up axes in the motion's space."""
    ankles = (world[:, rows[27]] + world[:, rows[28]]) / 2
    up = _unit((world[:, rows[0]] - ankles).mean(axis=0))
    if up is None:
        up = np.array([0.0, 1.0, 0.0])
    across = world[:, rows[23]] - world[:, rows[24]]  # right hip → left hip
    across = across - np.outer(across @ up, up)
    right = _unit(across.mean(axis=0))
    if right is None:  # turns all the way round evenly: face the first frame
        right = _unit(across[0])
    if right is None:
        right = _unit(np.cross(up, [0.0, 0.0, 1.0]))
    return (right if right is not None else np.array([1.0, 0.0, 0.0])), up


def motion_landmarks(motion: Motion) -> Points:
    """The dancer's landmarks in every frame of the file: ``(frames, 33, 3)`` pixels of a
    :data:`FRAME_SIDE` square picture and a visibility of 1 (0 for rows not used)."""
    rows = landmark_joints(motion)
    positions, ends = world_positions(motion)
    head = rows[0]
    # The nose: halfway up the head bone when the file says where the head ends.
    if not np.isnan(ends[0, head]).any():
        positions[:, head] = (positions[:, head] + ends[:, head]) / 2
    right, up = _camera(positions, rows)
    x = positions @ right
    y = -(positions @ up)
    picked = list(rows.values())
    tall = float(np.percentile(y[:, picked].max(axis=1) - y[:, picked].min(axis=1), 90))
    scale = _BODY_HEIGHT / max(tall, 1e-6)
    hips = [rows[23], rows[24]]
    centre_x = float(np.median(x[:, hips].mean(axis=1)))
    centre_y = float(np.median(y[:, picked].min(axis=1) + y[:, picked].max(axis=1)) / 2)
    points = np.zeros((motion.frame_count, 33, 3), np.float32)
    points[:, :, 0] = FRAME_SIDE / 2
    points[:, :, 1] = FRAME_SIDE / 2
    for row, joint in rows.items():
        points[:, row, 0] = (x[:, joint] - centre_x) * scale + FRAME_SIDE / 2
        points[:, row, 1] = (y[:, joint] - centre_y) * scale + FRAME_SIDE / 2
        points[:, row, 2] = 1.0
    return points


def resample(points: Points, source_fps: float, fps: float, count: int) -> Points:
    """``count`` frames at ``fps`` from landmarks at ``source_fps`` (linear in time)."""
    where = np.minimum(np.arange(count) * source_fps / fps, len(points) - 1)
    low = np.floor(where).astype(int)
    high = np.minimum(low + 1, len(points) - 1)
    weight = (where - low).astype(np.float32)[:, None, None]
    resampled: Points = (points[low] * (1 - weight) + points[high] * weight).astype(np.float32)
    return resampled


__all__ = ["FRAME_SIDE", "landmark_joints", "motion_landmarks", "resample"]
