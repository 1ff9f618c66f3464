"""Things that hang in the air on a string or a rope: balloons and kites."""

from __future__ import annotations

import math

import numpy as np

from reelvault.engines.procedural.drawings.shading import highlight, lighter, lit, sphere_shade
from reelvault.engines.procedural.movement import Pose
from reelvault.engines.procedural.scene import RGB
from reelvault.engines.procedural.sdf import (
    Patch,
    box,
    circle,
    cover,
    ellipse,
    polygon,
    rotate,
    segment,
)


def draw_balloon(
    patch: Patch, cx: float, cy: float, r: float, pose: Pose, color: RGB, t: float, soft: bool
) -> None:
    x, y = rotate(patch.x - cx, patch.y - cy, pose.angle)
    # String: a gently waving curve below the knot.
    top, bottom = 1.2 * r, 3.6 * r
    wave = 0.08 * r * np.sin(y / r * 2.6 - t * 2.2) * np.clip((y - top) / r, 0.0, 1.0)
    d_string = np.maximum(np.abs(x - wave) - max(0.45, 0.02 * r), np.maximum(top - y, y - bottom))
    patch.paint(cover(d_string), (0.82, 0.8, 0.78), 0.8)
    knot = polygon(x, y, [(0.0, 1.08 * r), (0.13 * r, 1.28 * r), (-0.13 * r, 1.28 * r)])
    body_color = np.asarray(color, dtype=np.float32)
    patch.paint(cover(knot), lit(color, (0.8, 0.8, 0.8)))
    d_body = ellipse(x * (1.0 + 0.12 * y / r), y, r, 1.16 * r)
    shade = sphere_shade(x / r, y / (1.16 * r), soft)
    patch.paint(cover(d_body), body_color * shade[..., None])
    c, s = math.cos(pose.angle), math.sin(pose.angle)
    hx, hy = -0.38 * r * c + 0.48 * r * s, -0.48 * r * c - 0.38 * r * s
    highlight(patch, cx + hx, cy + hy, 0.15 * r, 0.26 * r, soft)


def draw_hot_air_balloon(
    patch: Patch, cx: float, cy: float, r: float, pose: Pose, color: RGB, soft: bool
) -> None:
    x, y = rotate(patch.x - cx, patch.y - cy, pose.angle)
    for side in (-1.0, 1.0):
        rope = segment(x, y, side * 0.36 * r, 1.22 * r, side * 0.2 * r, 1.62 * r, 0.35)
        patch.paint(cover(rope), (0.25, 0.2, 0.15))
    basket = box(x, y - 1.75 * r, 0.22 * r, 0.16 * r, 0.04 * r)
    patch.paint(cover(basket), (0.45, 0.28, 0.14))
    envelope = np.minimum(
        circle(x, y, 0.0, 0.0, r),
        polygon(
            x,
            y,
            [
                (-0.93 * r, 0.3 * r),
                (0.93 * r, 0.3 * r),
                (0.36 * r, 1.25 * r),
                (-0.36 * r, 1.25 * r),
            ],
        ),
    )
    half_width = np.where(
        y < 0.3 * r, np.sqrt(np.clip(r * r - y * y, 1.0, None)), 0.93 * r - (y - 0.3 * r) * 0.6
    )
    u = np.clip(x / np.maximum(half_width, 1.0), -1.0, 1.0)
    stripes = (np.sin(np.arcsin(u) * 7.0) > 0).astype(np.float32)
    base = np.asarray(color, dtype=np.float32)
    accent = np.asarray(lighter(color, 0.75), dtype=np.float32)
    rgb = base + (accent - base) * stripes[..., None]
    shade = 0.62 + 0.48 * np.sqrt(1.0 - u * u) if soft else 1.0 + 0.0 * u
    shade = shade - 0.18 * np.clip((y - 0.5 * r) / r, 0.0, 1.0) if soft else shade
    patch.paint(cover(envelope), rgb * np.asarray(shade)[..., None])


def draw_kite(
    patch: Patch, cx: float, cy: float, s: float, pose: Pose, color: RGB, t: float, soft: bool
) -> None:
    x, y = rotate(patch.x - cx, patch.y - cy, pose.angle)
    wave = 0.14 * s * np.sin(y / s * 3.0 - t * 5.0) * np.clip((y - 0.7 * s) / s, 0.0, 1.0)
    tail = np.maximum(np.abs(x - wave) - max(0.5, 0.012 * s), np.maximum(0.7 * s - y, y - 2.3 * s))
    patch.paint(cover(tail), (0.9, 0.9, 0.88))
    for k in range(3):
        by = (1.1 + 0.45 * k) * s
        bx = 0.14 * s * math.sin(by / s * 3.0 - t * 5.0) * min(max((by - 0.7 * s) / s, 0.0), 1.0)
        bow = polygon(
            x - bx,
            y - by,
            [
                (-0.09 * s, -0.05 * s),
                (0.09 * s, 0.05 * s),
                (0.09 * s, -0.05 * s),
                (-0.09 * s, 0.05 * s),
            ],
        )
        patch.paint(cover(bow), lighter(color, 0.3) if k % 2 else (0.95, 0.3, 0.3))
    kite = polygon(
        x, y, [(0.0, -0.62 * s), (0.42 * s, -0.1 * s), (0.0, 0.72 * s), (-0.42 * s, -0.1 * s)]
    )
    rgb = np.asarray(color, dtype=np.float32)
    light = np.asarray(lighter(color, 0.45), dtype=np.float32)
    quadrant = ((x > 0) ^ (y > -0.1 * s)).astype(np.float32)[..., None]
    patch.paint(cover(kite), rgb + (light - rgb) * quadrant)
    spar = np.maximum(kite, np.minimum(np.abs(x), np.abs(y + 0.1 * s)) - max(0.4, 0.01 * s))
    patch.paint(cover(spar), (0.3, 0.22, 0.15), 0.8)
