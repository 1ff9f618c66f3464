"""The landscape bands that stand on the horizon: mountains, hills, forest, city, dunes, ground.

Everything here is computed once per video. Each band is a premultiplied RGBA strip wider
than the frame (the camera pans across it) at a depth from 0 (infinitely far) to 1 (near),
which sets its parallax.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reelvault.engines.procedural.colors import mix, scale
from reelvault.engines.procedural.noise import noise_1d, noise_2d
from reelvault.engines.procedural.scene import RGB
from reelvault.engines.procedural.sdf import FloatArray


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
    color = mix(near, haze, haze_amount)
    base = mix(color, haze, 0.25)
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
        snow_color = np.asarray(mix((0.95, 0.96, 1.0), haze, haze_amount * 0.6), dtype=np.float32)
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
    rows = _rows_color(height, int(top.min()), color, scale(color, 0.7), horizon - int(top.min()))
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
    rows = _rows_color(height, int(top.min()), color, scale(color, 0.85), end - int(top.min()))
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
        pave_color = np.asarray(scale(mix(far, (0.6, 0.6, 0.62), 0.5), 1.1), dtype=np.float32)
        rgba[..., :3] = rgba[..., :3] * (1 - pavement[..., None]) + pave_color * pavement[..., None]
        lane_y = horizon + 0.62 * rows
        dash = (np.abs(y - lane_y) < 0.006 * unit + 0.5) & ((x % (0.16 * unit)) < 0.08 * unit)
        paint = np.asarray((0.9, 0.85, 0.6) if not night else (0.55, 0.52, 0.4), dtype=np.float32)
        rgba[..., :3][dash] = paint
    return BandLayer(rgba=rgba, y0=horizon, depth=depth)


__all__ = [
    "BandLayer",
    "city_layer",
    "dunes_layer",
    "forest_layer",
    "ground_layer",
    "ridge_layer",
]
