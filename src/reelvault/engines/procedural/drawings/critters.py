"""Small creatures seen close up: insects, spiders, crabs, snails, snakes and bats.

One drawing for them all: a body of one to three segments, legs (six, eight, none),
wings (clear, patterned or of skin) flapping with the pose's cycle, and a shell, claws or
a long winding body where the variant has them. The anchor is the body's centre; ``s``
is the creature's span.
"""

from __future__ import annotations

import math

import numpy as np

from reelvault.engines.procedural.catalogue import Look
from reelvault.engines.procedural.colors import mix
from reelvault.engines.procedural.movement import Pose
from reelvault.engines.procedural.sdf import (
    FloatArray,
    Patch,
    circle,
    cover,
    ellipse,
    polygon,
    rotate,
    segment,
)

_LEGS = {"spider": 8, "ant": 6, "beetle": 6, "crab": 6, "bee": 6}
_WINGS = {"bee": "clear", "dragonfly": "clear", "butterfly": "patterned", "bat": "skin"}


def _legs(
    x: FloatArray, y: FloatArray, s: float, count: int, reach: float, cycle: float
) -> FloatArray:
    """``count`` jointed legs, half on each side, stepping in alternation."""
    width = max(0.6, 0.02 * s)
    d = np.full(np.broadcast_shapes(x.shape, y.shape), 1e4, dtype=np.float32)
    per_side = count // 2
    for i in range(per_side):
        along = (i - (per_side - 1) / 2) * 0.14 * s
        step = 0.05 * s * math.sin(cycle + i * math.pi / 2)
        for side in (-1.0, 1.0):
            knee = (along * 1.3 + step, side * reach * 0.55 * s - 0.08 * s)
            foot = (along * 1.8 + step, side * reach * s)
            d = np.minimum(d, segment(x, y, along, 0.0, *knee, width))
            d = np.minimum(d, segment(x, y, *knee, *foot, width * 0.8))
    return d


def _wings(patch: Patch, x: FloatArray, y: FloatArray, s: float, look: Look, flap: float) -> None:
    kind = _WINGS.get(look.variant, "")
    if kind == "clear":
        for along, length in ((0.02 * s, 0.42 * s), (-0.1 * s, 0.34 * s)):
            for side in (-1.0, 1.0):
                wx, wy = rotate(x - along, y - side * 0.5 * length * flap, side * 0.35)
                wing = ellipse(wx, wy, 0.1 * s, 0.5 * length * max(flap, 0.25))
                patch.paint(cover(wing), look.accent, 0.45)
    elif kind == "patterned":
        for along, rx, ry in ((0.1 * s, 0.22 * s, 0.26 * s), (-0.12 * s, 0.16 * s, 0.2 * s)):
            for side in (-1.0, 1.0):
                wing = ellipse(x - along, (y - side * ry * flap) / max(flap, 0.2), rx, ry)
                patch.paint(cover(wing), look.color)
                spot = circle(x, (y - side * ry * flap) / max(flap, 0.2), along, 0.0, 0.3 * rx)
                patch.paint(cover(np.maximum(spot, wing)), look.accent)
    elif kind == "skin":
        tip = 0.5 * s * (0.3 + 0.7 * flap)
        for side in (-1.0, 1.0):
            pts = [
                (0.08 * s, 0.0),
                (0.05 * s, side * tip),
                (-0.05 * s, side * tip * 0.8),
                (-0.1 * s, side * tip * 0.45),
                (-0.08 * s, 0.0),
            ]
            patch.paint(cover(polygon(x, y, pts)), look.color)


def _winding(x: FloatArray, y: FloatArray, s: float, cycle: float) -> tuple[FloatArray, float]:
    """A snake's body: a wave travelling along it, thinning to the tail; and its head's y."""
    count = 14
    pts = []
    for i in range(count + 1):
        u = i / count
        px = (u - 0.5) * 0.9 * s
        pts.append((px, 0.07 * s * math.sin(u * 3.0 * math.pi - cycle)))
    d = np.full(np.broadcast_shapes(x.shape, y.shape), 1e4, dtype=np.float32)
    for i in range(count):
        width = max(0.7, 0.035 * s * (0.35 + 0.65 * i / count))
        d = np.minimum(d, segment(x, y, *pts[i], *pts[i + 1], width))
    return d, pts[-1][1]


def _body(patch: Patch, x: FloatArray, y: FloatArray, s: float, look: Look, cycle: float) -> None:
    """The segments, shell, claws or coils of the variant."""
    v, color, dark = look.variant, look.color, mix(look.color, (0.0, 0.0, 0.0), 0.45)
    if v == "snake":
        body, head_y = _winding(x, y, s, cycle)
        patch.paint(cover(body), color)
        bands = np.maximum(body, (np.abs(np.sin(x * (math.pi / (0.05 * s)))) - 0.7) * 0.05 * s)
        patch.paint(cover(bands), look.accent, 0.8)
        patch.paint(cover(ellipse(x - 0.47 * s, y - head_y, 0.06 * s, 0.04 * s)), color)
        patch.paint(cover(circle(x, y, 0.49 * s, head_y - 0.012 * s, 0.008 * s + 0.5)), dark)
        return
    if v == "snail":
        foot = ellipse(x - 0.05 * s, y - 0.12 * s, 0.42 * s, 0.06 * s)
        patch.paint(
            cover(
                np.minimum(foot, segment(x, y, 0.3 * s, 0.08 * s, 0.38 * s, -0.12 * s, 0.02 * s))
            ),
            color,
        )
        shell = circle(x, y, -0.05 * s, -0.05 * s, 0.22 * s)
        patch.paint(cover(shell), look.accent)
        r, a = np.hypot(x + 0.05 * s, y + 0.05 * s), np.arctan2(y + 0.05 * s, x + 0.05 * s)
        spiral = np.abs(np.sin((r / (0.22 * s)) * 3.0 * math.pi - a / 2)) * 0.03 * s - 0.006 * s
        patch.paint(cover(np.maximum(shell, spiral)), dark, 0.8)
        return
    segments = {"ant": (0.09, 0.07, 0.11), "spider": (0.0, 0.09, 0.16)}.get(v, (0.08, 0.1, 0.18))
    head_r, thorax_r, belly_r = (f * s for f in segments)
    belly = ellipse(x + 0.15 * s, y, belly_r * min(look.aspect, 2.5) * 0.8, belly_r)
    if v == "dragonfly":
        belly = segment(x, y, -0.05 * s, 0.0, -0.5 * s, 0.0, 0.03 * s)
    if v in ("beetle", "crab"):
        belly = ellipse(x, y, 0.2 * s, 0.2 * s / max(look.aspect, 0.5) * 0.7)
    thorax = circle(x, y, 0.02 * s, 0.0, thorax_r)
    head = circle(x, y, 0.02 * s + thorax_r + head_r * 0.8, 0.0, head_r) if head_r else thorax
    patch.paint(cover(np.minimum(np.minimum(belly, thorax), head)), color)
    if look.pattern == "stripes":
        bands = np.abs(np.sin((x + 0.15 * s) * (math.pi / (0.05 * s)))) - 0.5
        patch.paint(cover(np.maximum(belly, bands * 0.05 * s)), look.accent)
    if look.pattern == "spots":
        spots = np.minimum(
            circle(x, y, -0.07 * s, -0.07 * s, 0.035 * s),
            circle(x, y, -0.07 * s, 0.07 * s, 0.035 * s),
        )
        spots = np.minimum(spots, circle(x, y, 0.08 * s, 0.0, 0.04 * s))
        patch.paint(cover(np.maximum(belly, spots)), look.accent)
        patch.paint(cover(np.maximum(belly, np.abs(y) - 0.006 * s)), look.accent)
    if v == "crab":
        for side in (-1.0, 1.0):
            claw = circle(x, y, 0.25 * s, side * 0.22 * s, 0.07 * s)
            notch = polygon(
                x,
                y,
                [
                    (0.25 * s, side * 0.22 * s),
                    (0.36 * s, side * 0.18 * s),
                    (0.36 * s, side * 0.27 * s),
                ],
            )
            arm = segment(x, y, 0.1 * s, side * 0.1 * s, 0.22 * s, side * 0.2 * s, 0.025 * s)
            patch.paint(cover(np.minimum(arm, np.maximum(claw, -notch))), color)


def draw_critter(
    patch: Patch, cx: float, cy: float, s: float, pose: Pose, look: Look, direction: int
) -> None:
    """Seen from above (legs spread to both sides), facing the way it goes."""
    x, y = rotate((patch.x - cx) * direction, patch.y - cy, pose.angle * 0.5)
    if look.variant in ("bat", "butterfly"):  # seen from the front: wings to the sides
        x, y = -(patch.y - cy), patch.x - cx
    legs = _LEGS.get(look.variant, 0)
    if legs:
        reach = look.legs if look.legs else 0.3
        patch.paint(
            cover(_legs(x, y, s, legs, reach, pose.cycle * 2.0)),
            mix(look.color, (0.0, 0.0, 0.0), 0.5),
        )
    flap = 0.55 + 0.45 * math.sin(pose.cycle * 3.0)
    if look.variant == "bat":
        _wings(patch, x, y, s, look, flap)
        ears = np.minimum(
            polygon(x, y, [(0.1 * s, -0.04 * s), (0.2 * s, -0.02 * s), (0.16 * s, -0.12 * s)]),
            polygon(x, y, [(0.1 * s, 0.04 * s), (0.2 * s, 0.02 * s), (0.16 * s, 0.12 * s)]),
        )
        patch.paint(cover(np.minimum(ellipse(x, y, 0.12 * s, 0.07 * s), ears)), look.color)
        return
    behind = _WINGS.get(look.variant) == "patterned"  # big wings: the body lies on them
    if behind:
        _wings(patch, x, y, s, look, flap)
    _body(patch, x, y, s, look, pose.cycle)
    if look.variant in ("ant", "bee", "butterfly", "dragonfly"):
        for side in (-1.0, 1.0):
            antenna = segment(
                x, y, 0.2 * s, side * 0.02 * s, 0.3 * s, side * 0.09 * s, max(0.5, 0.008 * s)
            )
            patch.paint(cover(antenna), (0.08, 0.08, 0.08))
    if look.variant in _WINGS and not behind:
        _wings(patch, x, y, s, look, flap)


__all__ = ["draw_critter"]
