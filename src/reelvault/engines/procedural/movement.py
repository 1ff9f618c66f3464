"""Where each moving thing is at time t.

Motion is a continuous function of time (sines and constant speeds, wrapping around
off-screen), so frames are smooth and any frame can be rendered on its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reelvault.engines.procedural.catalogue import LOOKS
from reelvault.engines.procedural.scene import RGB, Motion

TAU = 2.0 * math.pi


@dataclass(frozen=True)
class Actor:
    """One subject instance placed in the scene."""

    kind: str
    color: RGB
    motion: Motion
    x: float  # base position, pixels
    y: float
    size: float  # pixels
    depth: float  # 0 far .. 1 near (parallax)
    phase: float
    direction: int  # +1 right, -1 left


@dataclass(frozen=True)
class Pose:
    x: float
    y: float
    angle: float
    cycle: float  # flapping / wagging / wheel angle
    scale: float = 1.0


def _wrap(value: float, low: float, high: float) -> float:
    span = high - low
    return low + (value - low) % span


def pose_at(actor: Actor, t: float, duration: float, width: int, height: int) -> Pose:
    """Where ``actor`` is at ``t`` seconds (before the camera), as a continuous function."""
    s, ph, d = actor.size, actor.phase, actor.direction
    mid = t - duration / 2
    span_x = (-1.2 * s, width + 1.2 * s)
    span_y = (-1.5 * s, height + 2.5 * s)
    x, y, angle, cycle = actor.x, actor.y, 0.0, 0.0
    motion = actor.motion
    if motion == "float":
        x += d * 0.022 * width * mid
        y += 0.022 * height * math.sin(TAU * t / 4.0 + ph)
        angle = 0.06 * math.sin(TAU * t / 5.3 + ph)
    elif motion == "fly":
        x = _wrap(x + d * 0.11 * width * mid, *span_x)
        y += 0.035 * height * math.sin(TAU * t / 3.1 + ph)
        cycle = TAU * 2.1 * t + ph
        angle = 0.05 * math.sin(TAU * t / 3.1 + ph + 1.2)
    elif motion == "drive":
        x = _wrap(x + d * 0.24 * width * mid, *span_x)
        y -= 0.004 * height * abs(math.sin(TAU * 2.3 * t + ph))
        cycle = d * (0.24 * width * t) / max(0.11 * s, 1.0)
    elif motion == "spin":
        angle = d * TAU * t / 4.5 + ph
        y += 0.012 * height * math.sin(TAU * t / 3.7 + ph)
    elif motion == "fall":
        y = _wrap(y + 0.07 * height * mid, *span_y)
        x += 0.02 * width * math.sin(TAU * t / 3.3 + ph)
        angle = 0.25 * math.sin(TAU * t / 2.9 + ph)
    elif motion == "rise":
        y = _wrap(y - 0.045 * height * mid, *span_y)
        x += 0.015 * width * math.sin(TAU * t / 5.0 + ph)
        angle = 0.04 * math.sin(TAU * t / 4.1 + ph)
    elif motion == "bounce":
        period = 0.9
        y += 0.08 * height - 0.2 * height * abs(math.sin(math.pi * t / period + ph))
        x += d * 0.03 * width * mid
        angle = 0.12 * math.sin(math.pi * t / period + ph)
    elif motion == "swim":
        x = _wrap(x + d * 0.07 * width * mid, *span_x)
        y += 0.025 * height * math.sin(TAU * t / 3.4 + ph)
        cycle = TAU * 1.7 * t + ph
    elif motion == "sway":
        x += 0.04 * width * math.sin(TAU * t / 6.0 + ph)
        y += 0.03 * height * math.sin(TAU * t / 4.3 + ph)
        angle = 0.16 * math.sin(TAU * t / 3.1 + ph)
    elif motion == "walk":
        x = _wrap(x + d * 0.06 * width * mid, *span_x)
        cycle = TAU * 1.4 * t + ph
    elif motion == "still":
        cycle = TAU * 0.5 * t + ph  # breathing, a flame's flicker, steam
    elif motion == "sail":
        x += d * 0.018 * width * mid
        y += 0.005 * height * math.sin(TAU * t / 2.4 + ph)
        angle = 0.035 * math.sin(TAU * t / 2.9 + ph)
    if actor.kind in ("boat", "ship") and motion != "sail":
        # Boats stay on the water whatever the verb says: they rock a little more.
        y = actor.y + 0.006 * height * math.sin(TAU * t / 2.2 + ph)
        angle = 0.06 * math.sin(TAU * t / 2.6 + ph)
    if actor.kind == "car" and motion not in ("drive", "bounce"):
        y = actor.y
        angle = 0.0
    if actor.kind in ("fish", "bird") and motion not in ("swim", "fly"):
        cycle = TAU * 1.7 * t + ph
    if actor.kind in LOOKS:
        return _catalogued_pose(actor, Pose(x=x, y=y, angle=angle, cycle=cycle), t)
    return Pose(x=x, y=y, angle=angle, cycle=cycle)


def _catalogued_pose(actor: Actor, pose: Pose, t: float) -> Pose:
    """What a verb may do to a catalogue subject: what stands on the ground stays on it,
    buildings and plants stay where they stand (a plant only sways), legs step faster
    when the verb says run."""
    family = LOOKS[actor.kind].family
    x, y, angle, cycle = pose.x, pose.y, pose.angle, pose.cycle
    if family in ("building", "plant"):
        swaying = family == "plant"
        sway = 0.12 * math.sin(TAU * t / 3.1 + actor.phase) if swaying else 0.0
        return Pose(x=actor.x, y=actor.y, angle=sway, cycle=cycle)
    grounded = family in ("quadruped", "person", "vehicle")
    if grounded and actor.motion != "bounce":
        y, angle = actor.y, 0.0
    if family in ("quadruped", "person"):
        if actor.motion == "drive":
            cycle = TAU * 2.4 * t + actor.phase
        elif actor.motion not in ("walk", "still"):
            cycle = TAU * 1.4 * t + actor.phase
    return Pose(x=x, y=y, angle=angle, cycle=cycle)


__all__ = ["TAU", "Actor", "Pose", "pose_at"]
