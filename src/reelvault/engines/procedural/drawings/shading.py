"""Colour and light helpers the subject drawings share."""

from __future__ import annotations

import numpy as np

from reelvault.engines.procedural.scene import RGB
from reelvault.engines.procedural.sdf import (
    FloatArray,
    Patch,
    cover,
    ellipse,
)


def lit(color: RGB, ambient: RGB, gain: float = 1.0) -> RGB:
    return (
        color[0] * ambient[0] * gain,
        color[1] * ambient[1] * gain,
        color[2] * ambient[2] * gain,
    )


def lighter(color: RGB, amount: float) -> RGB:
    return (
        color[0] + (1 - color[0]) * amount,
        color[1] + (1 - color[1]) * amount,
        color[2] + (1 - color[2]) * amount,
    )


def sphere_shade(lx: FloatArray, ly: FloatArray, soft: bool) -> FloatArray:
    """Lambert-ish shading of a sphere; ``lx``, ``ly`` in -1..1 across its disc."""
    if not soft:
        return np.float32(1.0) + 0.0 * lx * ly
    r2 = np.clip(lx * lx + ly * ly, 0.0, 1.0)
    nz = np.sqrt(1.0 - r2)
    light = 0.5 + 0.55 * np.clip(-0.45 * lx - 0.55 * ly + 0.7 * nz, 0.0, 1.0)
    out: FloatArray = light + 0.15 * np.clip(r2 - 0.75, 0.0, 1.0)  # rim
    return out


def highlight(patch: Patch, cx: float, cy: float, rx: float, ry: float, soft: bool) -> None:
    d = ellipse(patch.x - cx, patch.y - cy, rx, ry)
    patch.paint(cover(d, max(1.0, rx * 0.8) if soft else 1.0), (1.0, 1.0, 1.0), 0.55)
