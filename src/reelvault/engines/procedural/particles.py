"""Snow, rain and bubbles: many small things whose positions are functions of time.

Each particle's position is continuous in t (wrapping around the frame), so any frame
can be drawn on its own. All particles of one colour are splatted into one coverage
buffer with a tent kernel (wider for nearer, bigger ones) by a single ``bincount``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from reelvault.engines.procedural.colors import mix, mul, scale
from reelvault.engines.procedural.lighting import Light
from reelvault.engines.procedural.scene import RGB, Scene
from reelvault.engines.procedural.sdf import FloatArray

TAU = 2.0 * math.pi


@dataclass(frozen=True)
class Particles:
    """Snow, rain or bubbles: positions are continuous functions of time."""

    kind: Literal["snow", "rain", "bubbles"]
    x: FloatArray
    y: FloatArray
    speed: FloatArray
    sway: FloatArray
    phase: FloatArray
    size: int  # 0 dots, 1 small, 2 large
    gain: float
    color: RGB
    depth: float


def build_particles(
    scene: Scene, light: Light, width: int, height: int, unit: float, rng: np.random.Generator
) -> list[list[Particles]]:
    """Particle sets for the scene's weather, grouped by colour (one splat per group)."""
    w, h = width, height
    out: list[Particles] = []
    area = w * h
    amb = light.ambient
    if scene.has("snow"):
        white = mul((0.97, 0.98, 1.0), mix(amb, (1.0, 1.0, 1.0), 0.4))
        for size, share, speed, depth in (
            (0, 1 / 500, 0.05, 0.3),
            (1, 1 / 1600, 0.09, 0.6),
            (2, 1 / 5000, 0.14, 1.0),
        ):
            n = max(8, int(area * share))
            out.append(
                Particles(
                    "snow",
                    rng.uniform(0, w, n).astype(np.float32),
                    rng.uniform(0, h, n).astype(np.float32),
                    (rng.uniform(0.7, 1.3, n) * speed * h).astype(np.float32),
                    (rng.uniform(0.3, 1.0, n) * 0.012 * unit * (1 + size)).astype(np.float32),
                    rng.uniform(0, TAU, n).astype(np.float32),
                    size,
                    1.0,
                    white,
                    depth,
                )
            )
    if scene.has("rain"):
        n = max(20, int(area / 900))
        out.append(
            Particles(
                "rain",
                rng.uniform(0, w, n).astype(np.float32),
                rng.uniform(0, h, n).astype(np.float32),
                (rng.uniform(0.8, 1.2, n) * 1.4 * h).astype(np.float32),
                np.zeros(n, dtype=np.float32),
                rng.uniform(0, TAU, n).astype(np.float32),
                0,
                0.35,
                mix(scale(amb, 0.85), (0.75, 0.78, 0.85), 0.5),
                0.8,
            )
        )
    if scene.has("underwater"):
        n = max(10, int(area / 3500))
        out.append(
            Particles(
                "bubbles",
                rng.uniform(0, w, n).astype(np.float32),
                rng.uniform(0, h, n).astype(np.float32),
                (rng.uniform(0.6, 1.4, n) * -0.12 * h).astype(np.float32),
                (rng.uniform(0.3, 1.0, n) * 0.01 * unit).astype(np.float32),
                rng.uniform(0, TAU, n).astype(np.float32),
                1,
                0.8,
                (0.75, 0.95, 1.0),
                0.7,
            )
        )
    return [
        [p for p in out if p.kind == kind]
        for kind in ("snow", "rain", "bubbles")
        if any(p.kind == kind for p in out)
    ]


def draw_particles(
    frame: FloatArray, group: list[Particles], t: float, pan: float, unit: float
) -> None:
    """Splat particles of one colour with a tent kernel (wider for nearer ones)."""
    h, w = frame.shape[:2]
    indices, weights = [], []
    for p in group:
        wind = 0.03 * unit if p.kind != "bubbles" else 0.0
        x = p.x + p.sway * np.sin(p.phase + t * 1.3) + wind * t - pan * p.depth
        y = p.y + p.speed * t
        margin = 4.0
        if p.kind == "rain":
            steps = np.linspace(0.0, 0.05 * h, 7, dtype=np.float32)
            x = (x[:, None] - steps * 0.12).ravel()
            y = (y[:, None] - steps).ravel()
        x = np.mod(x, w + 2 * margin) - margin
        y = np.mod(y, h + 2 * margin) - margin
        radius = p.size + 1
        inside = (x >= radius) & (x < w - radius - 1) & (y >= radius) & (y < h - radius - 1)
        x, y = x[inside] - 0.5, y[inside] - 0.5
        x0 = np.floor(x).astype(np.int64)
        y0 = np.floor(y).astype(np.int64)
        offsets = np.arange(-p.size, p.size + 2)
        wx = np.maximum(0.0, 1.0 - np.abs(x0[:, None] + offsets - x[:, None]) / radius)
        wy = np.maximum(0.0, 1.0 - np.abs(y0[:, None] + offsets - y[:, None]) / radius)
        rows = (y0[:, None] + offsets)[:, :, None] * w
        index = rows + (x0[:, None] + offsets)[:, None, :]
        indices.append(index.ravel())
        weights.append((wy[:, :, None] * wx[:, None, :] * p.gain).ravel())
    index = np.concatenate(indices)
    if index.size == 0:
        return
    low = int(index.min()) // w * w
    field = np.bincount(index - low, np.concatenate(weights))
    top = low // w
    bottom = min(h, top + (field.size + w - 1) // w)
    alpha = np.zeros(((bottom - top) * w,), dtype=np.float32)
    alpha[: field.size] = field
    np.clip(alpha, 0.0, 1.0, out=alpha)
    a = alpha.reshape(bottom - top, w, 1)
    region = frame[top:bottom]
    region *= 1.0 - a
    region += a * np.asarray(group[0].color, dtype=np.float32)


__all__ = ["Particles", "build_particles", "draw_particles"]
