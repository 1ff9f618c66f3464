"""The moving things: how big each kind is, the box it covers, and which drawing paints it.

``movement`` says where each one is at time t; the ``drawings`` package paints one subject
into a :class:`Patch` covering its bounding box only.
"""

from __future__ import annotations

import math

from reelvault.engines.procedural.catalogue import LOOKS
from reelvault.engines.procedural.drawings.airborne import (
    draw_balloon,
    draw_hot_air_balloon,
    draw_kite,
)
from reelvault.engines.procedural.drawings.car import draw_car
from reelvault.engines.procedural.drawings.celestial import (
    draw_cloud,
    draw_moon,
    draw_planet,
    draw_star,
    draw_sun,
)
from reelvault.engines.procedural.drawings.creatures import draw_bird, draw_fish
from reelvault.engines.procedural.drawings.families import catalogue_extent, draw_catalogued
from reelvault.engines.procedural.drawings.orb import draw_shape
from reelvault.engines.procedural.drawings.shading import lit
from reelvault.engines.procedural.drawings.vessels import draw_boat, draw_ship
from reelvault.engines.procedural.movement import Actor, Pose
from reelvault.engines.procedural.scene import RGB
from reelvault.engines.procedural.sdf import Patch

# Size of each kind, relative to the shorter side of the frame.
SIZES: dict[str, float] = {
    "balloon": 0.1,
    "hot_air_balloon": 0.13,
    "boat": 0.34,
    "ship": 0.55,
    "bird": 0.075,
    "car": 0.42,
    "fish": 0.2,
    "kite": 0.13,
    "star": 0.1,
    "sun": 0.085,
    "moon": 0.075,
    "planet": 0.2,
    "shape": 0.1,
    "cloud": 0.5,
    **{kind: look.size for kind, look in LOOKS.items()},
}


def extent(kind: str, size: float) -> tuple[float, float, float, float]:
    """Bounding box (left, top, right, bottom) around the actor's anchor, in pixels."""
    s = size
    if kind in LOOKS:
        return catalogue_extent(kind, size)
    boxes = {
        "balloon": (1.35 * s, 1.35 * s, 1.35 * s, 3.7 * s),
        "hot_air_balloon": (1.1 * s, 1.1 * s, 1.1 * s, 2.0 * s),
        "boat": (0.62 * s, 0.85 * s, 0.62 * s, 0.2 * s),
        "ship": (0.6 * s, 0.38 * s, 0.6 * s, 0.14 * s),
        "bird": (1.05 * s, 0.8 * s, 1.05 * s, 0.8 * s),
        "car": (1.3 * s, 0.55 * s, 1.3 * s, 0.1 * s),
        "fish": (0.85 * s, 0.45 * s, 0.85 * s, 0.45 * s),
        "kite": (0.55 * s, 0.7 * s, 0.55 * s, 2.4 * s),
        "star": (1.6 * s, 1.6 * s, 1.6 * s, 1.6 * s),
        "sun": (2.4 * s, 2.4 * s, 2.4 * s, 2.4 * s),
        "moon": (2.2 * s, 2.2 * s, 2.2 * s, 2.2 * s),
        "planet": (1.9 * s, 1.3 * s, 1.9 * s, 1.3 * s),
        "shape": (1.7 * s, 1.7 * s, 1.7 * s, 1.7 * s),
        "cloud": (1.1 * s, 0.8 * s, 1.1 * s, 0.4 * s),
    }
    return boxes[kind]


def draw_actor(
    actor: Actor,
    pose: Pose,
    x: float,
    y: float,
    scale: float,
    t: float,
    width: int,
    height: int,
    ambient: RGB,
    soft: bool,
    night: bool,
) -> Patch | None:
    """Paint ``actor`` at screen position (x, y) and ``scale``; None when off-screen."""
    size = actor.size * scale
    left, top, right, bottom = extent(actor.kind, size)
    if actor.kind == "car" and not night:
        left = right = 0.62 * size
    x0 = max(0, math.floor(x - left))
    x1 = min(width, math.ceil(x + right) + 1)
    y0 = max(0, math.floor(y - top))
    y1 = min(height, math.ceil(y + bottom) + 1)
    if x1 <= x0 or y1 <= y0:
        return None
    patch = Patch(x0, y0, x1, y1)
    color = lit(actor.color, ambient)
    kind = actor.kind
    if kind in LOOKS:
        draw_catalogued(patch, actor, pose, x, y, size, color, ambient, soft, night)
    elif kind == "balloon":
        draw_balloon(patch, x, y, size, pose, color, t, soft)
    elif kind == "hot_air_balloon":
        draw_hot_air_balloon(patch, x, y, size, pose, color, soft)
    elif kind == "boat":
        draw_boat(patch, x, y, size, pose, color, soft, lit((0.97, 0.95, 0.9), ambient))
    elif kind == "ship":
        draw_ship(patch, x, y, size, pose, color, soft, ambient)
    elif kind == "bird":
        draw_bird(patch, x, y, size, pose, color)
    elif kind == "car":
        draw_car(patch, x, y, size, pose, color, soft, night, actor.direction)
    elif kind == "fish":
        draw_fish(patch, x, y, size, pose, color, soft, actor.direction)
    elif kind == "kite":
        draw_kite(patch, x, y, size, pose, color, t, soft)
    elif kind == "star":
        draw_star(patch, x, y, size, pose, actor.color, t, soft)
    elif kind == "sun":
        draw_sun(patch, x, y, size, pose, actor.color, soft)
    elif kind == "moon":
        draw_moon(patch, x, y, size, actor.color)
    elif kind == "planet":
        draw_planet(patch, x, y, size, pose, color, t, soft)
    elif kind == "cloud":
        draw_cloud(patch, x, y, size, color, soft)
    else:
        draw_shape(patch, x, y, size, pose, color, t, soft)
    return patch


__all__ = ["SIZES", "draw_actor", "extent"]
