"""Smooth random noise, the raw material of ridges, textures, craters and nebulae."""

from __future__ import annotations

import numpy as np
from PIL import Image

from reelvault.engines.procedural.sdf import FloatArray


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


__all__ = ["noise_1d", "noise_2d"]
