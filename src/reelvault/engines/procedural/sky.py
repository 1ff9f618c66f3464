"""The sky behind everything, computed once per video: gradient, sun, moon, stars, clouds.

Space and the underwater "sky" (the sea seen from below) are skies too.
"""

from __future__ import annotations

import numpy as np

from reelvault.engines.procedural.lighting import Light
from reelvault.engines.procedural.noise import noise_2d
from reelvault.engines.procedural.scene import RGB, Scene
from reelvault.engines.procedural.sdf import FloatArray


def _gradient(rows: FloatArray, stops: list[tuple[float, RGB]]) -> FloatArray:
    """Colour per row from (position, colour) stops, smooth between them."""
    out = np.zeros((rows.shape[0], 3), dtype=np.float32)
    pos = np.array([p for p, _ in stops], dtype=np.float32)
    for channel in range(3):
        out[:, channel] = np.interp(rows, pos, [c[channel] for _, c in stops])
    return out


def build_sky(
    scene: Scene,
    light: Light,
    width: int,
    height: int,
    horizon: int,
    rng: np.random.Generator,
    soft: bool,
) -> tuple[FloatArray, FloatArray | None]:
    """The static sky (H, W, 3), and the star map used for twinkling (or None)."""
    if scene.has("underwater"):
        return _underwater_sky(width, height, rng), None
    ys = (np.arange(height, dtype=np.float32) + 0.5) / max(horizon, 1)
    ys = np.clip(ys, 0.0, 1.0)
    curve = ys**1.6
    column = _gradient(curve, [(0.0, light.top), (0.55, light.mid), (1.0, light.horizon)])
    sky = np.repeat(column[:, None, :], width, axis=1)
    if scene.has("space"):
        sky = _space(width, height, rng, scene)
    x = (np.arange(width, dtype=np.float32) + 0.5)[None, :]
    y = (np.arange(height, dtype=np.float32) + 0.5)[:, None]
    unit = float(height)
    sx, sy = light.sun_xy[0] * width, light.sun_xy[1] * height
    if light.glow > 0 and not scene.has("space"):
        # Warm glow around the sun and along the horizon.
        glow_color = np.asarray(light.sun or light.horizon, dtype=np.float32)
        d = np.hypot((x - sx) / (0.9 * unit), (y - sy) / (0.55 * unit))
        strength = light.glow * (0.55 if soft else 0.4)
        sky += (np.exp(-d * 3.2) * strength)[..., None] * glow_color * 0.6
        band = np.exp(-np.abs(y - horizon) / (0.12 * unit)) * np.exp(-np.abs(x - sx) / (0.8 * unit))
        sky += (band * light.glow * 0.25)[..., None] * glow_color
    stars = None
    if scene.has("stars") or scene.has("space"):
        stars = _stars(width, height, horizon, rng, dense=scene.has("space"))
        sky += stars[..., None] * np.asarray((0.95, 0.95, 1.0), dtype=np.float32)
    if light.sun is not None and not any(s.kind == "sun" for s in scene.subjects):
        r = light.sun_radius * unit
        disc = np.clip(0.5 - (np.hypot(x - sx, y - sy) - r), 0.0, 1.0)
        halo = np.exp(-np.maximum(np.hypot(x - sx, y - sy) - r, 0.0) / (0.6 * r))
        sun = np.asarray(light.sun, dtype=np.float32)
        sky += (halo * 0.45)[..., None] * sun
        sky = sky * (1 - disc[..., None]) + disc[..., None] * sun
    if light.moon and not any(s.kind == "moon" for s in scene.subjects):
        r = light.sun_radius * unit
        dist = np.hypot(x - sx, y - sy)
        disc = np.clip(0.5 - (dist - r), 0.0, 1.0)
        halo = np.exp(-np.maximum(dist - r, 0.0) / (1.6 * r)) * 0.18
        craters = noise_2d(rng, height, width, max(4, width // 40), 2)
        moon = np.asarray((0.95, 0.94, 0.86), dtype=np.float32)
        surface = (0.82 + 0.18 * craters)[..., None] * moon
        sky += halo[..., None] * np.asarray((0.6, 0.7, 0.9), dtype=np.float32)
        sky = sky * (1 - disc[..., None]) + disc[..., None] * surface
    if horizon < height:
        sky[horizon:] = sky[horizon - 1]
    result: FloatArray = sky.astype(np.float32)
    return result, stars


def _stars(
    width: int, height: int, horizon: int, rng: np.random.Generator, dense: bool
) -> FloatArray:
    count = int(width * height / (350 if dense else 700))
    xs = rng.uniform(0, width - 1, count)
    ys = (
        rng.uniform(0, max(horizon, 2) - 1, count)
        if not dense
        else rng.uniform(0, height - 1, count)
    )
    bright = (rng.random(count) ** 6 * 0.9 + 0.08).astype(np.float32)
    fade = np.clip(1.0 - ys / max(horizon, 1) * 1.1 + 0.25, 0.0, 1.0) if not dense else 1.0
    field = np.zeros(height * width, dtype=np.float32)
    x0 = np.floor(xs).astype(np.int64)
    y0 = np.floor(ys).astype(np.int64)
    fx, fy = xs - x0, ys - y0
    w = bright * fade
    for dx, dy, weight in (
        (0, 0, (1 - fx) * (1 - fy)),
        (1, 0, fx * (1 - fy)),
        (0, 1, (1 - fx) * fy),
        (1, 1, fx * fy),
    ):
        xi = np.minimum(x0 + dx, width - 1)
        yi = np.minimum(y0 + dy, height - 1)
        field += np.bincount(yi * width + xi, weights=w * weight, minlength=height * width).astype(
            np.float32
        )
    out: FloatArray = np.clip(field.reshape(height, width) * 1.6, 0.0, 1.0)
    return out


def _space(width: int, height: int, rng: np.random.Generator, scene: Scene) -> FloatArray:
    base = _gradient(
        np.linspace(0, 1, height, dtype=np.float32),
        [(0.0, (0.01, 0.01, 0.04)), (1.0, (0.04, 0.02, 0.09))],
    )
    sky = np.repeat(base[:, None, :], width, axis=1)
    accents = list(scene.accents) or [(0.55, 0.2, 0.75), (0.1, 0.5, 0.7)]
    for index, color in enumerate(
        accents[:2] if len(accents) > 1 else [*accents, (0.85, 0.3, 0.5)]
    ):
        cloud = noise_2d(rng, height, width, 3, 4)
        cloud = np.clip((cloud - 0.45) * 2.2, 0.0, 1.0) ** 1.5 * (0.5 if index == 0 else 0.35)
        sky += cloud[..., None] * np.asarray(color, dtype=np.float32)
    result: FloatArray = sky
    return result


def _underwater_sky(width: int, height: int, rng: np.random.Generator) -> FloatArray:
    rows = np.linspace(0, 1, height, dtype=np.float32)
    column = _gradient(
        rows, [(0.0, (0.18, 0.62, 0.7)), (0.45, (0.05, 0.35, 0.52)), (1.0, (0.02, 0.12, 0.28))]
    )
    sea = np.repeat(column[:, None, :], width, axis=1)
    x = (np.arange(width, dtype=np.float32) + 0.5)[None, :]
    y = (np.arange(height, dtype=np.float32) + 0.5)[:, None]
    rays = np.zeros((height, width), dtype=np.float32)
    for _ in range(7):
        x0 = rng.uniform(-0.2, 1.1) * width
        slope = rng.uniform(0.25, 0.45)
        half = rng.uniform(0.01, 0.04) * width
        d = np.abs(x - (x0 + y * slope))
        rays += np.clip(1.0 - d / (half + y * 0.04), 0.0, 1.0) * rng.uniform(0.05, 0.12)
    rays *= np.clip(1.0 - y / (0.85 * height), 0.0, 1.0)
    sea += rays[..., None] * np.asarray((0.7, 0.95, 0.9), dtype=np.float32)
    result: FloatArray = sea
    return result


def cloud_sprite(
    rng: np.random.Generator, width: int, height: int, lit: RGB, shadow: RGB, soft: bool
) -> FloatArray:
    """A fluffy cloud as premultiplied RGBA (height, width, 4): puffs over a soft base."""
    x = (np.arange(width, dtype=np.float32) + 0.5)[None, :]
    y = (np.arange(height, dtype=np.float32) + 0.5)[:, None]
    d = np.full((height, width), 1e9, dtype=np.float32)
    base = height * 0.8
    puffs = int(rng.integers(4, 7))
    for i in range(puffs):
        cx = width * (0.2 + 0.6 * (i + rng.uniform(-0.2, 0.2)) / max(puffs - 1, 1))
        lift = float(rng.uniform(0.2, 0.7))
        r = height * float(rng.uniform(0.22, 0.42)) * (1.3 - abs(cx / width - 0.5))
        r = min(r, (base - 3.0) / (1.0 + lift), cx - 2.0, width - cx - 2.0)
        d = np.minimum(d, np.hypot(x - cx, y - (base - r * lift)) - r)
    edge = 2.0 if soft else 1.0
    alpha = np.clip(0.5 - d / edge, 0.0, 1.0)
    fade = np.clip((base - y) / (height * 0.12) + 0.5, 0.0, 1.0)
    alpha = alpha * (fade if soft else np.clip((base - y) + 0.5, 0.0, 1.0))
    t = np.clip((y - base * 0.3) / (base * 0.7), 0.0, 1.0)
    lit_a, shadow_a = np.asarray(lit, dtype=np.float32), np.asarray(shadow, dtype=np.float32)
    rgb = lit_a + (shadow_a - lit_a) * t[..., None]
    sprite = np.empty((height, width, 4), dtype=np.float32)
    sprite[..., :3] = rgb * alpha[..., None] * 0.95
    sprite[..., 3] = alpha * 0.95
    return sprite


__all__ = ["build_sky", "cloud_sprite"]
