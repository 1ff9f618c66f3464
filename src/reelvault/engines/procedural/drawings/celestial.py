"""Bodies of the sky: stars, the sun, the moon, ringed planets and clouds."""

from __future__ import annotations

import math

import numpy as np

from reelvault.engines.procedural.drawings.shading import lighter, lit, sphere_shade
from reelvault.engines.procedural.movement import TAU, Pose
from reelvault.engines.procedural.scene import RGB
from reelvault.engines.procedural.sdf import (
    Patch,
    circle,
    cover,
    ellipse,
    halo,
    polygon,
    rotate,
)


def _star_points(r: float, inner: float, points: int = 5) -> list[tuple[float, float]]:
    out = []
    for k in range(points * 2):
        radius = r if k % 2 == 0 else r * inner
        a = math.pi * k / points - math.pi / 2
        out.append((radius * math.cos(a), radius * math.sin(a)))
    return out


def draw_star(
    patch: Patch, cx: float, cy: float, r: float, pose: Pose, color: RGB, t: float, soft: bool
) -> None:
    x, y = rotate(patch.x - cx, patch.y - cy, pose.angle)
    pulse = 0.75 + 0.25 * math.sin(TAU * t / 1.7)
    glow = halo(np.hypot(x, y), 0.0, 1.5 * r) * 0.6 * pulse
    patch.glow(glow, lighter(color, 0.3))
    d = polygon(x, y, _star_points(r, 0.45))
    if soft:
        d = d - 0.04 * r
    rgb = np.asarray(color, dtype=np.float32)
    shade = 1.1 - 0.25 * np.clip(np.hypot(x, y) / r, 0, 1) if soft else 1.0 + 0.0 * x
    patch.paint(cover(d), rgb * np.asarray(shade)[..., None])


def draw_sun(
    patch: Patch, cx: float, cy: float, r: float, pose: Pose, color: RGB, soft: bool
) -> None:
    x, y = rotate(patch.x - cx, patch.y - cy, pose.angle)
    dist = np.hypot(x, y)
    patch.glow(halo(dist, r, 1.35 * r) * 0.5, color)
    angle = np.arctan2(y, x)
    rays = np.maximum(np.abs(np.sin(angle * 6.0)) * r * 0.35 - 0.0, 0.0)
    ray = np.maximum(dist - r * 1.55 + rays, r * 1.15 - dist)
    patch.paint(cover(ray), color, 0.75)
    patch.paint(cover(dist - r), lighter(color, 0.25))


def draw_moon(patch: Patch, cx: float, cy: float, r: float, color: RGB) -> None:
    x, y = patch.x - cx, patch.y - cy
    dist = np.hypot(x, y)
    patch.glow(halo(dist, r, 1.15 * r) * 0.3, (0.6, 0.7, 0.9))
    patch.paint(cover(dist - r), color)
    for mx, my, mr in (
        (-0.3, -0.2, 0.22),
        (0.25, 0.3, 0.16),
        (0.35, -0.35, 0.1),
        (-0.1, 0.45, 0.12),
    ):
        patch.paint(cover(circle(x, y, mx * r, my * r, mr * r)), lit(color, (0.85, 0.85, 0.85)))


def draw_planet(
    patch: Patch, cx: float, cy: float, r: float, pose: Pose, color: RGB, t: float, soft: bool
) -> None:
    x, y = patch.x - cx, patch.y - cy
    tilt = -0.35
    rx, ry = rotate(x, y, tilt)
    ring = np.abs(ellipse(rx, ry, 1.75 * r, 0.38 * r)) - 0.1 * r
    ring_color = lighter(color, 0.45)
    back = np.maximum(ring, ry)  # the half behind the planet
    patch.paint(cover(back), ring_color, 0.85)
    body = np.hypot(x, y) - r
    u = np.clip(x / np.sqrt(np.maximum(r * r - y * y, 1.0)), -1.0, 1.0)
    lon = np.arcsin(u) + t * 0.5 * pose.scale
    bands = 0.85 + 0.15 * np.sin(ry / r * 9.0 + 0.6 * np.sin(lon * 2.0))
    rgb = (
        np.asarray(color, dtype=np.float32)
        * bands[..., None]
        * sphere_shade(x / r, y / r, soft)[..., None]
    )
    patch.paint(cover(body), rgb)
    front = np.maximum(ring, -ry)
    patch.paint(cover(front), ring_color, 0.9)


# A cumulus: overlapping puffs (x, y, radius, in units of the cloud's size) on a flat base.
_CLOUD_PUFFS = (
    (-0.6, 0.1, 0.4),
    (-0.2, -0.2, 0.55),
    (0.3, -0.1, 0.5),
    (0.7, 0.12, 0.35),
    (0.05, 0.15, 0.45),
)
_CLOUD_BASE = 0.35


def draw_cloud(patch: Patch, cx: float, cy: float, r: float, color: RGB, soft: bool) -> None:
    x, y = patch.x - cx, patch.y - cy
    d = np.full(x.shape, np.inf, dtype=np.float32)
    for px, py, pr in _CLOUD_PUFFS:
        d = np.minimum(d, circle(x, y, px * r, py * r, pr * r))
    d = np.maximum(d, y - _CLOUD_BASE * r)
    rgb = np.asarray(color, dtype=np.float32)
    # Lit from above: the top is brighter than the flat, shaded base.
    shade = 1.08 - 0.25 * np.clip((y + 0.75 * r) / (1.1 * r), 0, 1) if soft else 1.0 + 0.0 * x
    patch.paint(cover(d), rgb * np.asarray(shade)[..., None])
