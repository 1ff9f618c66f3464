"""Plants: a potted plant, a flower, a tree, a fern, a single leaf, a cactus, swaying.

The anchor is where the plant meets the ground; ``s`` is its height. The sway (the
pose's angle) bends it more towards its top, as wind bends a stem.
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
    ellipse,
    polygon,
    rotate,
    segment,
)


def _leaf(
    x: FloatArray, y: FloatArray, bx: float, by: float, angle: float, length: float
) -> FloatArray:
    """A pointed leaf from (bx, by) along ``angle`` (0 = up)."""
    lx, ly = rotate(x - bx, y - by, angle)
    return ellipse(lx, ly + 0.5 * length, 0.2 * length, 0.5 * length)


def _bent(x: FloatArray, y: FloatArray, s: float, sway: float) -> FloatArray:
    """x with the sway applied: nothing at the ground, most at the top."""
    rise = np.clip(-y / s, 0.0, 1.2)
    out: FloatArray = x - sway * 0.5 * s * rise * rise
    return out


def draw_plant(
    patch: Patch, cx: float, cy: float, s: float, pose: Pose, look: Look, color: RGB
) -> None:
    y = patch.y - cy
    x = _bent(patch.x - cx, y, s, pose.angle)
    v, green = look.variant, look.accent if look.variant in ("flower", "cactus") else color
    if v == "potted":
        pot = polygon(
            x, y, [(-0.17 * s, -0.28 * s), (0.17 * s, -0.28 * s), (0.12 * s, 0.0), (-0.12 * s, 0.0)]
        )
        leaves = np.full(np.broadcast_shapes(x.shape, y.shape), 1e4, dtype=np.float32)
        for i in range(7):
            angle = (i - 3) * 0.38
            leaves = np.minimum(
                leaves, _leaf(x, y, 0.0, -0.26 * s, angle, (0.5 + 0.22 * (i % 2)) * s)
            )
        patch.paint(cover(leaves), green)
        patch.paint(cover(pot), look.accent)
        patch.paint(
            cover(box(x, y + 0.27 * s, 0.19 * s, 0.03 * s)), mix(look.accent, (0.0, 0.0, 0.0), 0.2)
        )
    elif v == "flower":
        stem = segment(x, y, 0.0, 0.0, 0.0, -0.75 * s, max(0.6, 0.015 * s))
        leaves = np.minimum(
            _leaf(x, y, 0.0, -0.25 * s, 0.9, 0.25 * s), _leaf(x, y, 0.0, -0.35 * s, -0.9, 0.22 * s)
        )
        patch.paint(cover(np.minimum(stem, leaves)), green)
        petals = np.full(np.broadcast_shapes(x.shape, y.shape), 1e4, dtype=np.float32)
        for i in range(6):
            a = i * math.pi / 3 + pose.angle
            petals = np.minimum(
                petals,
                circle(x, y, 0.1 * s * math.sin(a), -0.8 * s + 0.1 * s * math.cos(a), 0.08 * s),
            )
        patch.paint(cover(petals), color)
        patch.paint(cover(circle(x, y, 0.0, -0.8 * s, 0.06 * s)), (0.98, 0.8, 0.2))
    elif v == "tree":
        trunk = polygon(
            x, y, [(-0.06 * s, 0.0), (0.06 * s, 0.0), (0.03 * s, -0.55 * s), (-0.03 * s, -0.55 * s)]
        )
        patch.paint(cover(trunk), look.accent)
        crown = np.minimum(
            circle(x, y, 0.0, -0.72 * s, 0.24 * s), circle(x, y, -0.18 * s, -0.55 * s, 0.18 * s)
        )
        crown = np.minimum(crown, circle(x, y, 0.18 * s, -0.57 * s, 0.19 * s))
        patch.paint(cover(crown), color)
        patch.paint(
            cover(np.maximum(crown, circle(x, y, -0.08 * s, -0.82 * s, 0.14 * s))),
            mix(color, (1.0, 1.0, 0.8), 0.2),
        )
    elif v == "fern":
        fronds = np.full(np.broadcast_shapes(x.shape, y.shape), 1e4, dtype=np.float32)
        for i in range(5):
            # One shape per frond: in its own frame (u along, w across) a blade that
            # narrows to the tip, its edge notched into leaflets by a periodic term.
            u, w = rotate(x, y, (i - 2) * 0.42)
            along = np.clip(-w / (0.9 * s), 0.0, 1.0)
            half = 0.13 * s * (1.0 - along) * (0.35 + 0.65 * np.abs(np.sin(along * 7 * math.pi)))
            blade = np.maximum(np.abs(u) - half - max(0.5, 0.01 * s), np.maximum(w, -w - 0.9 * s))
            fronds = np.minimum(fronds, blade)
        patch.paint(cover(fronds), color)
    elif v == "leaf":
        blade = _leaf(x, y, 0.0, -0.05 * s, 0.3, 0.95 * s)
        patch.paint(cover(blade), color)
        lx, ly = rotate(x, y + 0.05 * s, 0.3)
        rib = np.maximum(blade, np.abs(lx) - max(0.5, 0.01 * s))
        veins = np.maximum(
            blade, np.abs(((ly - np.abs(lx)) / (0.12 * s)) % 1.0 - 0.5) * 0.12 * s - 0.006 * s
        )
        patch.paint(cover(np.minimum(rib, veins)), look.accent, 0.8)
    else:  # cactus
        trunk = segment(x, y, 0.0, -0.05 * s, 0.0, -0.8 * s, 0.1 * s)
        for side, h in ((-1.0, 0.45), (1.0, 0.55)):
            arm = np.minimum(
                segment(x, y, 0.0, -h * s, side * 0.22 * s, -h * s, 0.055 * s),
                segment(x, y, side * 0.22 * s, -h * s, side * 0.22 * s, -(h + 0.2) * s, 0.055 * s),
            )
            trunk = np.minimum(trunk, arm)
        patch.paint(cover(trunk), color)
        patch.paint(cover(circle(x, y, 0.0, -0.92 * s, 0.05 * s)), look.accent)


__all__ = ["draw_plant"]
