"""Things on the water: sailing boats and ships."""

from __future__ import annotations

import numpy as np

from reelvault.engines.procedural.drawings.shading import lighter, lit
from reelvault.engines.procedural.movement import Pose
from reelvault.engines.procedural.scene import RGB
from reelvault.engines.procedural.sdf import (
    Patch,
    box,
    cover,
    polygon,
    rotate,
    segment,
)


def draw_boat(
    patch: Patch, cx: float, cy: float, length: float, pose: Pose, color: RGB, soft: bool, sail: RGB
) -> None:
    x, y = rotate(patch.x - cx, patch.y - cy, pose.angle)
    mast = segment(x, y, 0.0, -0.02 * length, 0.0, -0.78 * length, max(0.5, 0.008 * length))
    patch.paint(cover(mast), (0.25, 0.2, 0.16))
    main = polygon(
        x,
        y,
        [
            (0.025 * length, -0.74 * length),
            (0.025 * length, -0.07 * length),
            (0.4 * length, -0.09 * length),
        ],
    )
    jib = polygon(
        x,
        y,
        [
            (-0.025 * length, -0.68 * length),
            (-0.025 * length, -0.09 * length),
            (-0.36 * length, -0.08 * length),
        ],
    )
    sail_shade = 1.0 + (0.12 * np.clip(x / length, -1, 1) if soft else 0.0 * x)
    sail_rgb = np.asarray(sail, dtype=np.float32)
    patch.paint(cover(main), sail_rgb * np.asarray(sail_shade)[..., None])
    patch.paint(cover(jib), sail_rgb * np.asarray(sail_shade * 0.92)[..., None])
    hull = polygon(
        x,
        y,
        [
            (-0.5 * length, -0.05 * length),
            (0.56 * length, -0.09 * length),
            (0.38 * length, 0.1 * length),
            (-0.42 * length, 0.1 * length),
        ],
    )
    hull = np.maximum(hull, y - 0.06 * length)  # the water line
    hull_rgb = np.asarray(color, dtype=np.float32)
    shade = 1.0 - (
        0.35 * np.clip((y + 0.05 * length) / (0.11 * length), 0.0, 1.0) if soft else 0.0 * y
    )
    patch.paint(cover(hull), hull_rgb * np.asarray(shade)[..., None])
    stripe = np.maximum(hull, np.abs(y + 0.02 * length) - 0.008 * length - 0.3)
    patch.paint(cover(stripe), lighter(color, 0.6) if sum(color) < 2.2 else (0.7, 0.15, 0.12))


def draw_ship(
    patch: Patch,
    cx: float,
    cy: float,
    length: float,
    pose: Pose,
    color: RGB,
    soft: bool,
    light: RGB,
) -> None:
    x, y = rotate(patch.x - cx, patch.y - cy, pose.angle)
    white = lit((0.94, 0.94, 0.92), light)
    funnel = polygon(
        x,
        y,
        [
            (0.16 * length, -0.31 * length),
            (0.25 * length, -0.31 * length),
            (0.26 * length, -0.1 * length),
            (0.13 * length, -0.1 * length),
        ],
    )
    patch.paint(cover(funnel), lit((0.8, 0.15, 0.12), light))
    patch.paint(cover(np.maximum(funnel, -(y + 0.27 * length))), (0.08, 0.08, 0.08))
    deck = box(x + 0.08 * length, y + 0.14 * length, 0.22 * length, 0.06 * length, 0.01 * length)
    bridge = box(x - 0.02 * length, y + 0.22 * length, 0.09 * length, 0.04 * length, 0.01 * length)
    patch.paint(cover(np.minimum(deck, bridge)), white)
    windows = np.maximum(
        deck + 0.025 * length,
        np.abs(((x + 1000 * length) % (0.04 * length)) - 0.02 * length) - 0.01 * length,
    )
    windows = np.maximum(windows, np.abs(y + 0.14 * length) - 0.015 * length)
    patch.paint(
        cover(windows), lit((0.25, 0.35, 0.45), light) if light[2] > 0.6 else (1.0, 0.85, 0.45)
    )
    hull = polygon(
        x,
        y,
        [
            (-0.5 * length, -0.1 * length),
            (0.53 * length, -0.12 * length),
            (0.44 * length, 0.06 * length),
            (-0.46 * length, 0.06 * length),
        ],
    )
    hull = np.maximum(hull, y - 0.04 * length)
    shade = 1.0 - (
        0.3 * np.clip((y + 0.1 * length) / (0.14 * length), 0.0, 1.0) if soft else 0.0 * y
    )
    patch.paint(cover(hull), np.asarray(color, dtype=np.float32) * np.asarray(shade)[..., None])
    band = np.maximum(hull, np.abs(y - 0.0 * length) - 0.012 * length)
    patch.paint(cover(band), lit((0.7, 0.12, 0.1), light))
