"""Northern lights: curtains of green light with violet tops that ripple across the sky.

An aurora is a curtain hanging from a wavy lower edge: brightest just above that edge and
fading upwards, streaked with vertical rays. The edge drifts and the rays shimmer, so it
is drawn per frame; what does not change (the columns' ray pattern, the fall-off with
height) is made once. It has its own random generator, seeded by the scene, so adding an
aurora does not move anything else of the scene.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

GREEN = np.asarray((0.25, 1.0, 0.55), dtype=np.float32)
VIOLET = np.asarray((0.65, 0.3, 0.95), dtype=np.float32)


@dataclass(frozen=True)
class Aurora:
    rays: FloatArray  # (2, W): two ray patterns per column, shimmering against each other
    edge: FloatArray  # (3, 3): amplitude, spatial frequency, phase of the edge's waves
    base: float  # the curtain's lower edge, in rows, before waves
    tall: float  # how high the curtain reaches above its edge, in rows
    width: int
    height: int


def build_aurora(width: int, height: int, horizon: int, seed: int) -> Aurora:
    rng = np.random.default_rng(seed)
    x = np.arange(width, dtype=np.float32) / max(width, 1)
    rays = np.zeros((2, width), dtype=np.float32)
    for row in rays:
        for frequency in (7, 13, 29, 53):
            row += (
                rng.uniform(0.4, 1.0)
                * np.sin(2 * np.pi * (frequency * x + rng.uniform(0, 1))).astype(np.float32)
                / np.sqrt(frequency)
            )
        row -= row.min()
        row /= max(float(row.max()), 1e-6)
    edge = np.stack(
        [
            rng.uniform(0.05, 0.11, 3) * horizon,  # amplitudes
            rng.uniform(0.6, 2.4, 3),  # waves across the frame
            rng.uniform(0, 2 * np.pi, 3),  # phases
        ]
    ).astype(np.float32)
    return Aurora(
        rays=rays,
        edge=edge,
        base=0.52 * horizon,
        tall=0.42 * horizon,
        width=width,
        height=height,
    )


def aurora_light(aurora: Aurora, t: float, rows: int) -> FloatArray:
    """The light the aurora adds to the top ``rows`` rows at time ``t`` (rows, W, 3)."""
    width = aurora.width
    x = np.arange(width, dtype=np.float32) / max(width, 1)
    amplitude, frequency, phase = aurora.edge
    edge = aurora.base + np.sum(
        amplitude[:, None] * np.sin(2 * np.pi * frequency[:, None] * x + phase[:, None] + 0.35 * t),
        axis=0,
    )
    shimmer = 0.5 + 0.5 * np.sin(1.7 * t + 6.0 * x)
    rays = 0.35 + 0.65 * (shimmer * aurora.rays[0] + (1 - shimmer) * aurora.rays[1])
    y = np.arange(rows, dtype=np.float32)[:, None]
    above = edge[None, :] - y  # rows above the lower edge (negative: below it)
    rise = np.clip(above / 3.0 + 1.0, 0.0, 1.0)  # a soft lower edge
    fade = np.exp(-np.maximum(above, 0.0) / (0.35 * aurora.tall))
    strength = (rise * fade * rays[None, :] * 0.55).astype(np.float32)
    height_share = np.clip(above / aurora.tall, 0.0, 1.0)[..., None]
    color = GREEN * (1 - height_share) + VIOLET * height_share
    light: FloatArray = (strength[..., None] * color).astype(np.float32)
    return light


__all__ = ["Aurora", "aurora_light", "build_aurora"]
