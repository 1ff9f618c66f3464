"""Vehicles other than the car: a body of boxes on wheels, per type a row of data.

The anchor is the middle of where the wheels touch the ground; ``s`` is the length. A
body is a list of rounded boxes (centre x, centre y, half width, half height, colour
role), a row of windows, and wheels (x, radius) that turn with the pose's cycle.
"""

from __future__ import annotations

import math

import numpy as np

from reelvault.engines.procedural.catalogue import Look
from reelvault.engines.procedural.colors import mix
from reelvault.engines.procedural.movement import Pose
from reelvault.engines.procedural.scene import RGB
from reelvault.engines.procedural.sdf import (
    FloatArray,
    Patch,
    box,
    circle,
    cover,
    rotate,
    segment,
)

# (x, y, half width, half height, "body" | "accent"), all relative to the length
_Box = tuple[float, float, float, float, str]
_BODIES: dict[str, tuple[_Box, ...]] = {
    "train": ((0.0, -0.17, 0.5, 0.12, "body"), (0.0, -0.12, 0.5, 0.015, "accent")),
    "bus": ((0.0, -0.22, 0.48, 0.16, "body"),),
    "truck": ((-0.12, -0.25, 0.33, 0.19, "accent"), (0.33, -0.19, 0.14, 0.13, "body")),
    "van": ((0.0, -0.22, 0.44, 0.17, "body"), (0.0, -0.41, 0.1, 0.025, "accent")),
    "tractor": ((0.1, -0.24, 0.2, 0.09, "body"), (-0.18, -0.38, 0.13, 0.2, "body")),
    "motorcycle": ((0.0, -0.3, 0.18, 0.05, "body"), (-0.1, -0.37, 0.12, 0.025, "accent")),
    "bicycle": (),
}
# window row: (left, right, centre y, half height), relative to the length
_WINDOWS: dict[str, tuple[float, float, float, float]] = {
    "train": (-0.45, 0.45, -0.22, 0.04),
    "bus": (-0.44, 0.44, -0.28, 0.05),
    "truck": (0.28, 0.44, -0.24, 0.05),
    "van": (0.2, 0.4, -0.28, 0.05),
    "tractor": (-0.28, -0.08, -0.44, 0.07),
}
# wheels: (x, radius), relative to the length
_WHEELS: dict[str, tuple[tuple[float, float], ...]] = {
    "train": ((-0.38, 0.05), (-0.26, 0.05), (0.26, 0.05), (0.38, 0.05)),
    "bus": ((-0.32, 0.07), (0.32, 0.07)),
    "truck": ((-0.35, 0.07), (-0.2, 0.07), (0.33, 0.07)),
    "van": ((-0.28, 0.07), (0.28, 0.07)),
    "tractor": ((-0.2, 0.2), (0.25, 0.1)),
    "motorcycle": ((-0.32, 0.14), (0.32, 0.14)),
    "bicycle": ((-0.32, 0.17), (0.32, 0.17)),
}


def _wheel(
    patch: Patch, x: FloatArray, y: FloatArray, wx: float, r: float, turn: float, thin: bool
) -> None:
    tyre = circle(x, y, wx, -r, r)
    if thin:
        patch.paint(cover(np.abs(tyre + 0.06 * r) - 0.06 * r), (0.08, 0.08, 0.09))
    else:
        patch.paint(cover(tyre), (0.07, 0.07, 0.08))
        patch.paint(cover(circle(x, y, wx, -r, 0.5 * r)), (0.7, 0.7, 0.72))
    sx, sy = rotate(x - wx, y + r, turn)
    spokes = np.minimum(box(sx, sy, 0.8 * r, 0.05 * r), box(sx, sy, 0.05 * r, 0.8 * r))
    patch.paint(cover(spokes), (0.35, 0.35, 0.38))


def _frame(patch: Patch, x: FloatArray, y: FloatArray, s: float, look: Look, color: RGB) -> None:
    """A two-wheeler's frame, seat and handlebar."""
    r, w = _WHEELS[look.variant][0][1] * s, max(0.7, 0.018 * s)
    back, front, hub = (-0.32 * s, -r), (0.32 * s, -r), (-0.02 * s, -r)
    seat, bars = (-0.1 * s, -2.3 * r), (0.22 * s, -2.6 * r)
    bars_low = (0.27 * s, -1.7 * r)
    d = np.minimum(segment(x, y, *back, *seat, w), segment(x, y, *hub, *seat, w))
    d = np.minimum(d, segment(x, y, *back, *hub, w))
    d = np.minimum(d, segment(x, y, *hub, *bars_low, w))
    d = np.minimum(d, segment(x, y, *seat, *bars_low, w))
    d = np.minimum(d, segment(x, y, *front, *bars, w))
    patch.paint(cover(d), color)
    patch.paint(
        cover(box(x - seat[0], y - seat[1] + 0.01 * s, 0.06 * s, 0.012 * s)), (0.1, 0.1, 0.1)
    )


def draw_vehicle(
    patch: Patch,
    cx: float,
    cy: float,
    s: float,
    pose: Pose,
    look: Look,
    color: RGB,
    direction: int,
    night: bool,
) -> None:
    x, y = (patch.x - cx) * direction, patch.y - cy
    v = look.variant
    for bx, by, hx, hy, role in _BODIES[v]:
        shade = color if role == "body" else look.accent
        patch.paint(
            cover(box(x - bx * s, y - by * s, hx * s, hy * s, min(hx, hy) * 0.35 * s)), shade
        )
    if v == "van":  # an ambulance's cross, and its light flashing
        cross = np.minimum(
            box(x + 0.1 * s, y + 0.22 * s, 0.06 * s, 0.018 * s),
            box(x + 0.1 * s, y + 0.22 * s, 0.018 * s, 0.06 * s),
        )
        patch.paint(cover(cross), look.accent)
        flash = 0.5 + 0.5 * math.sin(pose.cycle * 0.8)
        patch.glow(cover(box(x, y + 0.41 * s, 0.1 * s, 0.025 * s)) * flash, (0.9, 0.2, 0.2))
    if v in _WINDOWS:
        left, right, wy, hy = _WINDOWS[v]
        cell = 0.08 * s if v in ("train", "bus") else (right - left) * s
        inside = box(x - 0.5 * (left + right) * s, y - wy * s, 0.5 * (right - left) * s, hy * s)
        panes = np.maximum(inside, np.abs((x / cell) % 1.0 - 0.5) * cell - 0.38 * cell)
        glass: RGB = (1.0, 0.85, 0.5) if night else (0.55, 0.7, 0.82)
        patch.paint(cover(panes if cell < 0.15 * s else inside), mix(glass, color, 0.1))
    if v in ("motorcycle", "bicycle"):
        _frame(patch, x, y, s, look, color)
    for wx, r in _WHEELS[v]:
        _wheel(patch, x, y, wx * s, r * s, pose.cycle * (0.2 / r) * 0.1, v == "bicycle")
    if v == "motorcycle":
        patch.paint(cover(box(x - 0.02 * s, y + 0.24 * s, 0.12 * s, 0.04 * s, 0.03 * s)), color)
    if night:
        lamp = circle(x, y, 0.48 * s, -0.2 * s, 0.025 * s)
        patch.glow(cover(lamp, max(1.0, 0.02 * s)), (1.0, 0.95, 0.75))


__all__ = ["draw_vehicle"]
