"""The parts of a scene that do not move by themselves: sky, light, landscape layers.

Everything here is computed once per video. The sky is a full frame; each landscape
layer is a premultiplied RGBA band wider than the frame (the camera pans across it) at
a depth from 0 (infinitely far) to 1 (near), which sets its parallax.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from reelvault.engines.procedural.scene import RGB, Scene
from reelvault.engines.procedural.sdf import FloatArray


@dataclass(frozen=True)
class Light:
    """Sky colours and the light they cast on things."""

    top: RGB
    mid: RGB
    horizon: RGB
    ambient: RGB
    sun: RGB | None
    sun_xy: tuple[float, float]  # relative to frame size
    sun_radius: float  # relative to frame height
    glow: float
    moon: bool
    water: RGB
    ground: RGB


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def _scale(a: RGB, k: float) -> RGB:
    return (a[0] * k, a[1] * k, a[2] * k)


def _mul(a: RGB, b: RGB) -> RGB:
    return (a[0] * b[0], a[1] * b[1], a[2] * b[2])


def make_light(scene: Scene, rng: np.random.Generator, horizon: float) -> Light:
    """Colours for the scene's time of day and weather; ``horizon`` is relative (0..1)."""
    sun_x = float(rng.uniform(0.28, 0.72))
    if scene.time == "day":
        light = Light(
            top=(0.2, 0.42, 0.8),
            mid=(0.42, 0.64, 0.9),
            horizon=(0.8, 0.88, 0.95),
            ambient=(1.0, 1.0, 1.0),
            sun=(1.0, 0.97, 0.86),
            sun_xy=(float(rng.uniform(0.62, 0.85)), 0.14),
            sun_radius=0.035,
            glow=0.35,
            moon=False,
            water=(0.08, 0.3, 0.5),
            ground=(0.3, 0.55, 0.25),
        )
    elif scene.time == "sunset":
        light = Light(
            top=(0.15, 0.14, 0.38),
            mid=(0.8, 0.38, 0.42),
            horizon=(1.0, 0.68, 0.32),
            ambient=(1.0, 0.8, 0.68),
            sun=(1.0, 0.88, 0.55),
            sun_xy=(sun_x, horizon - 0.09),
            sun_radius=0.06,
            glow=1.0,
            moon=False,
            water=(0.2, 0.12, 0.26),
            ground=(0.3, 0.25, 0.2),
        )
    elif scene.time == "sunrise":
        light = Light(
            top=(0.3, 0.42, 0.75),
            mid=(0.93, 0.66, 0.68),
            horizon=(1.0, 0.86, 0.62),
            ambient=(1.0, 0.9, 0.85),
            sun=(1.0, 0.93, 0.7),
            sun_xy=(sun_x, horizon - 0.07),
            sun_radius=0.055,
            glow=0.8,
            moon=False,
            water=(0.22, 0.3, 0.45),
            ground=(0.35, 0.42, 0.3),
        )
    elif scene.time == "dusk":
        light = Light(
            top=(0.07, 0.07, 0.23),
            mid=(0.34, 0.24, 0.48),
            horizon=(0.93, 0.5, 0.4),
            ambient=(0.62, 0.56, 0.72),
            sun=None,
            sun_xy=(sun_x, horizon + 0.02),
            sun_radius=0.05,
            glow=0.6,
            moon=False,
            water=(0.08, 0.08, 0.2),
            ground=(0.15, 0.14, 0.2),
        )
    else:
        light = Light(
            top=(0.01, 0.02, 0.07),
            mid=(0.03, 0.06, 0.16),
            horizon=(0.09, 0.14, 0.28),
            ambient=(0.45, 0.5, 0.7),
            sun=None,
            sun_xy=(float(rng.uniform(0.65, 0.82)), 0.2),
            sun_radius=0.045,
            glow=0.0,
            moon=True,
            water=(0.02, 0.04, 0.1),
            ground=(0.06, 0.08, 0.12),
        )
    if scene.has("rain"):
        grey: RGB = (0.42, 0.45, 0.5) if scene.time != "night" else (0.06, 0.07, 0.09)
        light = Light(
            top=_mix(light.top, _scale(grey, 0.7), 0.75),
            mid=_mix(light.mid, grey, 0.7),
            horizon=_mix(light.horizon, _scale(grey, 1.2), 0.6),
            ambient=_scale(light.ambient, 0.72),
            sun=None,
            sun_xy=light.sun_xy,
            sun_radius=light.sun_radius,
            glow=light.glow * 0.2,
            moon=False,
            water=_scale(light.water, 0.8),
            ground=_scale(light.ground, 0.7),
        )
    elif scene.has("snow") and scene.time in ("day", "sunrise"):
        overcast: RGB = (0.72, 0.76, 0.82)
        light = Light(
            top=_mix(light.top, overcast, 0.45),
            mid=_mix(light.mid, overcast, 0.5),
            horizon=_mix(light.horizon, overcast, 0.5),
            ambient=light.ambient,
            sun=light.sun,
            sun_xy=light.sun_xy,
            sun_radius=light.sun_radius,
            glow=light.glow * 0.5,
            moon=False,
            water=light.water,
            ground=light.ground,
        )
    return light


# ---------------------------------------------------------------------------- noise


def noise_1d(rng: np.random.Generator, n: int, cells: int, octaves: int = 4) -> FloatArray:
    """Smooth fractal noise of length ``n`` in roughly -1..1 (cosine-interpolated)."""
    out = np.zeros(n, dtype=np.float32)
    amp, total = 1.0, 0.0
    x = np.linspace(0.0, 1.0, n, dtype=np.float32)
    for octave in range(octaves):
        k = cells * 2**octave
        knots = rng.uniform(-1.0, 1.0, k + 2).astype(np.float32)
        pos = x * k
        i = np.floor(pos).astype(np.int64)
        f = pos - i
        f = (1.0 - np.cos(f * np.pi)) * 0.5
        out += amp * (knots[i] * (1.0 - f) + knots[i + 1] * f)
        total += amp
        amp *= 0.5
    result: FloatArray = out / total
    return result


def noise_2d(rng: np.random.Generator, h: int, w: int, cells: int, octaves: int = 3) -> FloatArray:
    """Smooth 2D noise in 0..1 (bicubic-upsampled random grids)."""
    out = np.zeros((h, w), dtype=np.float32)
    amp, total = 1.0, 0.0
    for octave in range(octaves):
        k = cells * 2**octave
        ky = max(2, round(k * h / max(w, 1)) + 1)
        grid = rng.random((ky, k + 1), dtype=np.float32)
        image = Image.fromarray(grid).resize((w, h), Image.Resampling.BICUBIC)
        out += amp * np.asarray(image, dtype=np.float32)
        total += amp
        amp *= 0.5
    result: FloatArray = np.clip(out / total, 0.0, 1.0)
    return result


# ------------------------------------------------------------------------------ sky


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


# ----------------------------------------------------------------------- landscape


@dataclass
class BandLayer:
    """A premultiplied RGBA band (rows ``y0..y0+h``) of a canvas wider than the frame."""

    rgba: FloatArray  # (h, canvas_width, 4)
    y0: int
    depth: float


def _silhouette_band(
    top: FloatArray, bottom: int, color_rows: FloatArray, shade: FloatArray | None = None
) -> tuple[FloatArray, int]:
    """RGBA band filled below the height field ``top`` (y per column), anti-aliased."""
    y0 = max(0, int(np.floor(top.min())) - 1)
    rows = bottom - y0
    y = (np.arange(y0, bottom, dtype=np.float32) + 0.5)[:, None]
    slope = np.gradient(top)
    d = (top[None, :] - y) / np.sqrt(1.0 + slope**2)[None, :]
    alpha = np.clip(0.5 - d, 0.0, 1.0).astype(np.float32)
    rgba = np.empty((rows, top.shape[0], 4), dtype=np.float32)
    color = color_rows[y0:bottom] if color_rows.ndim == 2 else color_rows
    rgba[..., :3] = color[:, None, :] if color.ndim == 2 else color
    if shade is not None:
        rgba[..., :3] *= shade[y0:bottom] if shade.shape[0] > rows else shade
    rgba[..., :3] *= alpha[..., None]
    rgba[..., 3] = alpha
    return rgba, y0


def _rows_color(height: int, top: int, a: RGB, b: RGB, span: int) -> FloatArray:
    """Colour per row from ``a`` at ``top`` to ``b`` at ``top + span``."""
    t = np.clip((np.arange(height, dtype=np.float32) - top) / max(span, 1), 0.0, 1.0)
    return np.asarray(a, dtype=np.float32) + t[:, None] * (
        np.asarray(b, dtype=np.float32) - np.asarray(a, dtype=np.float32)
    )


def ridge_layer(
    rng: np.random.Generator,
    canvas_width: int,
    height: int,
    horizon: int,
    peak: float,
    near: RGB,
    haze: RGB,
    haze_amount: float,
    depth: float,
    rough: bool,
    snow: bool,
) -> BandLayer:
    """Mountains (peaks with rugged detail) or hills (smooth) standing on the horizon."""
    unit = float(height)
    x = np.arange(canvas_width, dtype=np.float32)
    n: FloatArray
    if rough:
        profile = np.zeros(canvas_width, dtype=np.float32)
        spacing = unit * 0.45
        for cx in np.arange(-spacing, canvas_width + spacing, spacing):
            c = cx + float(rng.uniform(-0.35, 0.35)) * spacing
            half = spacing * float(rng.uniform(0.55, 1.0))
            peak_h = float(rng.uniform(0.45, 1.0))
            tent = np.clip(1.0 - np.abs(x - c) / half, 0.0, 1.0) ** 1.15 * peak_h
            profile = np.maximum(profile, tent)
        detail = noise_1d(rng, canvas_width, max(4, canvas_width // 40), 4)
        n = np.clip(profile + 0.09 * detail, 0.0, None)
        top = horizon - (peak * unit) * (0.15 + 0.85 * n)
    else:
        n = noise_1d(rng, canvas_width, max(2, canvas_width // 320), 3)
        n = n / max(float(np.abs(n).max()), 1e-6)
        top = horizon - (peak * unit) * (0.5 + 0.5 * n)
    color = _mix(near, haze, haze_amount)
    base = _mix(color, haze, 0.25)
    rows = _rows_color(height, int(top.min()), color, base, horizon - int(top.min()))
    rgba, y0 = _silhouette_band(top.astype(np.float32), horizon + 2, rows)
    # Light from one side: broad slopes facing it are brighter (smoothed, no stripes).
    kernel = np.ones(max(3, int(unit * 0.08)), dtype=np.float32)
    smooth = np.convolve(top, kernel / kernel.size, mode="same")
    lit = 1.0 + np.tanh(np.gradient(smooth) * 2.0) * (0.1 if rough else 0.05)
    rgba[..., :3] *= lit[None, :, None]
    if snow and rough:
        y = (np.arange(y0, horizon + 2, dtype=np.float32) + 0.5)[:, None]
        line = top.min() + (horizon - top.min()) * 0.35 + 6 * noise_1d(rng, canvas_width, 12, 2)
        cap = np.clip((line[None, :] - y) / 3.0, 0.0, 1.0) * rgba[..., 3]
        snow_color = np.asarray(_mix((0.95, 0.96, 1.0), haze, haze_amount * 0.6), dtype=np.float32)
        rgba[..., :3] = rgba[..., :3] * (1 - cap[..., None]) + cap[..., None] * snow_color
    return BandLayer(rgba=rgba, y0=y0, depth=depth)


def forest_layer(
    rng: np.random.Generator,
    canvas_width: int,
    height: int,
    horizon: int,
    tall: float,
    color: RGB,
    depth: float,
) -> BandLayer:
    """A row of conifers: the union of triangular crowns as one height field."""
    unit = float(height)
    x = np.arange(canvas_width, dtype=np.float32) + 0.5
    top = np.full(canvas_width, float(horizon) - 0.02 * unit, dtype=np.float32)
    spacing = max(3.0, 0.022 * unit * (0.6 + tall * 2))
    count = int(canvas_width / spacing) + 3
    centres = (np.arange(count) - 1) * spacing + rng.uniform(-0.4, 0.4, count) * spacing
    for cx in centres:
        h = tall * unit * float(rng.uniform(0.6, 1.0))
        half = h * 0.28
        crown = horizon - h + np.abs(x - cx) * (h / half) * 0.5
        # Tiers: a sawtooth along the flank.
        crown += (np.abs(x - cx) % (half * 0.45)) * 0.6
        top = np.minimum(top, crown.astype(np.float32))
    rows = _rows_color(height, int(top.min()), color, _scale(color, 0.7), horizon - int(top.min()))
    rgba, y0 = _silhouette_band(top, horizon + 2, rows)
    return BandLayer(rgba=rgba, y0=y0, depth=depth)


def city_layer(
    rng: np.random.Generator,
    canvas_width: int,
    height: int,
    horizon: int,
    tall: float,
    color: RGB,
    window_lit: RGB,
    window_dark: RGB,
    lit_share: float,
    depth: float,
) -> BandLayer:
    """Skyline blocks with a grid of windows, some lit."""
    unit = float(height)
    top_limit = int(horizon - tall * unit) - 4
    rows = horizon + 2 - top_limit
    rgba = np.zeros((rows, canvas_width, 4), dtype=np.float32)
    y = (np.arange(top_limit, horizon + 2, dtype=np.float32) + 0.5)[:, None]
    x = 0.0
    body = np.asarray(color, dtype=np.float32)
    lit = np.asarray(window_lit, dtype=np.float32)
    dark = np.asarray(window_dark, dtype=np.float32)
    while x < canvas_width:
        w = float(rng.uniform(0.05, 0.11)) * unit
        h = float(rng.uniform(0.35, 1.0)) * tall * unit
        x0, x1 = round(x), min(canvas_width, round(x + w))
        if x1 <= x0:
            break
        top = horizon - h
        cols = (np.arange(x0, x1, dtype=np.float32) + 0.5)[None, :]
        inside = np.clip(y - top + 0.5, 0.0, 1.0) * np.ones_like(cols)
        shade = float(rng.uniform(0.8, 1.15))
        block = np.clip(body * shade, 0.0, 1.0)
        region = rgba[:, x0:x1]
        # Windows: a grid inset from the edges.
        cell_w = max(2.0, 0.018 * unit)
        cell_h = max(3.0, 0.028 * unit)
        gx = (cols - x0 - cell_w * 0.6) % cell_w
        gy = (y - top - cell_h * 0.8) % cell_h
        window = (
            (gx < cell_w * 0.55)
            & (gy < cell_h * 0.55)
            & (cols > x0 + cell_w * 0.5)
            & (cols < x1 - cell_w * 0.5)
            & (y > top + cell_h * 0.8)
            & (y < horizon - cell_h * 0.5)
        )
        cell_ids = (
            np.floor((cols - x0) / cell_w) * 131 + np.floor((y - top) / cell_h) * 17
        ).astype(np.int64)
        lit_cells = (
            (cell_ids * 2654435761 + int(rng.integers(0, 1 << 30))) % 1000
        ) < lit_share * 1000
        rgb = np.broadcast_to(block, (rows, x1 - x0, 3)).copy()
        rgb[window & lit_cells] = lit
        rgb[window & ~lit_cells] = dark
        region[..., :3] = region[..., :3] * (1 - inside[..., None]) + rgb * inside[..., None]
        region[..., 3] = np.maximum(region[..., 3], inside)
        # Antenna on some tall blocks.
        if h > 0.7 * tall * unit and rng.random() < 0.5:
            ax = x0 + (x1 - x0) * 0.5
            a_top = top - 0.05 * unit
            stem = np.clip(0.5 - (np.abs(cols - ax) - 0.5), 0.0, 1.0) * ((y > a_top) & (y < top))
            region[..., :3] = region[..., :3] * (1 - stem[..., None]) + body * stem[..., None]
            region[..., 3] = np.maximum(region[..., 3], stem)
        x += w + float(rng.uniform(0.0, 0.015)) * unit
    return BandLayer(rgba=rgba, y0=top_limit, depth=depth)


def dunes_layer(
    rng: np.random.Generator,
    canvas_width: int,
    height: int,
    horizon: int,
    peak: float,
    color: RGB,
    sun_side: float,
    depth: float,
    bottom: int | None = None,
) -> BandLayer:
    """Smooth sand dunes, lit on the side facing the sun."""
    unit = float(height)
    n = noise_1d(rng, canvas_width, max(2, canvas_width // 260), 2)
    n = n / max(float(np.abs(n).max()), 1e-6)
    top = horizon - peak * unit * (0.5 + 0.5 * n)
    end = bottom if bottom is not None else horizon + 2
    rows = _rows_color(height, int(top.min()), color, _scale(color, 0.85), end - int(top.min()))
    rgba, y0 = _silhouette_band(top.astype(np.float32), end, rows)
    slope = np.gradient(top)
    lit = 1.0 + np.tanh(slope * sun_side * 4.0) * 0.22
    rgba[..., :3] *= lit[None, :, None]
    return BandLayer(rgba=rgba, y0=y0, depth=depth)


def ground_layer(
    canvas_width: int,
    height: int,
    horizon: int,
    far: RGB,
    near: RGB,
    rng: np.random.Generator,
    depth: float,
    street: bool = False,
    night: bool = False,
) -> BandLayer:
    """The ground from the horizon to the bottom of the frame; a street for cities."""
    rows = height - horizon
    color = _rows_color(height, horizon, far, near, rows)[horizon:]
    rgba = np.ones((rows, canvas_width, 4), dtype=np.float32)
    rgba[..., :3] = color[:, None, :]
    texture = noise_2d(rng, rows, canvas_width, max(4, canvas_width // 24), 3)
    rgba[..., :3] *= (0.9 + 0.2 * texture)[..., None]
    if street:
        unit = float(height)
        y = (np.arange(horizon, height, dtype=np.float32) + 0.5)[:, None]
        x = (np.arange(canvas_width, dtype=np.float32) + 0.5)[None, :]
        kerb = horizon + 0.05 * unit
        pavement = np.clip(kerb - y + 0.5, 0.0, 1.0) * np.ones_like(x)
        pave_color = np.asarray(_scale(_mix(far, (0.6, 0.6, 0.62), 0.5), 1.1), dtype=np.float32)
        rgba[..., :3] = rgba[..., :3] * (1 - pavement[..., None]) + pave_color * pavement[..., None]
        lane_y = horizon + 0.62 * rows
        dash = (np.abs(y - lane_y) < 0.006 * unit + 0.5) & ((x % (0.16 * unit)) < 0.08 * unit)
        paint = np.asarray((0.9, 0.85, 0.6) if not night else (0.55, 0.52, 0.4), dtype=np.float32)
        rgba[..., :3][dash] = paint
    return BandLayer(rgba=rgba, y0=horizon, depth=depth)


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


__all__ = [
    "BandLayer",
    "Light",
    "build_sky",
    "city_layer",
    "cloud_sprite",
    "dunes_layer",
    "forest_layer",
    "ground_layer",
    "make_light",
    "noise_1d",
    "noise_2d",
    "ridge_layer",
]
