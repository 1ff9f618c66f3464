"""Food and household things as simple icons: round foods, stacks, bowls, cups, candles.

The anchor is the icon's centre; ``s`` is its size. Steam rises and a flame flickers with
the pose's cycle; a shadow grounds the icon on whatever it stands on.
"""

from __future__ import annotations

import math

import numpy as np

from reelvault.engines.procedural.catalogue import Look
from reelvault.engines.procedural.colors import mix
from reelvault.engines.procedural.movement import Pose
from reelvault.engines.procedural.scene import RGB
from reelvault.engines.procedural.sdf import (
    FloatArray,
    Patch,
    box,
    circle,
    cover,
    ellipse,
    halo,
    polygon,
    segment,
)


def _dots(x: FloatArray, y: FloatArray, r: float, count: int, size: float) -> FloatArray:
    """``count`` dots scattered over a disc of radius ``r`` (a fixed, even-looking spread)."""
    d = np.full(np.broadcast_shapes(x.shape, y.shape), 1e4, dtype=np.float32)
    for i in range(count):
        a, rr = i * 2.39996, r * math.sqrt((i + 0.5) / count) * 0.8
        d = np.minimum(d, circle(x, y, rr * math.cos(a), rr * math.sin(a), size))
    return d


def _steam(patch: Patch, x: FloatArray, y: FloatArray, s: float, top: float, cycle: float) -> None:
    for k in (-1.0, 0.0, 1.0):
        wx = k * 0.1 * s + 0.03 * s * math.sin(cycle + k)
        wisp = segment(
            x,
            y,
            wx,
            top - 0.05 * s,
            wx + 0.04 * s * math.sin(cycle * 0.7 + k),
            top - 0.3 * s,
            max(0.6, 0.015 * s),
        )
        patch.paint(cover(wisp, max(1.0, 0.02 * s)), (1.0, 1.0, 1.0), 0.35)


def _flame(
    patch: Patch, x: FloatArray, y: FloatArray, s: float, fx: float, fy: float, cycle: float
) -> None:
    flicker = 1.0 + 0.12 * math.sin(cycle * 2.3) + 0.06 * math.sin(cycle * 5.1)
    flame = ellipse(x - fx, (y - fy + 0.06 * s * flicker) / flicker, 0.035 * s, 0.07 * s)
    patch.glow(halo(np.hypot(x - fx, y - fy + 0.06 * s), 0.0, 0.35 * s) * 0.35, (1.0, 0.7, 0.3))
    patch.paint(cover(flame), (1.0, 0.78, 0.25))
    patch.paint(cover(flame + 0.02 * s), (1.0, 0.97, 0.8))


def _round(patch: Patch, x: FloatArray, y: FloatArray, s: float, look: Look, color: RGB) -> None:
    r, p = 0.45 * s, look.pattern
    body = ellipse(
        x,
        y,
        r * (1.12 if p in ("ribs", "face") else 1.0) * min(look.aspect, 1.3),
        r * (0.85 if p in ("ribs", "face") else 1.0),
    )
    patch.paint(cover(body), color)
    if p == "chips":
        patch.paint(cover(np.maximum(body, _dots(x, y, r, 9, 0.06 * s))), look.accent)
    elif p == "toppings":
        patch.paint(cover(np.maximum(body, -(body + 0.06 * s))), mix(color, look.accent, 0.6), 0.9)
        patch.paint(cover(body + 0.07 * s), (0.98, 0.88, 0.55))
        patch.paint(cover(_dots(x, y, r * 0.8, 7, 0.07 * s)), look.accent)
    elif p in ("ribs", "face"):
        ribs = np.maximum(body, np.abs(np.abs(x) - 0.22 * s) - 0.012 * s)
        patch.paint(cover(ribs), mix(color, (0.0, 0.0, 0.0), 0.3))
        patch.paint(
            cover(box(x, y + 0.42 * s, 0.04 * s, 0.08 * s)),
            look.accent if p == "ribs" else (0.3, 0.45, 0.15),
        )
    if p == "face":
        eyes = np.minimum(
            polygon(x, y, [(-0.2 * s, -0.02 * s), (-0.06 * s, -0.02 * s), (-0.13 * s, -0.15 * s)]),
            polygon(x, y, [(0.06 * s, -0.02 * s), (0.2 * s, -0.02 * s), (0.13 * s, -0.15 * s)]),
        )
        mouth = np.maximum(ellipse(x, y - 0.08 * s, 0.22 * s, 0.1 * s), -(y - 0.06 * s))
        patch.paint(cover(np.minimum(eyes, mouth)), look.accent)
    elif p == "leaf":
        patch.paint(
            cover(segment(x, y, 0.0, -r, 0.03 * s, -r - 0.1 * s, 0.015 * s)), (0.35, 0.22, 0.1)
        )
        patch.paint(cover(ellipse(x - 0.1 * s, y + r + 0.06 * s, 0.09 * s, 0.04 * s)), look.accent)
    elif p == "seeds":  # cut in half: light flesh, dark seeds in the middle
        patch.paint(cover(body + 0.05 * s), mix(color, (1.0, 1.0, 0.8), 0.3))
        patch.paint(cover(_dots(x * 0.5, y, 0.12 * s, 9, 0.015 * s)), look.accent)
    elif p == "hole":
        patch.paint(cover(body + 0.07 * s), look.accent)
        patch.paint(cover(circle(x, y, 0.0, 0.0, 0.14 * s)), mix(color, (0.0, 0.0, 0.0), 0.5))


def _vessel(
    patch: Patch, x: FloatArray, y: FloatArray, s: float, look: Look, color: RGB, cycle: float
) -> None:
    """Bowls and glasses hold the main colour (the soup, the wine); a cup is the main colour."""
    v = look.variant
    if v == "bowl":
        bowl = np.maximum(ellipse(x, y + 0.05 * s, 0.45 * s, 0.3 * s), -(y + 0.05 * s))
        patch.paint(cover(bowl), look.accent)
        patch.paint(cover(ellipse(x, y + 0.05 * s, 0.43 * s, 0.09 * s)), color)
        _steam(patch, x, y, s, -0.1 * s, cycle)
    elif v == "cup":
        handle = np.abs(ellipse(x - 0.25 * s, y - 0.02 * s, 0.12 * s, 0.12 * s)) - 0.025 * s
        patch.paint(
            cover(np.minimum(handle, box(x, y - 0.05 * s, 0.22 * s, 0.25 * s, 0.04 * s))), color
        )
        patch.paint(cover(ellipse(x, y + 0.19 * s, 0.19 * s, 0.04 * s)), look.accent)
        _steam(patch, x, y, s, -0.2 * s, cycle)
    else:  # a stemmed glass
        bowl = ellipse(x, y + 0.1 * s, 0.2 * s, 0.25 * s)
        patch.paint(cover(np.maximum(bowl, -(y + 0.22 * s))), look.accent, 0.35)
        patch.paint(cover(np.maximum(bowl, -(y + 0.05 * s))), color)
        stem = np.minimum(
            box(x, y - 0.25 * s, 0.015 * s, 0.12 * s), ellipse(x, y - 0.38 * s, 0.14 * s, 0.025 * s)
        )
        patch.paint(cover(stem), look.accent, 0.6)


def draw_object(
    patch: Patch, cx: float, cy: float, s: float, pose: Pose, look: Look, color: RGB
) -> None:
    x, y = patch.x - cx, patch.y - cy
    v = look.variant
    patch.paint(
        cover(ellipse(x, y - 0.42 * s, 0.45 * s, 0.06 * s), max(1.0, 0.05 * s)),
        (0.0, 0.0, 0.0),
        0.3,
    )
    if v == "round":
        _round(patch, x, y, s, look, color)
    elif v in ("bowl", "cup", "glass"):
        _vessel(patch, x, y, s, look, color, pose.cycle)
    elif v == "stack":
        layers = max(1, int(look.legs))
        for i in range(layers):
            ly = 0.3 * s - i * 0.55 * s / layers
            shrink = 1.0 - (0.25 * i / layers if look.aspect < 1.35 else 0.0)
            patch.paint(cover(box(x, y - ly, 0.4 * s * shrink, 0.24 * s / layers, 0.05 * s)), color)
            patch.paint(
                cover(box(x, y - ly + 0.12 * s / layers, 0.4 * s * shrink, 0.03 * s)), look.accent
            )
        if look.aspect < 1.35:  # a cake: a candle on top
            top = 0.3 * s - (layers - 1) * 0.55 * s / layers - 0.24 * s / layers
            patch.paint(cover(box(x, y - top + 0.08 * s, 0.015 * s, 0.08 * s)), (0.6, 0.8, 1.0))
            _flame(patch, x, y, s, 0.0, top - 0.18 * s, pose.cycle)
    elif v == "muffin":
        cup = polygon(
            x, y, [(-0.3 * s, 0.0), (0.3 * s, 0.0), (0.22 * s, 0.38 * s), (-0.22 * s, 0.38 * s)]
        )
        patch.paint(cover(cup), look.accent)
        patch.paint(
            cover(np.maximum(cup, np.abs((x / (0.06 * s)) % 1.0 - 0.5) * 0.06 * s - 0.006 * s)),
            mix(look.accent, (0.0, 0.0, 0.0), 0.25),
        )
        patch.paint(cover(np.maximum(ellipse(x, y, 0.34 * s, 0.3 * s), y - 0.02 * s)), color)
    elif v == "loaf":
        loaf = np.maximum(ellipse(x, y - 0.1 * s, 0.45 * s, 0.3 * s), y - 0.25 * s)
        patch.paint(cover(loaf), color)
        cuts = np.maximum(
            loaf + 0.05 * s, np.abs(((x + 0.5 * y) / (0.14 * s)) % 1.0 - 0.5) * 0.14 * s - 0.01 * s
        )
        patch.paint(cover(cuts), look.accent)
    elif v == "berry":
        berry = (
            polygon(x, y, [(-0.3 * s, -0.2 * s), (0.3 * s, -0.2 * s), (0.0, 0.4 * s)]) - 0.08 * s
        )
        patch.paint(cover(berry), color)
        patch.paint(cover(np.maximum(berry, _dots(x, y, 0.28 * s, 10, 0.015 * s))), (1.0, 0.9, 0.4))
        patch.paint(cover(ellipse(x, y + 0.28 * s, 0.22 * s, 0.05 * s)), look.accent)
    elif v == "florets":
        patch.paint(cover(box(x, y - 0.2 * s, 0.07 * s, 0.22 * s, 0.03 * s)), look.accent)
        patch.paint(cover(_dots(x, y + 0.1 * s, 0.4 * s, 7, 0.13 * s)), color)
    else:  # candle
        patch.paint(cover(box(x, y - 0.1 * s, 0.09 * s, 0.3 * s, 0.02 * s)), color)
        _flame(patch, x, y, s, 0.0, -0.25 * s, pose.cycle)


__all__ = ["draw_object"]
