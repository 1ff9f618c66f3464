"""The car, with its wheels turning and its lights on at night."""

from __future__ import annotations

import numpy as np

from reelvault.engines.procedural.movement import Pose
from reelvault.engines.procedural.scene import RGB
from reelvault.engines.procedural.sdf import (
    Patch,
    box,
    circle,
    cover,
    ellipse,
    halo,
    polygon,
    rotate,
)


def draw_car(
    patch: Patch,
    cx: float,
    cy: float,
    length: float,
    pose: Pose,
    color: RGB,
    soft: bool,
    night: bool,
    direction: int,
) -> None:
    x = (patch.x - cx) * direction
    y = patch.y - cy
    shadow = ellipse(x, y, 0.55 * length, 0.035 * length)
    patch.paint(cover(shadow, max(1.0, 0.03 * length)), (0.0, 0.0, 0.0), 0.45)
    body_y = y + 0.2 * length
    cabin = polygon(
        x,
        y,
        [
            (-0.3 * length, -0.29 * length),
            (-0.17 * length, -0.47 * length),
            (0.13 * length, -0.47 * length),
            (0.3 * length, -0.29 * length),
        ],
    )
    cabin = cabin - 0.015 * length
    rgb = np.asarray(color, dtype=np.float32)
    shade = (
        (1.12 - 0.45 * np.clip((y + 0.47 * length) / (0.45 * length), 0.0, 1.0))
        if soft
        else 1.0 + 0.0 * y
    )
    patch.paint(cover(cabin), rgb * np.asarray(shade)[..., None])
    body = box(x, body_y, 0.5 * length, 0.1 * length, 0.05 * length)
    patch.paint(cover(body), rgb * np.asarray(shade)[..., None])
    glass_color = (0.12, 0.14, 0.2) if night else (0.55, 0.7, 0.82)
    glass = np.maximum(cabin + 0.03 * length, -np.abs(x) + 0.012 * length)
    glass_rgb = np.asarray(glass_color, dtype=np.float32)
    glass_shade = 1.0 + 0.25 * np.clip(-(x + y) / length, -1, 1) if soft else 1.0 + 0.0 * x
    patch.paint(cover(glass), glass_rgb * np.asarray(glass_shade)[..., None])
    lamp = ellipse(x - 0.47 * length, y + 0.22 * length, 0.03 * length, 0.022 * length)
    patch.paint(cover(lamp), (1.0, 0.95, 0.7))
    tail = ellipse(x + 0.48 * length, y + 0.22 * length, 0.018 * length, 0.022 * length)
    patch.paint(cover(tail), (0.9, 0.1, 0.08))
    if night:
        beam = polygon(
            x,
            y,
            [
                (0.49 * length, -0.24 * length),
                (1.25 * length, -0.32 * length),
                (1.25 * length, -0.02 * length),
                (0.49 * length, -0.2 * length),
            ],
        )
        fade = np.clip(1.0 - (x - 0.49 * length) / (0.76 * length), 0.0, 1.0)
        patch.glow(cover(beam, max(1.0, 0.06 * length)) * fade * 0.45, (1.0, 0.92, 0.7))
        patch.glow(
            halo(np.hypot(x - 0.49 * length, y + 0.22 * length), 0.0, 0.12 * length) * 0.9,
            (1.0, 0.95, 0.8),
        )
    for wx in (-0.3 * length, 0.3 * length):
        tyre = circle(x, y, wx, -0.1 * length, 0.105 * length)
        patch.paint(cover(tyre), (0.06, 0.06, 0.07))
        hub = circle(x, y, wx, -0.1 * length, 0.055 * length)
        patch.paint(cover(hub), (0.72, 0.73, 0.76) if not night else (0.35, 0.36, 0.4))
        sx, sy = rotate(x - wx, y + 0.1 * length, pose.cycle)
        spokes = np.minimum(
            box(sx, sy, 0.05 * length, 0.008 * length), box(sx, sy, 0.008 * length, 0.05 * length)
        )
        patch.paint(cover(np.maximum(spokes, hub)), (0.3, 0.3, 0.33))
