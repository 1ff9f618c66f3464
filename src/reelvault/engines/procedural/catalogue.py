"""The subjects drawn from a few shared bodies: what each looks like, as data.

Each kind belongs to a *family* (a four-legged animal, a small creature, a person, a
building, a vehicle, a plant, a food or household object) whose drawing in the
``drawings`` package takes a :class:`Look`: its colours, proportions and features (ears,
tail, stripes, a roof, wheels). A new subject costs a row here, not a function. A word
maps to a kind through :data:`CATALOGUE_WORDS`; plural and collective words (``people``,
``family``) also give a count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reelvault.engines.procedural.vocabulary import RGB, Motion

Family = Literal["quadruped", "creature", "person", "building", "vehicle", "plant", "object"]

# Families that stand on the ground (their anchor is where they touch it).
GROUNDED: frozenset[Family] = frozenset({"quadruped", "person", "building", "vehicle", "plant"})


@dataclass(frozen=True)
class Look:
    """How one kind is drawn by its family's drawing."""

    family: Family
    variant: str  # the family's body plan: "house", "train", "flower", "bowl", ...
    color: RGB  # main colour (a colour word in the prompt replaces it)
    accent: RGB  # second colour: roof, trousers, stripes, leaves, filling
    size: float  # relative to the frame's shorter side
    aspect: float = 1.0  # body length / height where the family uses it
    legs: float = 0.0  # leg length relative to the size; a stack's layers
    ears: str = ""  # pointed, round, long, horns, mane
    tail: str = ""  # bushy, thin, curl, long
    pattern: str = ""  # stripes, spots, wool, chips, toppings, face, ribs
    motion: Motion = "still"


_BROWN: RGB = (0.5, 0.32, 0.17)
_DARK: RGB = (0.13, 0.12, 0.12)
_GREEN: RGB = (0.2, 0.55, 0.22)
_WHITE: RGB = (0.94, 0.93, 0.9)
_STONE: RGB = (0.72, 0.68, 0.6)
_RED: RGB = (0.82, 0.12, 0.1)


def _animal(
    color: RGB,
    accent: RGB,
    aspect: float,
    legs: float,
    ears: str,
    tail: str,
    pattern: str = "",
    size: float = 0.3,
) -> Look:
    return Look("quadruped", "", color, accent, size, aspect, legs, ears, tail, pattern, "walk")


# kind -> how it looks
LOOKS: dict[str, Look] = {
    # four-legged animals: one body, per-species proportions, ears, tails and coats
    "dog": _animal(_BROWN, (0.3, 0.2, 0.12), 1.9, 0.28, "round", "thin"),
    "cat": _animal((0.55, 0.55, 0.58), (0.3, 0.3, 0.32), 2.1, 0.22, "pointed", "long", "stripes"),
    "fox": _animal((0.9, 0.42, 0.12), _WHITE, 2.2, 0.22, "pointed", "bushy", size=0.34),
    "wolf": _animal((0.5, 0.5, 0.52), (0.8, 0.8, 0.8), 2.0, 0.3, "pointed", "bushy"),
    "squirrel": _animal(
        (0.62, 0.34, 0.16), (0.9, 0.75, 0.55), 1.6, 0.14, "pointed", "curl", size=0.22
    ),
    "rabbit": _animal((0.7, 0.62, 0.55), _WHITE, 1.5, 0.14, "long", "thin", size=0.2),
    "horse": _animal((0.45, 0.27, 0.13), _DARK, 1.7, 0.5, "pointed", "long", size=0.42),
    "cow": _animal(_WHITE, _DARK, 1.7, 0.35, "horns", "thin", "spots", size=0.42),
    "sheep": _animal(_WHITE, _DARK, 1.5, 0.2, "round", "thin", "wool", size=0.3),
    "pig": _animal((0.95, 0.66, 0.68), (0.85, 0.5, 0.55), 1.8, 0.18, "pointed", "thin"),
    "bear": _animal((0.35, 0.22, 0.12), (0.25, 0.15, 0.08), 1.6, 0.3, "round", "", size=0.42),
    "tiger": _animal((0.95, 0.52, 0.1), _DARK, 2.0, 0.3, "round", "long", "stripes", 0.4),
    "lion": _animal((0.86, 0.65, 0.3), (0.6, 0.38, 0.15), 1.9, 0.32, "mane", "long", "", 0.4),
    "deer": _animal((0.6, 0.4, 0.22), _WHITE, 1.6, 0.5, "horns", "thin", "spots", 0.38),
    "zebra": _animal(_WHITE, _DARK, 1.7, 0.45, "pointed", "long", "stripes", 0.4),
    "mouse": _animal((0.6, 0.58, 0.56), (0.9, 0.7, 0.7), 1.9, 0.08, "round", "long", size=0.14),
    "chameleon": _animal((0.3, 0.7, 0.3), (0.7, 0.85, 0.2), 2.2, 0.12, "", "curl", "stripes", 0.26),
    "lizard": _animal((0.45, 0.6, 0.3), (0.3, 0.4, 0.2), 2.6, 0.1, "", "long", "spots", 0.24),
    # small creatures: a segmented body with legs, wings, a shell or claws
    "spider": Look("creature", "spider", _DARK, (0.4, 0.1, 0.1), 0.3, 1.2, 0.6, motion="walk"),
    "ant": Look("creature", "ant", _DARK, _DARK, 0.24, 2.2, 0.4, motion="walk"),
    "bee": Look(
        "creature", "bee", (0.98, 0.78, 0.1), _DARK, 0.26, 1.6, 0.2, pattern="stripes", motion="fly"
    ),
    "ladybug": Look(
        "creature", "beetle", _RED, _DARK, 0.26, 1.1, 0.3, pattern="spots", motion="walk"
    ),
    "beetle": Look("creature", "beetle", (0.15, 0.35, 0.3), _DARK, 0.26, 1.3, 0.3, motion="walk"),
    "dragonfly": Look(
        "creature", "dragonfly", (0.1, 0.55, 0.7), (0.8, 0.9, 1.0), 0.36, 4.0, 0.15, motion="fly"
    ),
    "butterfly": Look(
        "creature",
        "butterfly",
        (0.95, 0.55, 0.1),
        _DARK,
        0.3,
        2.0,
        0.1,
        pattern="spots",
        motion="fly",
    ),
    "bat": Look(
        "creature",
        "bat",
        (0.2, 0.17, 0.18),
        (0.35, 0.3, 0.3),
        0.3,
        1.4,
        0.1,
        ears="pointed",
        motion="fly",
    ),
    "crab": Look("creature", "crab", (0.88, 0.35, 0.15), _DARK, 0.3, 0.7, 0.5, motion="walk"),
    "snail": Look(
        "creature", "snail", (0.75, 0.6, 0.4), (0.55, 0.35, 0.2), 0.4, 2.0, motion="walk"
    ),
    "snake": Look(
        "creature",
        "snake",
        (0.35, 0.55, 0.2),
        (0.85, 0.8, 0.3),
        0.45,
        6.0,
        pattern="stripes",
        motion="walk",
    ),
    "worm": Look("creature", "snake", (0.85, 0.5, 0.5), (0.8, 0.45, 0.45), 0.3, 8.0, motion="walk"),
    # people: one figure; a dress or trousers, hair, a child's proportions
    "man": Look("person", "man", (0.2, 0.4, 0.7), (0.2, 0.2, 0.28), 0.5, motion="walk"),
    "woman": Look("person", "woman", (0.75, 0.25, 0.35), (0.25, 0.2, 0.25), 0.47, motion="walk"),
    "person": Look("person", "man", (0.25, 0.55, 0.45), (0.22, 0.22, 0.3), 0.48, motion="walk"),
    "child": Look("person", "child", (0.95, 0.7, 0.15), (0.2, 0.3, 0.6), 0.32, motion="walk"),
    # buildings: silhouettes standing on the ground, windows lit at night
    "house": Look("building", "house", (0.85, 0.78, 0.65), (0.6, 0.22, 0.15), 0.4, 1.4),
    "cabin": Look("building", "house", (0.5, 0.33, 0.2), (0.3, 0.2, 0.12), 0.38, 1.3),
    "building": Look("building", "block", (0.7, 0.7, 0.72), (0.3, 0.35, 0.45), 0.55, 0.7),
    "tower": Look("building", "tower", _STONE, (0.35, 0.35, 0.4), 0.6, 0.25),
    "castle": Look("building", "castle", _STONE, (0.3, 0.3, 0.42), 0.45, 1.7),
    "church": Look("building", "church", (0.9, 0.88, 0.82), (0.4, 0.3, 0.3), 0.5, 1.0),
    "station": Look("building", "hall", (0.75, 0.68, 0.6), (0.35, 0.4, 0.45), 0.4, 2.0),
    "graveyard": Look("building", "graves", (0.6, 0.6, 0.62), (0.4, 0.4, 0.42), 0.2, 3.0),
    "temple": Look("building", "house", (0.9, 0.85, 0.75), (0.75, 0.2, 0.15), 0.4, 1.6),
    # vehicles: a body with wheels, per-type shape
    "train": Look("vehicle", "train", (0.8, 0.15, 0.15), (0.25, 0.3, 0.4), 0.95, motion="drive"),
    "bus": Look("vehicle", "bus", (0.95, 0.75, 0.1), (0.25, 0.3, 0.4), 0.6, motion="drive"),
    "truck": Look("vehicle", "truck", (0.2, 0.45, 0.75), (0.85, 0.85, 0.85), 0.6, motion="drive"),
    "ambulance": Look("vehicle", "van", _WHITE, _RED, 0.5, motion="drive"),
    "van": Look("vehicle", "van", (0.85, 0.85, 0.88), (0.3, 0.3, 0.35), 0.5, motion="drive"),
    "tractor": Look("vehicle", "tractor", (0.2, 0.55, 0.2), (0.95, 0.8, 0.1), 0.45, motion="drive"),
    "motorcycle": Look(
        "vehicle", "motorcycle", (0.1, 0.1, 0.12), (0.8, 0.1, 0.1), 0.35, motion="drive"
    ),
    "bicycle": Look("vehicle", "bicycle", (0.1, 0.45, 0.8), _DARK, 0.32, motion="drive"),
    # plants: a stem, leaves and flowers, or a trunk and a crown, swaying
    "plant": Look("plant", "potted", _GREEN, (0.75, 0.4, 0.25), 0.45, motion="sway"),
    "flower": Look("plant", "flower", (0.95, 0.35, 0.5), _GREEN, 0.4, motion="sway"),
    "rose": Look("plant", "flower", _RED, _GREEN, 0.4, motion="sway"),
    "sunflower": Look("plant", "flower", (0.98, 0.8, 0.1), _GREEN, 0.5, motion="sway"),
    "tulip": Look("plant", "flower", (0.9, 0.2, 0.3), _GREEN, 0.4, motion="sway"),
    "tree": Look("plant", "tree", (0.18, 0.5, 0.2), (0.4, 0.26, 0.14), 0.75, motion="sway"),
    "fern": Look("plant", "fern", (0.22, 0.58, 0.2), _GREEN, 0.5, motion="sway"),
    "leaf": Look("plant", "leaf", (0.3, 0.65, 0.2), (0.6, 0.85, 0.45), 0.45, motion="sway"),
    "cactus": Look("plant", "cactus", (0.3, 0.6, 0.3), (0.85, 0.35, 0.5), 0.5, motion="sway"),
    # food and objects: simple icons
    "cookie": Look("object", "round", (0.82, 0.6, 0.32), (0.3, 0.17, 0.08), 0.35, pattern="chips"),
    "pizza": Look("object", "round", (0.95, 0.75, 0.35), _RED, 0.5, pattern="toppings"),
    "pie": Look("object", "round", (0.85, 0.6, 0.3), (0.6, 0.3, 0.2), 0.5, pattern="ribs"),
    "pumpkin": Look("object", "round", (0.95, 0.5, 0.08), (0.3, 0.45, 0.15), 0.4, pattern="ribs"),
    "lantern": Look("object", "round", (0.95, 0.5, 0.08), (1.0, 0.85, 0.3), 0.4, pattern="face"),
    "apple": Look("object", "round", _RED, _GREEN, 0.3, pattern="leaf"),
    "fruit": Look("object", "round", (0.98, 0.55, 0.2), _GREEN, 0.3, pattern="leaf"),
    "papaya": Look("object", "round", (0.98, 0.55, 0.2), _DARK, 0.4, 1.6, pattern="seeds"),
    "strawberry": Look("object", "berry", (0.9, 0.12, 0.15), _GREEN, 0.25),
    "donut": Look("object", "round", (0.85, 0.6, 0.35), (0.95, 0.45, 0.65), 0.35, pattern="hole"),
    "cake": Look("object", "stack", (0.97, 0.9, 0.85), (0.95, 0.45, 0.6), 0.45, 1.3, 2),
    "pancake": Look("object", "stack", (0.9, 0.66, 0.35), (0.45, 0.22, 0.08), 0.4, 1.4, 5),
    "muffin": Look("object", "muffin", (0.55, 0.32, 0.18), (0.95, 0.5, 0.6), 0.35),
    "bread": Look("object", "loaf", (0.82, 0.58, 0.3), (0.95, 0.85, 0.65), 0.45, 1.8),
    "soup": Look("object", "bowl", (0.4, 0.6, 0.25), _WHITE, 0.45),
    "salad": Look("object", "bowl", _GREEN, _WHITE, 0.45),
    "dish": Look("object", "bowl", (0.9, 0.55, 0.2), _WHITE, 0.45),
    "coffee": Look("object", "cup", _WHITE, (0.35, 0.2, 0.1), 0.4),
    "tea": Look("object", "cup", _WHITE, (0.65, 0.4, 0.15), 0.4),
    "mug": Look("object", "cup", (0.9, 0.9, 0.88), (0.35, 0.2, 0.1), 0.4),
    "wine": Look("object", "glass", (0.55, 0.05, 0.12), (0.85, 0.9, 0.95), 0.45),
    "vegetable": Look("object", "florets", (0.2, 0.55, 0.2), (0.45, 0.7, 0.3), 0.4),
    "broccoli": Look("object", "florets", (0.2, 0.55, 0.2), (0.45, 0.7, 0.3), 0.4),
    "candle": Look("object", "candle", (0.95, 0.92, 0.85), (1.0, 0.75, 0.25), 0.4),
}

# collective or plural word -> (kind, how many)
_GROUPS: dict[str, tuple[str, int]] = {
    "people": ("person", 4),
    "persons": ("person", 3),
    "crowd": ("person", 7),
    "family": ("person", 4),
    "families": ("person", 6),
    "friends": ("person", 3),
    "men": ("man", 3),
    "women": ("woman", 3),
    "kids": ("child", 3),
    "children": ("child", 3),
    "girls": ("child", 3),
    "boys": ("child", 3),
    "flowers": ("flower", 5),
    "petals": ("flower", 3),
    "garden": ("flower", 6),
    "leaves": ("leaf", 3),
    "trees": ("tree", 3),
    "plants": ("plant", 3),
    "motorcycles": ("motorcycle", 2),
    "buildings": ("building", 3),
    "houses": ("house", 3),
    "cookies": ("cookie", 3),
    "pumpkins": ("pumpkin", 3),
    "candles": ("candle", 3),
    "strawberries": ("strawberry", 4),
    "pancakes": ("pancake", 1),
    "fruits": ("fruit", 3),
    "vegetables": ("vegetable", 2),
}
# other words for a kind (one of it)
_SYNONYMS: dict[str, str] = {
    "puppy": "dog",
    "kitten": "cat",
    "bunny": "rabbit",
    "pony": "horse",
    "boy": "child",
    "girl": "child",
    "kid": "child",
    "baby": "child",
    "mother": "woman",
    "lady": "woman",
    "father": "man",
    "guy": "man",
    "dancer": "person",
    "apartment": "building",
    "skyscraper": "building",
    "cottage": "house",
    "chapel": "church",
    "cathedral": "church",
    "palace": "castle",
    "fortress": "castle",
    "cemetery": "graveyard",
    "railway": "train",
    "locomotive": "train",
    "tram": "train",
    "metro": "train",
    "subway": "train",
    "motorbike": "motorcycle",
    "bike": "bicycle",
    "lorry": "truck",
    "firetruck": "truck",
    "ladybird": "ladybug",
    "cupcake": "muffin",
    "biscuit": "cookie",
    "doughnut": "donut",
    "loaf": "bread",
    "cup": "mug",
    "houseplant": "plant",
    "sapling": "tree",
}

_SINGULARS = {kind: (kind, 1) for kind in LOOKS if kind not in ("person",)}
_SINGULARS["person"] = ("person", 1)
_PLAIN_PLURALS = {
    f"{kind}s": (kind, 3)
    for kind in LOOKS
    if not kind.endswith(("s", "sh", "ch", "y")) and kind not in ("person", "man", "woman")
}

# Kinds named only by a word right after one of these (a "glass lid" is no wine glass, a
# paper lantern no jack-o'-lantern): word -> (the words before it, the kind).
QUALIFIED: dict[str, tuple[frozenset[str], str]] = {
    "glass": (frozenset({"wine", "drinking", "cocktail"}), "wine"),
    "glasses": (frozenset({"wine", "drinking", "cocktail"}), "wine"),
    "lantern": (frozenset({"o", "jack"}), "lantern"),
    "lanterns": (frozenset({"o", "jack"}), "lantern"),
}

CATALOGUE_WORDS: dict[str, tuple[str, int]] = {
    **{w: named for w, named in _PLAIN_PLURALS.items() if w not in QUALIFIED},
    **{w: named for w, named in _SINGULARS.items() if w not in QUALIFIED},
    **{word: (kind, 1) for word, kind in _SYNONYMS.items()},
    **_GROUPS,
}
"""Word -> (kind, how many it names); a count word in the prompt still wins."""

__all__ = ["CATALOGUE_WORDS", "GROUNDED", "LOOKS", "QUALIFIED", "Family", "Look"]
