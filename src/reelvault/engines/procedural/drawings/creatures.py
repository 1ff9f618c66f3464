"""Living things: birds and fish, flapping and wagging with the pose's cycle."""

from __future__ import annotations

import math

import numpy as np

from reelvault.engines.procedural.drawings.shading import lighter
from reelvault.engines.procedural.movement import Pose
from reelvault.engines.procedural.scene import RGB
from reelvault.engines.procedural.sdf import (
    Patch,
    circle,
    cover,
    ellipse,
    polygon,
    rotate,
    segment,
)


def draw_bird(patch: Patch, cx: float, cy: float, s: float, pose: Pose, color: RGB) -> None:
    x, y = rotate(patch.x - cx, patch.y - cy, pose.angle)
    flap = math.sin(pose.cycle)
    width = max(0.55, 0.045 * s)
    d = ellipse(x, y, 0.2 * s, 0.075 * s)
    for side in (-1.0, 1.0):
        ex, ey = side * 0.45 * s, -0.06 * s - 0.34 * s * flap
        tx, ty = side * 0.95 * s, ey - 0.12 * s - 0.3 * s * flap + 0.12 * s
        d = np.minimum(d, segment(x, y, 0.0, -0.02 * s, ex, ey, width * 1.6))
        d = np.minimum(d, segment(x, y, ex, ey, tx, ty, width))
    patch.paint(cover(d), color)


def draw_fish(
    patch: Patch, cx: float, cy: float, s: float, pose: Pose, color: RGB, soft: bool, direction: int
) -> None:
    x = (patch.x - cx) * direction
    y = patch.y - cy
    wag = 0.35 * math.sin(pose.cycle)
    tx, ty = rotate(x + 0.42 * s, y, wag)
    tail = polygon(
        tx, ty, [(0.0, 0.0), (-0.36 * s, -0.26 * s), (-0.3 * s, 0.0), (-0.36 * s, 0.26 * s)]
    )
    rgb = np.asarray(color, dtype=np.float32)
    patch.paint(cover(tail), rgb * 0.85)
    fin = polygon(x, y, [(-0.12 * s, -0.2 * s), (0.12 * s, -0.24 * s), (-0.25 * s, -0.36 * s)])
    patch.paint(cover(fin), rgb * 0.8)
    body = ellipse(x - 0.02 * s * math.sin(pose.cycle) * (x / s), y, 0.5 * s, 0.27 * s)
    belly = np.clip(0.5 + y / (0.54 * s), 0.0, 1.0)
    shade = (1.0 + 0.35 * (belly - 0.5) * -1.0) if soft else 1.0 + 0.0 * belly
    body_rgb = (
        rgb * np.asarray(shade)[..., None]
        + np.asarray(lighter(color, 0.5), dtype=np.float32)
        * (np.clip(belly - 0.7, 0.0, 1.0) * 1.5)[..., None]
    )
    patch.paint(cover(body), body_rgb)
    stripe = np.maximum(body, np.abs(x + 0.1 * s) - 0.03 * s)
    patch.paint(cover(stripe), lighter(color, 0.7), 0.7)
    eye = circle(x, y, 0.28 * s, -0.05 * s, 0.065 * s)
    patch.paint(cover(eye), (0.97, 0.97, 0.95))
    pupil = circle(x, y, 0.295 * s, -0.05 * s, 0.035 * s)
    patch.paint(cover(pupil), (0.03, 0.03, 0.05))
