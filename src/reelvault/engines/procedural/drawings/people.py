"""People: one simple figure (head, hair, clothes, arms and legs) walking or standing.

The anchor is between the feet; ``s`` is the person's height. Skin and hair come from a
small palette picked by the figure's own seed, so a group is not one person copied; the
clothes take the colour the prompt names.
"""

from __future__ import annotations

import math

import numpy as np

from reelvault.engines.procedural.catalogue import Look
from reelvault.engines.procedural.colors import mix
from reelvault.engines.procedural.movement import Pose
from reelvault.engines.procedural.scene import RGB
from reelvault.engines.procedural.sdf import (
    Patch,
    circle,
    cover,
    ellipse,
    polygon,
    segment,
)

SKIN: tuple[RGB, ...] = (
    (0.96, 0.8, 0.68),
    (0.87, 0.67, 0.5),
    (0.7, 0.5, 0.34),
    (0.48, 0.32, 0.2),
    (0.33, 0.22, 0.15),
)
CLOTHES: tuple[RGB, ...] = ((0.9, 0.9, 0.85), (0.15, 0.15, 0.2), (0.8, 0.3, 0.2), (0.3, 0.5, 0.8))
HAIR: tuple[RGB, ...] = ((0.1, 0.07, 0.05), (0.35, 0.2, 0.1), (0.75, 0.6, 0.3), (0.2, 0.2, 0.2))


def draw_person(
    patch: Patch,
    cx: float,
    cy: float,
    s: float,
    pose: Pose,
    look: Look,
    color: RGB,
    seed: int,
    moving: bool,
) -> None:
    x, y = patch.x - cx, patch.y - cy
    skin, hair = SKIN[seed % len(SKIN)], HAIR[(seed // 7) % len(HAIR)]
    color = mix(color, CLOTHES[(seed // 3) % len(CLOTHES)], 0.4)  # a group is not in uniform
    child = look.variant == "child"
    head_r = (0.1 if child else 0.075) * s
    swing = math.sin(pose.cycle) if moving else 0.15 * math.sin(pose.cycle * 0.3)
    bob = 0.01 * s * abs(math.sin(pose.cycle)) if moving else 0.0
    hip_y, shoulder_y = -0.47 * s + bob, -0.8 * s + bob + (0.06 * s if child else 0.0)
    limb = max(0.7, 0.032 * s)
    legs = None
    for side in (-1.0, 1.0):
        foot = (side * 0.03 * s + side * 0.13 * s * swing, -limb)
        d = segment(x, y, side * 0.035 * s, hip_y, *foot, limb)
        legs = d if legs is None else np.minimum(legs, d)
    if legs is not None:
        patch.paint(cover(legs), skin if look.variant == "woman" else look.accent)
        shoes = np.maximum(legs, -(y + 2.2 * limb))
        patch.paint(cover(shoes), (0.12, 0.1, 0.1))
    torso = polygon(
        x,
        y,
        [
            (-0.09 * s, shoulder_y),
            (0.09 * s, shoulder_y),
            (0.07 * s, hip_y + 0.02 * s),
            (-0.07 * s, hip_y + 0.02 * s),
        ],
    )
    if look.variant == "woman":  # a dress to the knee
        torso = np.minimum(
            torso,
            polygon(
                x,
                y,
                [
                    (-0.07 * s, hip_y - 0.05 * s),
                    (0.07 * s, hip_y - 0.05 * s),
                    (0.13 * s, -0.22 * s),
                    (-0.13 * s, -0.22 * s),
                ],
            ),
        )
    patch.paint(cover(torso - 0.02 * s), color)
    for side in (-1.0, 1.0):
        hand = (side * 0.11 * s - side * 0.12 * s * swing, shoulder_y + 0.3 * s)
        arm = segment(x, y, side * 0.08 * s, shoulder_y + 0.02 * s, *hand, limb * 0.9)
        patch.paint(cover(arm), color)
        patch.paint(cover(circle(x, y, *hand, limb * 1.1)), skin)
    head_y = shoulder_y - 0.02 * s - head_r
    neck = segment(x, y, 0.0, shoulder_y, 0.0, head_y, 0.025 * s)
    if look.variant == "woman":  # long hair behind the head
        patch.paint(cover(ellipse(x, y - head_y - 0.5 * head_r, 1.15 * head_r, 1.5 * head_r)), hair)
    patch.paint(cover(np.minimum(neck, circle(x, y, 0.0, head_y, head_r))), skin)
    cap = np.maximum(
        circle(x, y, 0.0, head_y - 0.12 * head_r, 1.04 * head_r), y - head_y + 0.1 * head_r
    )
    patch.paint(cover(cap), hair)


__all__ = ["CLOTHES", "HAIR", "SKIN", "draw_person"]
