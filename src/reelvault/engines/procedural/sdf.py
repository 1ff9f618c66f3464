"""Signed-distance shapes and a small premultiplied RGBA canvas.

Distances are in pixels, negative inside. :func:`cover` turns a distance into an
anti-aliased coverage (a linear ramp one ``soft`` pixel wide), so edges are smooth at
any size without supersampling. Coordinates are broadcastable arrays: a row vector of x
and a column vector of y, so a shape costs a few array operations over its bounding box.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating[Any]]
"""Float arrays; float32 in practice (python scalars keep them float32)."""
RGB = tuple[float, float, float]
Color = RGB | FloatArray


def cover(distance: FloatArray, soft: float = 1.0) -> FloatArray:
    """Coverage 0..1 of a pixel whose centre is ``distance`` pixels from the edge."""
    out: FloatArray = np.clip(0.5 - distance * (1.0 / soft), 0.0, 1.0)
    return out


def halo(distance: FloatArray, radius: float, reach: float) -> FloatArray:
    """A soft glow around a disc of ``radius``: 1 at its edge, exactly 0 at ``reach`` beyond."""
    f = np.clip(1.0 - np.maximum(distance - radius, 0.0) * (1.0 / reach), 0.0, 1.0)
    out: FloatArray = f * f * f
    return out


def circle(x: FloatArray, y: FloatArray, cx: float, cy: float, r: float) -> FloatArray:
    out: FloatArray = np.hypot(x - cx, y - cy) - r
    return out


def ellipse(x: FloatArray, y: FloatArray, rx: float, ry: float) -> FloatArray:
    """Approximate distance to an axis-aligned ellipse centred on the origin."""
    k0 = np.hypot(x / rx, y / ry)
    k1 = np.hypot(x / (rx * rx), y / (ry * ry))
    out: FloatArray = k0 * (k0 - 1.0) / np.maximum(k1, 1e-6)
    return out


def box(x: FloatArray, y: FloatArray, hx: float, hy: float, radius: float = 0.0) -> FloatArray:
    """Rounded box centred on the origin with half sizes ``hx``, ``hy``."""
    qx = np.abs(x) - hx + radius
    qy = np.abs(y) - hy + radius
    outside = np.hypot(np.maximum(qx, 0.0), np.maximum(qy, 0.0))
    out: FloatArray = outside + np.minimum(np.maximum(qx, qy), 0.0) - radius
    return out


def segment(
    x: FloatArray, y: FloatArray, ax: float, ay: float, bx: float, by: float, r: float
) -> FloatArray:
    """Capsule of radius ``r`` around the segment a-b."""
    ex, ey = bx - ax, by - ay
    wx, wy = x - ax, y - ay
    h = np.clip((wx * ex + wy * ey) / max(ex * ex + ey * ey, 1e-9), 0.0, 1.0)
    out: FloatArray = np.hypot(wx - ex * h, wy - ey * h) - r
    return out


def polygon(x: FloatArray, y: FloatArray, points: Sequence[tuple[float, float]]) -> FloatArray:
    """Exact distance to a simple polygon (vertices in order), negative inside."""
    x, y = np.broadcast_arrays(x, y)
    px0, py0 = points[0]
    best = (x - px0) ** 2 + (y - py0) ** 2
    inside = np.zeros(x.shape, dtype=bool)
    count = len(points)
    for i in range(count):
        ax, ay = points[i]
        bx, by = points[(i + 1) % count]
        ex, ey = bx - ax, by - ay
        wx, wy = x - ax, y - ay
        h = np.clip((wx * ex + wy * ey) / max(ex * ex + ey * ey, 1e-9), 0.0, 1.0)
        best = np.minimum(best, (wx - ex * h) ** 2 + (wy - ey * h) ** 2)
        # Even-odd crossing test on a horizontal ray.
        crosses = (ay > y) != (by > y)
        if ey != 0:
            x_at = ax + (y - ay) * (ex / ey)
            inside ^= crosses & (x < x_at)
    out: FloatArray = np.where(inside, -1.0, 1.0).astype(np.float32) * np.sqrt(best)
    return out


def rotate(x: FloatArray, y: FloatArray, angle: float) -> tuple[FloatArray, FloatArray]:
    """Coordinates rotated by ``-angle`` (so a shape drawn in them turns by ``angle``)."""
    c, s = float(np.cos(angle)), float(np.sin(angle))
    return x * c + y * s, y * c - x * s


class Patch:
    """A premultiplied RGBA canvas over the frame rectangle ``[x0, x1) x [y0, y1)``.

    ``x`` and ``y`` hold the frame coordinates of the pixel centres (a row and a column
    vector). Paint shapes front to back in painter's order with :meth:`paint`.
    """

    def __init__(self, x0: int, y0: int, x1: int, y1: int) -> None:
        self.x0, self.y0, self.x1, self.y1 = x0, y0, x1, y1
        width, height = x1 - x0, y1 - y0
        self.rgb: FloatArray = np.zeros((height, width, 3), dtype=np.float32)
        self.alpha: FloatArray = np.zeros((height, width), dtype=np.float32)
        self.x: FloatArray = (np.arange(x0, x1, dtype=np.float32) + 0.5)[None, :]
        self.y: FloatArray = (np.arange(y0, y1, dtype=np.float32) + 0.5)[:, None]

    def paint(self, coverage: FloatArray, color: Color, opacity: float = 1.0) -> None:
        """Lay ``color`` over the canvas where ``coverage`` (0..1) says."""
        cov = np.broadcast_to(coverage, self.alpha.shape)
        if opacity != 1.0:
            cov = cov * opacity
        c = cov[..., None]
        self.rgb *= 1.0 - c
        self.rgb += c * np.asarray(color, dtype=np.float32)
        self.alpha += cov * (1.0 - self.alpha)

    def glow(self, coverage: FloatArray, color: RGB) -> None:
        """Add light (additive, for glows and lamps): it brightens what lies beneath."""
        cov = np.broadcast_to(coverage, self.alpha.shape)
        self.rgb += cov[..., None] * np.asarray(color, dtype=np.float32)

    def flipped(self, axis_y: float, width: int, height: int) -> Patch | None:
        """This patch mirrored about the horizontal line ``y = axis_y`` (a reflection)."""
        new_y0 = int(np.floor(2 * axis_y - self.y1))
        shift = 2 * axis_y - self.y1 - new_y0
        flipped = Patch(self.x0, new_y0, self.x1, new_y0 + (self.y1 - self.y0))
        flipped.rgb = np.ascontiguousarray(self.rgb[::-1])
        flipped.alpha = np.ascontiguousarray(self.alpha[::-1])
        if shift > 1e-3:  # sub-pixel offset: blend with the row above
            flipped.rgb[1:] = flipped.rgb[1:] * (1 - shift) + flipped.rgb[:-1] * shift
            flipped.alpha[1:] = flipped.alpha[1:] * (1 - shift) + flipped.alpha[:-1] * shift
        return flipped.clipped(width, height)

    def clipped(self, width: int, height: int) -> Patch | None:
        x0, y0 = max(self.x0, 0), max(self.y0, 0)
        x1, y1 = min(self.x1, width), min(self.y1, height)
        if x1 <= x0 or y1 <= y0:
            return None
        if (x0, y0, x1, y1) == (self.x0, self.y0, self.x1, self.y1):
            return self
        out = Patch.__new__(Patch)
        out.x0, out.y0, out.x1, out.y1 = x0, y0, x1, y1
        sy = slice(y0 - self.y0, y1 - self.y0)
        sx = slice(x0 - self.x0, x1 - self.x0)
        out.rgb = self.rgb[sy, sx]
        out.alpha = self.alpha[sy, sx]
        out.x = self.x[:, sx]
        out.y = self.y[sy, :]
        return out

    def composite(self, frame: FloatArray, row_min: int = 0, row_max: int | None = None) -> None:
        """Lay the patch over ``frame`` (float RGB), only on rows ``[row_min, row_max)``."""
        top = max(self.y0, row_min)
        bottom = self.y1 if row_max is None else min(self.y1, row_max)
        if bottom <= top:
            return
        rows = slice(top - self.y0, bottom - self.y0)
        region = frame[top:bottom, self.x0 : self.x1]
        region *= 1.0 - self.alpha[rows, :, None]
        region += self.rgb[rows]


__all__ = [
    "FloatArray",
    "RGB",
    "Color",
    "Patch",
    "box",
    "circle",
    "cover",
    "ellipse",
    "halo",
    "polygon",
    "rotate",
    "segment",
]
