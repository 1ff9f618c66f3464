"""Draws any subject of the catalogue: the box its family covers, and its family's drawing."""

from __future__ import annotations

from dataclasses import replace

from reelvault.engines.procedural.catalogue import LOOKS, Family
from reelvault.engines.procedural.drawings.animals import draw_quadruped
from reelvault.engines.procedural.drawings.buildings import draw_building
from reelvault.engines.procedural.drawings.critters import draw_critter
from reelvault.engines.procedural.drawings.objects import draw_object
from reelvault.engines.procedural.drawings.people import draw_person
from reelvault.engines.procedural.drawings.plants import draw_plant
from reelvault.engines.procedural.drawings.shading import lit
from reelvault.engines.procedural.drawings.vehicles import draw_vehicle
from reelvault.engines.procedural.movement import Actor, Pose
from reelvault.engines.procedural.scene import RGB
from reelvault.engines.procedural.sdf import Patch

# (left, top, right, bottom) around the anchor, in units of the subject's size
_BOXES: dict[Family, tuple[float, float, float, float]] = {
    "quadruped": (0.75, 1.0, 0.75, 0.05),
    "creature": (0.65, 0.65, 0.65, 0.65),
    "person": (0.3, 1.02, 0.3, 0.02),
    "building": (0.62, 1.25, 0.62, 0.02),  # times the width over the height
    "vehicle": (0.56, 0.65, 0.56, 0.02),
    "plant": (0.7, 1.2, 0.7, 0.02),
    "object": (0.6, 0.95, 0.6, 0.55),
}

# Narrower boxes for the variants that need less than their family's (less to paint).
_VARIANT_BOXES: dict[str, tuple[float, float, float, float]] = {
    "flower": (0.32, 0.92, 0.32, 0.02),
    "tree": (0.48, 1.0, 0.48, 0.02),
    "leaf": (0.45, 1.02, 0.45, 0.02),
    "cactus": (0.38, 1.0, 0.38, 0.02),
}


def catalogue_extent(kind: str, size: float) -> tuple[float, float, float, float]:
    """Bounding box (left, top, right, bottom) around a catalogue subject's anchor."""
    look = LOOKS[kind]
    left, top, right, bottom = _VARIANT_BOXES.get(look.variant, _BOXES[look.family])
    widen = look.aspect if look.family == "building" else 1.0
    return left * size * widen, top * size, right * size * widen, bottom * size


def draw_catalogued(
    patch: Patch,
    actor: Actor,
    pose: Pose,
    x: float,
    y: float,
    size: float,
    color: RGB,
    ambient: RGB,
    soft: bool,
    night: bool,
) -> None:
    """Paint ``actor`` (a catalogue kind) with its family's drawing, lit by ``ambient``."""
    look = LOOKS[actor.kind]
    look = replace(look, color=color, accent=lit(look.accent, ambient))
    family, d = look.family, actor.direction
    if family == "quadruped":
        draw_quadruped(patch, x, y, size, pose, look, color, d, soft)
    elif family == "creature":
        draw_critter(patch, x, y, size, pose, look, d)
    elif family == "person":
        moving = actor.motion not in ("still", "sway", "float")
        draw_person(patch, x, y, size, pose, look, color, int(actor.phase * 1000), moving)
    elif family == "building":
        draw_building(patch, x, y, size, look, color, night)
    elif family == "vehicle":
        draw_vehicle(patch, x, y, size, pose, look, color, d, night)
    elif family == "plant":
        draw_plant(patch, x, y, size, pose, look, color)
    else:
        draw_object(patch, x, y, size, pose, look, color)


__all__ = ["catalogue_extent", "draw_catalogued"]
