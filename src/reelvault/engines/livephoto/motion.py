"""Camera moves as per-layer zoom and shift over time, and the subject's life motion.

A layer at time ``t`` (0-1 of the clip) is scaled by ``scale`` about the subject's
centre and shifted by ``shift`` pixels. The far layer (background) moves less than the
near one (the subject): that difference is the parallax.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reelvault.engines.livephoto.subject import Anchors

MOTIONS = ("push-in", "pull-out", "pan-left", "pan-right", "orbit", "dolly-zoom", "none")

Grid = npt.NDArray[np.float32]


@dataclass(frozen=True)
class LayerPose:
    scale: float
    shift: tuple[float, float]


def _ease(u: float) -> float:
    """Smoothstep: the camera starts and stops gently."""
    u = min(1.0, max(0.0, u))
    return u * u * (3.0 - 2.0 * u)


def overscan(motion: str, strength: float) -> float:
    """Base zoom so no layer edge ever enters the frame during the move."""
    pan = 0.06 * strength
    if motion in ("pan-left", "pan-right", "orbit"):
        return 1.02 + 1.2 * pan
    return 1.02


def layer_poses(motion: str, t: float, strength: float, width: int) -> tuple[LayerPose, LayerPose]:
    """(background, subject) poses at time ``t`` in 0-1."""
    u = _ease(t)
    zoom = 0.12 * strength
    pan = 0.06 * strength * width
    base = overscan(motion, strength)
    if motion == "push-in":
        return LayerPose(base * (1 + 0.55 * zoom * u), (0, 0)), LayerPose(
            base * (1 + zoom * u), (0, 0)
        )
    if motion == "pull-out":
        v = 1 - u
        return LayerPose(base * (1 + 0.55 * zoom * v), (0, 0)), LayerPose(
            base * (1 + zoom * v), (0, 0)
        )
    if motion in ("pan-left", "pan-right"):
        # The camera moves left: the scene slides right, the near subject faster.
        direction = 1.0 if motion == "pan-left" else -1.0
        offset = direction * (u - 0.5)
        return LayerPose(base, (0.45 * pan * offset, 0)), LayerPose(base, (pan * offset, 0))
    if motion == "orbit":
        # Circling the subject: background and subject slide in opposite directions.
        offset = u - 0.5
        lift = 1 + 0.3 * zoom * math.sin(math.pi * u)
        return LayerPose(base * lift, (-0.5 * pan * offset, 0)), LayerPose(
            base * lift, (0.5 * pan * offset, 0)
        )
    if motion == "dolly-zoom":
        # Subject keeps its size while the background stretches behind it (vertigo).
        return LayerPose(base * (1 + 1.6 * zoom * u), (0, 0)), LayerPose(base, (0, 0))
    return LayerPose(base, (0, 0)), LayerPose(base, (0, 0))


def life_offsets(
    xs: Grid,
    ys: Grid,
    weight: Grid,
    anchors: Anchors,
    seconds: float,
    strength: float,
    phase: float,
) -> tuple[Grid, Grid]:
    """Where each grid point samples from, relative to itself, for breathing and sway.

    Breathing stretches the torso up from the hips a little; sway bends the body about
    its pivot (the feet) more the higher a point is; the head tilts about the neck.
    ``weight`` (0-1) confines the warp to the subject.
    """
    hip_x, hip_y = anchors.hip
    pivot_x, pivot_y = anchors.pivot
    neck_x, neck_y = anchors.neck
    head_y = anchors.head[1]
    height_span = max(pivot_y - head_y, 1.0)

    breath = 0.012 * strength * math.sin(2 * math.pi * seconds / 3.8 + phase)
    above_hip = np.clip((hip_y - ys) / max(hip_y - head_y, 1.0), 0.0, 1.0)
    dy = -(ys - hip_y) * breath * above_hip / (1 + breath)

    sway = math.radians(0.9 * strength * math.sin(2 * math.pi * seconds / 5.3 + 1.7 * phase))
    bend = np.clip((pivot_y - ys) / height_span, 0.0, 1.0) ** 1.5
    angle = -sway * bend
    rel_x, rel_y = xs - pivot_x, ys - pivot_y
    dx = rel_x * (np.cos(angle) - 1) - rel_y * np.sin(angle)
    dy = dy + rel_x * np.sin(angle) + rel_y * (np.cos(angle) - 1)

    tilt = math.radians(1.4 * strength * math.sin(2 * math.pi * seconds / 4.4 + 0.6 * phase))
    above_neck = np.clip((neck_y - ys) / max(neck_y - head_y, 1.0) * 2.0, 0.0, 1.0)
    hx, hy = xs - neck_x, ys - neck_y
    dx = dx + (hx * (math.cos(tilt) - 1) - hy * math.sin(tilt)) * above_neck
    dy = dy + (hx * math.sin(tilt) + hy * (math.cos(tilt) - 1)) * above_neck
    del hip_x
    return (dx * weight).astype(np.float32), (dy * weight).astype(np.float32)


__all__ = ["MOTIONS", "LayerPose", "layer_poses", "life_offsets", "overscan"]
