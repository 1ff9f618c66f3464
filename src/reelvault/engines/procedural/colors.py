"""Arithmetic on RGB triples in 0..1, shared by the light, the landscape and the particles."""

from __future__ import annotations

from reelvault.engines.procedural.scene import RGB


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """``a`` moved a fraction ``t`` of the way to ``b``."""
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def scale(a: RGB, k: float) -> RGB:
    """``a`` brightened (k > 1) or darkened (k < 1)."""
    return (a[0] * k, a[1] * k, a[2] * k)


def mul(a: RGB, b: RGB) -> RGB:
    """``a`` lit by ``b``, channel by channel."""
    return (a[0] * b[0], a[1] * b[1], a[2] * b[2])


__all__ = ["mix", "mul", "scale"]
