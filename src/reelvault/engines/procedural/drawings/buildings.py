"""Buildings: silhouettes standing on the ground, their windows lit at night.

The anchor is the middle of the building's foot; ``s`` is its height and ``look.aspect``
its width over its height. Each variant is a few boxes and roofs: a house, a block of
flats, a tower, a castle, a church, a station's hall, a row of gravestones.
"""

from __future__ import annotations

import numpy as np

from reelvault.engines.procedural.catalogue import Look
from reelvault.engines.procedural.colors import mix
from reelvault.engines.procedural.scene import RGB
from reelvault.engines.procedural.sdf import (
    FloatArray,
    Patch,
    box,
    circle,
    cover,
    ellipse,
    polygon,
)


def _windows(x: FloatArray, y: FloatArray, cell: float, walls: FloatArray) -> FloatArray:
    """A grid of windows inside ``walls``, one per ``cell``."""
    gx = np.abs((x / cell) % 1.0 - 0.5) * cell - 0.22 * cell
    gy = np.abs((y / cell) % 1.0 - 0.5) * cell - 0.28 * cell
    out: FloatArray = np.maximum(np.maximum(gx, gy), walls + 0.35 * cell)
    return out


def _lit(x: FloatArray, y: FloatArray, cell: float) -> FloatArray:
    """Which windows are lit at night: a fixed pattern per window, about half of them."""
    ix, iy = np.floor(x / cell), np.floor(y / cell)
    out: FloatArray = (np.sin(ix * 12.9898 + iy * 78.233) * 43758.5453) % 1.0 < 0.55
    return out


def _roofed(
    x: FloatArray, y: FloatArray, w: float, h: float, apex: float
) -> tuple[FloatArray, FloatArray]:
    walls = box(x, y + 0.5 * h, 0.5 * w, 0.5 * h)
    roof = polygon(x, y, [(-0.58 * w, -h), (0.58 * w, -h), (0.0, -h - apex)])
    return walls, roof


def _shape(
    x: FloatArray, y: FloatArray, s: float, look: Look
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(walls, roofs, doors) of the variant."""
    w, v = s * look.aspect, look.variant
    none = np.full(np.broadcast_shapes(x.shape, y.shape), 1e4, dtype=np.float32)
    if v == "house":
        walls, roof = _roofed(x, y, w, 0.58 * s, 0.42 * s)
        return walls, roof, box(x - 0.18 * w, y + 0.14 * s, 0.07 * w, 0.14 * s)
    if v == "block":
        return box(x, y + 0.5 * s, 0.5 * w, 0.5 * s), none, box(x, y + 0.06 * s, 0.08 * w, 0.06 * s)
    if v == "tower":
        walls = box(x, y + 0.45 * s, 0.5 * w, 0.45 * s)
        roof = polygon(x, y, [(-0.65 * w, -0.9 * s), (0.65 * w, -0.9 * s), (0.0, -1.15 * s)])
        return walls, roof, box(x, y + 0.06 * s, 0.15 * w, 0.06 * s)
    if v == "castle":
        wall = box(x, y + 0.3 * s, 0.42 * w, 0.3 * s)
        notches = np.maximum(
            np.abs((x / (0.06 * w)) % 2.0 - 1.5) - 0.5, (y + 0.54 * s) / (0.06 * w)
        )
        walls = np.maximum(wall, -notches * 0.06 * w)
        roofs = none
        for side in (-1.0, 1.0):
            walls = np.minimum(walls, box(x - side * 0.42 * w, y + 0.45 * s, 0.09 * w, 0.45 * s))
            roofs = np.minimum(
                roofs,
                polygon(
                    x,
                    y,
                    [
                        (side * 0.42 * w - 0.12 * w, -0.9 * s),
                        (side * 0.42 * w + 0.12 * w, -0.9 * s),
                        (side * 0.42 * w, -1.15 * s),
                    ],
                ),
            )
        gate = np.minimum(
            box(x, y + 0.1 * s, 0.07 * w, 0.1 * s), circle(x, y, 0.0, -0.2 * s, 0.07 * w)
        )
        return walls, roofs, gate
    if v == "church":
        walls, roof = _roofed(x + 0.12 * w, y, 0.7 * w, 0.5 * s, 0.25 * s)
        tower = box(x + 0.42 * w, y + 0.4 * s, 0.1 * w, 0.4 * s)
        spire = polygon(x, y, [(-0.54 * w, -0.8 * s), (-0.3 * w, -0.8 * s), (-0.42 * w, -1.05 * s)])
        cross = np.minimum(
            box(x + 0.42 * w, y + 1.1 * s, 0.008 * s, 0.06 * s),
            box(x + 0.42 * w, y + 1.11 * s, 0.035 * s, 0.008 * s),
        )
        door = np.minimum(
            box(x + 0.12 * w, y + 0.1 * s, 0.06 * w, 0.1 * s),
            circle(x, y, -0.12 * w, -0.2 * s, 0.06 * w),
        )
        return np.minimum(walls, tower), np.minimum(np.minimum(roof, spire), cross), door
    if v == "hall":
        walls = box(x, y + 0.3 * s, 0.5 * w, 0.3 * s)
        arch = np.maximum(ellipse(x, y + 0.6 * s, 0.5 * w, 0.3 * s), y + 0.6 * s)
        door = np.minimum(
            box(x, y + 0.15 * s, 0.12 * w, 0.15 * s), circle(x, y, 0.0, -0.3 * s, 0.12 * w)
        )
        return walls, arch, door
    stones = none  # graves: a row of headstones and a cross
    for i, (dx, h) in enumerate(((-0.4, 0.8), (-0.15, 1.0), (0.1, 0.75), (0.35, 0.9))):
        sx = x - dx * w
        if i == 2:
            stones = np.minimum(
                stones,
                np.minimum(
                    box(sx, y + 0.5 * s, 0.03 * w, 0.5 * s),
                    box(sx, y + 0.7 * s, 0.09 * w, 0.03 * w),
                ),
            )
        else:
            stones = np.minimum(
                stones,
                np.minimum(
                    box(sx, y + 0.3 * h * s, 0.08 * w, 0.3 * h * s),
                    circle(sx, y, 0.0, -0.6 * h * s, 0.08 * w),
                ),
            )
    return stones, none, none


def draw_building(
    patch: Patch, cx: float, cy: float, s: float, look: Look, color: RGB, night: bool
) -> None:
    x, y = patch.x - cx, patch.y - cy
    walls, roof, door = _shape(x, y, s, look)
    patch.paint(cover(walls), color)
    patch.paint(cover(roof), look.accent)
    if look.variant == "graves":
        patch.paint(cover(np.maximum(walls, -(y + 0.04 * s))), mix(color, (0.2, 0.3, 0.15), 0.5))
        return
    cell = max(3.0, 0.12 * s * (0.8 if look.variant == "block" else 1.0))
    windows = _windows(x, y, cell, np.maximum(walls, -door))
    dark = mix(look.accent, (0.05, 0.07, 0.12), 0.5)
    if night:
        glow: RGB = (1.0, 0.82, 0.45)
        patch.paint(cover(windows), dark)
        patch.paint(cover(np.where(_lit(x, y, cell), windows, 1e4)), glow)
    else:
        patch.paint(cover(windows), mix(dark, (0.6, 0.75, 0.9), 0.5))
    patch.paint(cover(door), mix(color, (0.0, 0.0, 0.0), 0.6))


__all__ = ["draw_building"]
