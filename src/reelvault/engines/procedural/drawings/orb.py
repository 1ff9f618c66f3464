"""The fallback subject, drawn when no word of the prompt names a known kind."""

from __future__ import annotations

import math

import numpy as np

from reelvault.engines.procedural.drawings.shading import highlight, lighter, sphere_shade
from reelvault.engines.procedural.movement import Pose
from reelvault.engines.procedural.scene import RGB
from reelvault.engines.procedural.sdf import (
    Patch,
    cover,
    ellipse,
    halo,
    rotate,
)


def draw_shape(
    patch: Patch, cx: float, cy: float, r: float, pose: Pose, color: RGB, t: float, soft: bool
) -> None:
    """The fallback subject: a glossy orb with a ring turning around it."""
    x, y = patch.x - cx, patch.y - cy
    spin = pose.angle + t * 0.9
    tilt = 0.35 * math.sin(spin)
    rx, ry = rotate(x, y, tilt)
    ring = np.abs(ellipse(rx, ry, 1.55 * r, 0.32 * r)) - max(0.6, 0.035 * r)
    ring_color = lighter(color, 0.6)
    patch.glow(halo(np.hypot(x, y), r, 0.65 * r) * 0.3, lighter(color, 0.4))
    patch.paint(cover(np.maximum(ring, ry)), ring_color, 0.9)
    body = np.hypot(x, y) - r
    rgb = np.asarray(color, dtype=np.float32) * sphere_shade(x / r, y / r, soft)[..., None]
    patch.paint(cover(body), rgb)
    highlight(patch, cx - 0.35 * r, cy - 0.4 * r, 0.22 * r, 0.16 * r, soft)
    patch.paint(cover(np.maximum(ring, -ry)), ring_color, 0.9)
