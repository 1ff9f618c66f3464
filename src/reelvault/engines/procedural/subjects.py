"""The moving things: where each one is at time t, and how it is drawn.

Motion is a continuous function of time (sines and constant speeds, wrapping around
off-screen), so frames are smooth and any frame can be rendered on its own. Each drawing
function paints one subject into a :class:`Patch` covering its bounding box only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reelvault.engines.procedural.scene import RGB, Motion
from reelvault.engines.procedural.sdf import (
    FloatArray,
    Patch,
    box,
    circle,
    cover,
    ellipse,
    halo,
    polygon,
    rotate,
    segment,
)

TAU = 2.0 * math.pi

# Size of each kind, relative to the shorter side of the frame.
SIZES: dict[str, float] = {
    "balloon": 0.1,
    "hot_air_balloon": 0.13,
    "boat": 0.34,
    "ship": 0.55,
    "bird": 0.075,
    "car": 0.42,
    "fish": 0.2,
    "kite": 0.13,
    "star": 0.1,
    "sun": 0.085,
    "moon": 0.075,
    "planet": 0.2,
    "shape": 0.1,
    "cloud": 0.5,
}


@dataclass(frozen=True)
class Actor:
    """One subject instance placed in the scene."""

    kind: str
    color: RGB
    motion: Motion
    x: float  # base position, pixels
    y: float
    size: float  # pixels
    depth: float  # 0 far .. 1 near (parallax)
    phase: float
    direction: int  # +1 right, -1 left


@dataclass(frozen=True)
class Pose:
    x: float
    y: float
    angle: float
    cycle: float  # flapping / wagging / wheel angle
    scale: float = 1.0


def _wrap(value: float, low: float, high: float) -> float:
    span = high - low
    return low + (value - low) % span


def pose_at(actor: Actor, t: float, duration: float, width: int, height: int) -> Pose:
    """Where ``actor`` is at ``t`` seconds (before the camera), as a continuous function."""
    s, ph, d = actor.size, actor.phase, actor.direction
    mid = t - duration / 2
    span_x = (-1.2 * s, width + 1.2 * s)
    span_y = (-1.5 * s, height + 2.5 * s)
    x, y, angle, cycle = actor.x, actor.y, 0.0, 0.0
    motion = actor.motion
    if motion == "float":
        x += d * 0.022 * width * mid
        y += 0.022 * height * math.sin(TAU * t / 4.0 + ph)
        angle = 0.06 * math.sin(TAU * t / 5.3 + ph)
    elif motion == "fly":
        x = _wrap(x + d * 0.11 * width * mid, *span_x)
        y += 0.035 * height * math.sin(TAU * t / 3.1 + ph)
        cycle = TAU * 2.1 * t + ph
        angle = 0.05 * math.sin(TAU * t / 3.1 + ph + 1.2)
    elif motion == "drive":
        x = _wrap(x + d * 0.24 * width * mid, *span_x)
        y -= 0.004 * height * abs(math.sin(TAU * 2.3 * t + ph))
        cycle = d * (0.24 * width * t) / max(0.11 * s, 1.0)
    elif motion == "spin":
        angle = d * TAU * t / 4.5 + ph
        y += 0.012 * height * math.sin(TAU * t / 3.7 + ph)
    elif motion == "fall":
        y = _wrap(y + 0.07 * height * mid, *span_y)
        x += 0.02 * width * math.sin(TAU * t / 3.3 + ph)
        angle = 0.25 * math.sin(TAU * t / 2.9 + ph)
    elif motion == "rise":
        y = _wrap(y - 0.045 * height * mid, *span_y)
        x += 0.015 * width * math.sin(TAU * t / 5.0 + ph)
        angle = 0.04 * math.sin(TAU * t / 4.1 + ph)
    elif motion == "bounce":
        period = 0.9
        y += 0.08 * height - 0.2 * height * abs(math.sin(math.pi * t / period + ph))
        x += d * 0.03 * width * mid
        angle = 0.12 * math.sin(math.pi * t / period + ph)
    elif motion == "swim":
        x = _wrap(x + d * 0.07 * width * mid, *span_x)
        y += 0.025 * height * math.sin(TAU * t / 3.4 + ph)
        cycle = TAU * 1.7 * t + ph
    elif motion == "sway":
        x += 0.04 * width * math.sin(TAU * t / 6.0 + ph)
        y += 0.03 * height * math.sin(TAU * t / 4.3 + ph)
        angle = 0.16 * math.sin(TAU * t / 3.1 + ph)
    elif motion == "sail":
        x += d * 0.018 * width * mid
        y += 0.005 * height * math.sin(TAU * t / 2.4 + ph)
        angle = 0.035 * math.sin(TAU * t / 2.9 + ph)
    if actor.kind in ("boat", "ship") and motion != "sail":
        # Boats stay on the water whatever the verb says: they rock a little more.
        y = actor.y + 0.006 * height * math.sin(TAU * t / 2.2 + ph)
        angle = 0.06 * math.sin(TAU * t / 2.6 + ph)
    if actor.kind == "car" and motion not in ("drive", "bounce"):
        y = actor.y
        angle = 0.0
    if actor.kind in ("fish", "bird") and motion not in ("swim", "fly"):
        cycle = TAU * 1.7 * t + ph
    return Pose(x=x, y=y, angle=angle, cycle=cycle)


def _lit(color: RGB, ambient: RGB, gain: float = 1.0) -> RGB:
    return (
        color[0] * ambient[0] * gain,
        color[1] * ambient[1] * gain,
        color[2] * ambient[2] * gain,
    )


def _lighter(color: RGB, amount: float) -> RGB:
    return (
        color[0] + (1 - color[0]) * amount,
        color[1] + (1 - color[1]) * amount,
        color[2] + (1 - color[2]) * amount,
    )


def _sphere_shade(lx: FloatArray, ly: FloatArray, soft: bool) -> FloatArray:
    """Lambert-ish shading of a sphere; ``lx``, ``ly`` in -1..1 across its disc."""
    if not soft:
        return np.float32(1.0) + 0.0 * lx * ly
    r2 = np.clip(lx * lx + ly * ly, 0.0, 1.0)
    nz = np.sqrt(1.0 - r2)
    light = 0.5 + 0.55 * np.clip(-0.45 * lx - 0.55 * ly + 0.7 * nz, 0.0, 1.0)
    out: FloatArray = light + 0.15 * np.clip(r2 - 0.75, 0.0, 1.0)  # rim
    return out


def _highlight(patch: Patch, cx: float, cy: float, rx: float, ry: float, soft: bool) -> None:
    d = ellipse(patch.x - cx, patch.y - cy, rx, ry)
    patch.paint(cover(d, max(1.0, rx * 0.8) if soft else 1.0), (1.0, 1.0, 1.0), 0.55)


# ------------------------------------------------------------------------ drawings


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
    patch.paint(cover(knot), _lit(color, (0.8, 0.8, 0.8)))
    d_body = ellipse(x * (1.0 + 0.12 * y / r), y, r, 1.16 * r)
    shade = _sphere_shade(x / r, y / (1.16 * r), soft)
    patch.paint(cover(d_body), body_color * shade[..., None])
    c, s = math.cos(pose.angle), math.sin(pose.angle)
    hx, hy = -0.38 * r * c + 0.48 * r * s, -0.48 * r * c - 0.38 * r * s
    _highlight(patch, cx + hx, cy + hy, 0.15 * r, 0.26 * r, soft)


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
    accent = np.asarray(_lighter(color, 0.75), dtype=np.float32)
    rgb = base + (accent - base) * stripes[..., None]
    shade = 0.62 + 0.48 * np.sqrt(1.0 - u * u) if soft else 1.0 + 0.0 * u
    shade = shade - 0.18 * np.clip((y - 0.5 * r) / r, 0.0, 1.0) if soft else shade
    patch.paint(cover(envelope), rgb * np.asarray(shade)[..., None])


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
    patch.paint(cover(stripe), _lighter(color, 0.6) if sum(color) < 2.2 else (0.7, 0.15, 0.12))


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
    white = _lit((0.94, 0.94, 0.92), light)
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
    patch.paint(cover(funnel), _lit((0.8, 0.15, 0.12), light))
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
        cover(windows), _lit((0.25, 0.35, 0.45), light) if light[2] > 0.6 else (1.0, 0.85, 0.45)
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
    patch.paint(cover(band), _lit((0.7, 0.12, 0.1), light))


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


def draw_car(
    patch: Patch,
    cx: float,
    cy: float,
    length: float,
    pose: Pose,
    color: RGB,
    soft: bool,
    night: bool,
    direction: int,
) -> None:
    x = (patch.x - cx) * direction
    y = patch.y - cy
    shadow = ellipse(x, y, 0.55 * length, 0.035 * length)
    patch.paint(cover(shadow, max(1.0, 0.03 * length)), (0.0, 0.0, 0.0), 0.45)
    body_y = y + 0.2 * length
    cabin = polygon(
        x,
        y,
        [
            (-0.3 * length, -0.29 * length),
            (-0.17 * length, -0.47 * length),
            (0.13 * length, -0.47 * length),
            (0.3 * length, -0.29 * length),
        ],
    )
    cabin = cabin - 0.015 * length
    rgb = np.asarray(color, dtype=np.float32)
    shade = (
        (1.12 - 0.45 * np.clip((y + 0.47 * length) / (0.45 * length), 0.0, 1.0))
        if soft
        else 1.0 + 0.0 * y
    )
    patch.paint(cover(cabin), rgb * np.asarray(shade)[..., None])
    body = box(x, body_y, 0.5 * length, 0.1 * length, 0.05 * length)
    patch.paint(cover(body), rgb * np.asarray(shade)[..., None])
    glass_color = (0.12, 0.14, 0.2) if night else (0.55, 0.7, 0.82)
    glass = np.maximum(cabin + 0.03 * length, -np.abs(x) + 0.012 * length)
    glass_rgb = np.asarray(glass_color, dtype=np.float32)
    glass_shade = 1.0 + 0.25 * np.clip(-(x + y) / length, -1, 1) if soft else 1.0 + 0.0 * x
    patch.paint(cover(glass), glass_rgb * np.asarray(glass_shade)[..., None])
    lamp = ellipse(x - 0.47 * length, y + 0.22 * length, 0.03 * length, 0.022 * length)
    patch.paint(cover(lamp), (1.0, 0.95, 0.7))
    tail = ellipse(x + 0.48 * length, y + 0.22 * length, 0.018 * length, 0.022 * length)
    patch.paint(cover(tail), (0.9, 0.1, 0.08))
    if night:
        beam = polygon(
            x,
            y,
            [
                (0.49 * length, -0.24 * length),
                (1.25 * length, -0.32 * length),
                (1.25 * length, -0.02 * length),
                (0.49 * length, -0.2 * length),
            ],
        )
        fade = np.clip(1.0 - (x - 0.49 * length) / (0.76 * length), 0.0, 1.0)
        patch.glow(cover(beam, max(1.0, 0.06 * length)) * fade * 0.45, (1.0, 0.92, 0.7))
        patch.glow(
            halo(np.hypot(x - 0.49 * length, y + 0.22 * length), 0.0, 0.12 * length) * 0.9,
            (1.0, 0.95, 0.8),
        )
    for wx in (-0.3 * length, 0.3 * length):
        tyre = circle(x, y, wx, -0.1 * length, 0.105 * length)
        patch.paint(cover(tyre), (0.06, 0.06, 0.07))
        hub = circle(x, y, wx, -0.1 * length, 0.055 * length)
        patch.paint(cover(hub), (0.72, 0.73, 0.76) if not night else (0.35, 0.36, 0.4))
        sx, sy = rotate(x - wx, y + 0.1 * length, pose.cycle)
        spokes = np.minimum(
            box(sx, sy, 0.05 * length, 0.008 * length), box(sx, sy, 0.008 * length, 0.05 * length)
        )
        patch.paint(cover(np.maximum(spokes, hub)), (0.3, 0.3, 0.33))


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
        + np.asarray(_lighter(color, 0.5), dtype=np.float32)
        * (np.clip(belly - 0.7, 0.0, 1.0) * 1.5)[..., None]
    )
    patch.paint(cover(body), body_rgb)
    stripe = np.maximum(body, np.abs(x + 0.1 * s) - 0.03 * s)
    patch.paint(cover(stripe), _lighter(color, 0.7), 0.7)
    eye = circle(x, y, 0.28 * s, -0.05 * s, 0.065 * s)
    patch.paint(cover(eye), (0.97, 0.97, 0.95))
    pupil = circle(x, y, 0.295 * s, -0.05 * s, 0.035 * s)
    patch.paint(cover(pupil), (0.03, 0.03, 0.05))


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
        patch.paint(cover(bow), _lighter(color, 0.3) if k % 2 else (0.95, 0.3, 0.3))
    kite = polygon(
        x, y, [(0.0, -0.62 * s), (0.42 * s, -0.1 * s), (0.0, 0.72 * s), (-0.42 * s, -0.1 * s)]
    )
    rgb = np.asarray(color, dtype=np.float32)
    light = np.asarray(_lighter(color, 0.45), dtype=np.float32)
    quadrant = ((x > 0) ^ (y > -0.1 * s)).astype(np.float32)[..., None]
    patch.paint(cover(kite), rgb + (light - rgb) * quadrant)
    spar = np.maximum(kite, np.minimum(np.abs(x), np.abs(y + 0.1 * s)) - max(0.4, 0.01 * s))
    patch.paint(cover(spar), (0.3, 0.22, 0.15), 0.8)


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
    patch.glow(glow, _lighter(color, 0.3))
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
    patch.paint(cover(dist - r), _lighter(color, 0.25))


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
        patch.paint(cover(circle(x, y, mx * r, my * r, mr * r)), _lit(color, (0.85, 0.85, 0.85)))


def draw_planet(
    patch: Patch, cx: float, cy: float, r: float, pose: Pose, color: RGB, t: float, soft: bool
) -> None:
    x, y = patch.x - cx, patch.y - cy
    tilt = -0.35
    rx, ry = rotate(x, y, tilt)
    ring = np.abs(ellipse(rx, ry, 1.75 * r, 0.38 * r)) - 0.1 * r
    ring_color = _lighter(color, 0.45)
    back = np.maximum(ring, ry)  # the half behind the planet
    patch.paint(cover(back), ring_color, 0.85)
    body = np.hypot(x, y) - r
    u = np.clip(x / np.sqrt(np.maximum(r * r - y * y, 1.0)), -1.0, 1.0)
    lon = np.arcsin(u) + t * 0.5 * pose.scale
    bands = 0.85 + 0.15 * np.sin(ry / r * 9.0 + 0.6 * np.sin(lon * 2.0))
    rgb = (
        np.asarray(color, dtype=np.float32)
        * bands[..., None]
        * _sphere_shade(x / r, y / r, soft)[..., None]
    )
    patch.paint(cover(body), rgb)
    front = np.maximum(ring, -ry)
    patch.paint(cover(front), ring_color, 0.9)


def draw_shape(
    patch: Patch, cx: float, cy: float, r: float, pose: Pose, color: RGB, t: float, soft: bool
) -> None:
    """The fallback subject: a glossy orb with a ring turning around it."""
    x, y = patch.x - cx, patch.y - cy
    spin = pose.angle + t * 0.9
    tilt = 0.35 * math.sin(spin)
    rx, ry = rotate(x, y, tilt)
    ring = np.abs(ellipse(rx, ry, 1.55 * r, 0.32 * r)) - max(0.6, 0.035 * r)
    ring_color = _lighter(color, 0.6)
    patch.glow(halo(np.hypot(x, y), r, 0.65 * r) * 0.3, _lighter(color, 0.4))
    patch.paint(cover(np.maximum(ring, ry)), ring_color, 0.9)
    body = np.hypot(x, y) - r
    rgb = np.asarray(color, dtype=np.float32) * _sphere_shade(x / r, y / r, soft)[..., None]
    patch.paint(cover(body), rgb)
    _highlight(patch, cx - 0.35 * r, cy - 0.4 * r, 0.22 * r, 0.16 * r, soft)
    patch.paint(cover(np.maximum(ring, -ry)), ring_color, 0.9)


def extent(kind: str, size: float) -> tuple[float, float, float, float]:
    """Bounding box (left, top, right, bottom) around the actor's anchor, in pixels."""
    s = size
    boxes = {
        "balloon": (1.35 * s, 1.35 * s, 1.35 * s, 3.7 * s),
        "hot_air_balloon": (1.1 * s, 1.1 * s, 1.1 * s, 2.0 * s),
        "boat": (0.62 * s, 0.85 * s, 0.62 * s, 0.2 * s),
        "ship": (0.6 * s, 0.38 * s, 0.6 * s, 0.14 * s),
        "bird": (1.05 * s, 0.8 * s, 1.05 * s, 0.8 * s),
        "car": (1.3 * s, 0.55 * s, 1.3 * s, 0.1 * s),
        "fish": (0.85 * s, 0.45 * s, 0.85 * s, 0.45 * s),
        "kite": (0.55 * s, 0.7 * s, 0.55 * s, 2.4 * s),
        "star": (1.6 * s, 1.6 * s, 1.6 * s, 1.6 * s),
        "sun": (2.4 * s, 2.4 * s, 2.4 * s, 2.4 * s),
        "moon": (2.2 * s, 2.2 * s, 2.2 * s, 2.2 * s),
        "planet": (1.9 * s, 1.3 * s, 1.9 * s, 1.3 * s),
        "shape": (1.7 * s, 1.7 * s, 1.7 * s, 1.7 * s),
    }
    return boxes[kind]


def draw_actor(
    actor: Actor,
    pose: Pose,
    x: float,
    y: float,
    scale: float,
    t: float,
    width: int,
    height: int,
    ambient: RGB,
    soft: bool,
    night: bool,
) -> Patch | None:
    """Paint ``actor`` at screen position (x, y) and ``scale``; None when off-screen."""
    size = actor.size * scale
    left, top, right, bottom = extent(actor.kind, size)
    if actor.kind == "car" and not night:
        left = right = 0.62 * size
    x0 = max(0, math.floor(x - left))
    x1 = min(width, math.ceil(x + right) + 1)
    y0 = max(0, math.floor(y - top))
    y1 = min(height, math.ceil(y + bottom) + 1)
    if x1 <= x0 or y1 <= y0:
        return None
    patch = Patch(x0, y0, x1, y1)
    color = _lit(actor.color, ambient)
    kind = actor.kind
    if kind == "balloon":
        draw_balloon(patch, x, y, size, pose, color, t, soft)
    elif kind == "hot_air_balloon":
        draw_hot_air_balloon(patch, x, y, size, pose, color, soft)
    elif kind == "boat":
        draw_boat(patch, x, y, size, pose, color, soft, _lit((0.97, 0.95, 0.9), ambient))
    elif kind == "ship":
        draw_ship(patch, x, y, size, pose, color, soft, ambient)
    elif kind == "bird":
        draw_bird(patch, x, y, size, pose, color)
    elif kind == "car":
        draw_car(patch, x, y, size, pose, color, soft, night, actor.direction)
    elif kind == "fish":
        draw_fish(patch, x, y, size, pose, color, soft, actor.direction)
    elif kind == "kite":
        draw_kite(patch, x, y, size, pose, color, t, soft)
    elif kind == "star":
        draw_star(patch, x, y, size, pose, actor.color, t, soft)
    elif kind == "sun":
        draw_sun(patch, x, y, size, pose, actor.color, soft)
    elif kind == "moon":
        draw_moon(patch, x, y, size, actor.color)
    elif kind == "planet":
        draw_planet(patch, x, y, size, pose, color, t, soft)
    else:
        draw_shape(patch, x, y, size, pose, color, t, soft)
    return patch


__all__ = ["SIZES", "Actor", "Pose", "draw_actor", "extent", "pose_at"]
