"""Four-legged animals: one body drawn with each species' proportions, ears, tail and coat.

The anchor is where the feet touch the ground; ``s`` is the animal's length. The legs
swing with the pose's cycle (a walk, or a run when the verb says so).
"""

from __future__ import annotations

import math

import numpy as np

from reelvault.engines.procedural.catalogue import Look
from reelvault.engines.procedural.colors import mix
from reelvault.engines.procedural.drawings.shading import lighter
from reelvault.engines.procedural.movement import Pose
from reelvault.engines.procedural.scene import RGB
from reelvault.engines.procedural.sdf import (
    FloatArray,
    Patch,
    circle,
    cover,
    ellipse,
    polygon,
    rotate,
    segment,
)


def _ears(x: FloatArray, y: FloatArray, hx: float, hy: float, r: float, kind: str) -> FloatArray:
    """Distance to the ears on a head of radius ``r`` centred at (hx, hy)."""
    if kind == "pointed":
        return np.minimum(
            polygon(
                x,
                y,
                [
                    (hx - 0.7 * r, hy - 0.5 * r),
                    (hx - 0.2 * r, hy - 0.8 * r),
                    (hx - 0.55 * r, hy - 1.6 * r),
                ],
            ),
            polygon(
                x,
                y,
                [
                    (hx + 0.05 * r, hy - 0.8 * r),
                    (hx + 0.55 * r, hy - 0.6 * r),
                    (hx + 0.15 * r, hy - 1.55 * r),
                ],
            ),
        )
    if kind == "round":
        return np.minimum(
            circle(x, y, hx - 0.55 * r, hy - 0.75 * r, 0.38 * r),
            circle(x, y, hx + 0.2 * r, hy - 0.85 * r, 0.34 * r),
        )
    if kind == "long":
        ex, ey = rotate(x - (hx - 0.3 * r), y - (hy - 1.5 * r), -0.25)
        return ellipse(ex, ey, 0.28 * r, 0.95 * r)
    if kind == "horns":
        return np.minimum(
            segment(x, y, hx - 0.3 * r, hy - 0.8 * r, hx - 0.7 * r, hy - 1.6 * r, 0.1 * r),
            segment(x, y, hx + 0.2 * r, hy - 0.8 * r, hx + 0.4 * r, hy - 1.6 * r, 0.1 * r),
        )
    return np.full(np.broadcast_shapes(x.shape, y.shape), 1e4, dtype=np.float32)


def _tail(
    x: FloatArray, y: FloatArray, tx: float, ty: float, s: float, kind: str, wag: float
) -> FloatArray:
    """Distance to the tail rooted at (tx, ty)."""
    if kind == "bushy":
        ex, ey = rotate(x - (tx - 0.16 * s), y - (ty + 0.02 * s), -0.5 + 0.15 * wag)
        return ellipse(ex, ey, 0.2 * s, 0.065 * s)
    if kind == "curl":
        ex, ey = rotate(x - (tx - 0.1 * s), y - (ty - 0.2 * s), 0.35 + 0.1 * wag)
        return ellipse(ex, ey, 0.09 * s, 0.24 * s)
    if kind in ("thin", "long"):
        reach = 0.28 * s if kind == "long" else 0.17 * s
        mid = (tx - 0.55 * reach, ty - 0.15 * reach + 0.1 * reach * wag)
        end = (tx - reach, ty - 0.5 * reach + 0.35 * reach * wag)
        width = max(0.7, 0.018 * s)
        return np.minimum(segment(x, y, tx, ty, *mid, width), segment(x, y, *mid, *end, width))
    return np.full(np.broadcast_shapes(x.shape, y.shape), 1e4, dtype=np.float32)


def _coat(body: FloatArray, x: FloatArray, y: FloatArray, s: float, look: Look) -> FloatArray:
    """Distance to the coat's markings (inside the body only)."""
    if look.pattern == "stripes":
        bands = np.abs(np.sin(x * (math.pi / (0.09 * s)))) - 0.35
        out: FloatArray = np.maximum(body, bands * 0.05 * s)
        return out
    if look.pattern == "spots":
        spots = np.minimum(
            circle(x, y, -0.12 * s, -0.02 * s, 0.07 * s),
            circle(x, y, 0.1 * s, 0.03 * s, 0.05 * s),
        )
        return np.maximum(body, spots)
    return np.full(body.shape, 1e4, dtype=np.float32)


def draw_quadruped(
    patch: Patch,
    cx: float,
    cy: float,
    s: float,
    pose: Pose,
    look: Look,
    color: RGB,
    direction: int,
    soft: bool,
) -> None:
    x = (patch.x - cx) * direction
    leg = look.legs * s
    ry = 0.3 * s / look.aspect
    by = -(leg + 0.7 * ry) + 0.01 * s * math.sin(2 * pose.cycle)
    y = patch.y - cy - by  # origin at the body's centre
    width = max(0.8, (0.05 + 0.06 / look.aspect) * s * 0.6)
    far = mix(color, (0.0, 0.0, 0.0), 0.3)
    swing = 0.5 * leg
    for side, tone in ((1.0, far), (0.0, color)):
        legs = None
        for hip, phase in ((-0.22 * s, side * math.pi), (0.2 * s, math.pi - side * math.pi)):
            step = math.sin(pose.cycle + phase)
            knee = (hip + 0.3 * swing * step, 0.25 * ry + 0.5 * leg)
            foot = (hip + swing * step, 0.7 * ry + leg - width)
            d = np.minimum(
                segment(x, y, hip, 0.0, *knee, width), segment(x, y, *knee, *foot, width * 0.85)
            )
            legs = d if legs is None else np.minimum(legs, d)
        if legs is not None:
            patch.paint(cover(legs), tone)
    wag = math.sin(1.3 * pose.cycle)
    tail = _tail(x, y, -0.28 * s, -0.4 * ry, s, look.tail, wag)
    patch.paint(cover(tail), color)
    if look.tail == "bushy":
        tip = np.maximum(tail, -(x + 0.52 * s) * 1.0)
        patch.paint(cover(tip), look.accent)
    body = ellipse(x, y, 0.32 * s, ry)
    if look.pattern == "wool":  # a fleece: the outline scalloped into curls
        body = body - 0.02 * s * (1.0 + np.cos(12.0 * np.arctan2(y, x))) - 0.015 * s
    hx, hy, r = 0.33 * s, -ry - 0.02 * s - (0.1 * s if look.legs > 0.4 else 0.0), 0.1 * s
    neck = segment(x, y, 0.18 * s, -0.2 * ry, hx - 0.2 * r, hy, 0.55 * ry)
    head = np.minimum(
        circle(x, y, hx, hy, r), ellipse(x - hx - 0.8 * r, y - hy - 0.3 * r, 0.75 * r, 0.5 * r)
    )
    ears = _ears(x, y, hx, hy, r, look.ears)
    if look.ears == "mane":  # a lion's: a ruff around the head, behind it
        ruff = circle(x, y, hx - 0.25 * r, hy + 0.1 * r, 1.75 * r)
        ruff = ruff - 0.12 * r * (1.0 + np.cos(14.0 * np.arctan2(y - hy, x - hx)))
        patch.paint(cover(ruff), look.accent)
    shade = 1.0 + 0.25 * np.clip(-y / (ry + 0.2 * s), -1.0, 1.0) if soft else 1.0 + 0.0 * y
    coat = np.asarray(color, dtype=np.float32) * np.asarray(shade, dtype=np.float32)[..., None]
    patch.paint(cover(np.minimum(np.minimum(body, neck), np.minimum(head, ears))), coat)
    if look.ears == "horns":
        patch.paint(cover(ears), (0.9, 0.88, 0.8))
    markings = _coat(body, x, y, s, look)
    patch.paint(cover(markings), look.accent, 0.9)
    belly = np.maximum(body, -(y - 0.35 * ry))
    patch.paint(cover(belly), lighter(color, 0.35), 0.6)
    patch.paint(cover(circle(x, y, hx + 1.55 * r, hy + 0.25 * r, 0.2 * r)), (0.05, 0.04, 0.04))
    patch.paint(
        cover(circle(x, y, hx + 0.25 * r, hy - 0.2 * r, max(0.6, 0.16 * r))), (0.04, 0.03, 0.03)
    )


__all__ = ["draw_quadruped"]
