"""From a prompt to a :class:`Scene`: which setting, light, subjects, motion and camera.

A small vocabulary of lower-cased words, matched in order, so that "a red balloon over a
green sea" colours the balloon red (a colour word applies to the next subject named
within a few words) and a verb applies to the subject just before it ("a car driving").
Prompts that name nothing we know still get a subject: a generic shape when some word
was not understood, otherwise something that belongs in the setting (a boat on the sea,
birds over hills).

The prompt is personal data: nothing here logs it, and a Scene keeps no text of it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

RGB = tuple[float, float, float]
TimeOfDay = Literal["day", "sunrise", "sunset", "dusk", "night"]
CameraMove = Literal["static", "pan-left", "pan-right", "push-in", "pull-out"]
Motion = Literal["float", "fly", "drive", "spin", "fall", "rise", "bounce", "swim", "sway", "sail"]

COLORS: dict[str, RGB] = {
    "red": (0.86, 0.09, 0.11),
    "crimson": (0.75, 0.05, 0.16),
    "scarlet": (0.92, 0.14, 0.08),
    "orange": (0.98, 0.5, 0.08),
    "yellow": (0.98, 0.84, 0.12),
    "golden": (0.95, 0.7, 0.18),
    "gold": (0.95, 0.7, 0.18),
    "green": (0.16, 0.68, 0.27),
    "emerald": (0.07, 0.6, 0.38),
    "lime": (0.55, 0.85, 0.15),
    "teal": (0.05, 0.55, 0.55),
    "turquoise": (0.15, 0.78, 0.72),
    "cyan": (0.15, 0.8, 0.9),
    "blue": (0.12, 0.35, 0.9),
    "navy": (0.08, 0.14, 0.42),
    "purple": (0.5, 0.2, 0.75),
    "violet": (0.56, 0.3, 0.88),
    "magenta": (0.88, 0.15, 0.65),
    "pink": (0.97, 0.45, 0.66),
    "white": (0.95, 0.95, 0.93),
    "black": (0.07, 0.07, 0.08),
    "grey": (0.5, 0.51, 0.53),
    "gray": (0.5, 0.51, 0.53),
    "silver": (0.76, 0.78, 0.82),
    "brown": (0.48, 0.3, 0.16),
}

# word -> subject kind (plural forms included: they also set a count).
SUBJECTS: dict[str, str] = {
    "balloon": "balloon",
    "balloons": "balloon",
    "boat": "boat",
    "boats": "boat",
    "sailboat": "boat",
    "sailboats": "boat",
    "yacht": "boat",
    "ship": "ship",
    "ships": "ship",
    "steamer": "ship",
    "ferry": "ship",
    "bird": "bird",
    "birds": "bird",
    "seagull": "bird",
    "seagulls": "bird",
    "gull": "bird",
    "gulls": "bird",
    "crow": "bird",
    "crows": "bird",
    "sun": "sun",
    "moon": "moon",
    "car": "car",
    "cars": "car",
    "taxi": "car",
    "truck": "car",
    "fish": "fish",
    "fishes": "fish",
    "goldfish": "fish",
    "kite": "kite",
    "kites": "kite",
    "star": "star",
    "cloud": "cloud",
    "planet": "planet",
}
PLURALS = frozenset(
    {
        "balloons",
        "boats",
        "sailboats",
        "ships",
        "birds",
        "seagulls",
        "gulls",
        "crows",
        "cars",
        "fishes",
        "kites",
    }
)
NUMBERS: dict[str, int] = {
    "two": 2,
    "pair": 2,
    "couple": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "several": 4,
    "some": 3,
    "many": 6,
    "flock": 6,
    "school": 5,
    "fleet": 3,
}

MOTIONS: dict[str, Motion] = {
    **dict.fromkeys(("drifting", "drifts", "drift", "floating", "floats", "float"), "float"),
    **dict.fromkeys(("hovering", "hovers", "gliding", "glides", "soaring", "soars"), "float"),
    **dict.fromkeys(("flying", "flies", "fly", "flapping", "flutter", "fluttering"), "fly"),
    **dict.fromkeys(("running", "runs", "driving", "drives", "racing", "races"), "drive"),
    **dict.fromkeys(("speeding", "rushing", "zooming", "cruising", "moving"), "drive"),
    **dict.fromkeys(("spinning", "spins", "rotating", "rotates", "turning", "twirling"), "spin"),
    **dict.fromkeys(("falling", "falls", "sinking", "sinks", "dropping", "descending"), "fall"),
    **dict.fromkeys(("rising", "rises", "ascending", "climbing", "lifting"), "rise"),
    **dict.fromkeys(("bouncing", "bounces", "jumping", "jumps", "hopping", "leaping"), "bounce"),
    **dict.fromkeys(("swimming", "swims", "diving"), "swim"),
    **dict.fromkeys(("swaying", "sways", "dancing", "dances", "waving"), "sway"),
    **dict.fromkeys(("sailing", "sails", "bobbing", "rocking"), "sail"),
}

# word -> setting flag
SETTINGS: dict[str, str] = {
    **dict.fromkeys(("sea", "ocean", "lake", "water", "river", "bay", "harbor"), "water"),
    **dict.fromkeys(("harbour", "waves", "pond", "seaside", "coast"), "water"),
    **dict.fromkeys(("sky", "skies", "clouds", "cloudy", "overcast"), "clouds"),
    **dict.fromkeys(("mountain", "mountains", "peaks", "alps", "range", "valley"), "mountains"),
    **dict.fromkeys(("hill", "hills", "meadow", "meadows", "field", "fields", "grass"), "hills"),
    **dict.fromkeys(("city", "street", "streets", "buildings", "downtown", "town"), "city"),
    **dict.fromkeys(("skyline", "skyscrapers", "road", "highway", "avenue"), "city"),
    **dict.fromkeys(("forest", "forests", "trees", "tree", "woods", "pine", "pines"), "forest"),
    **dict.fromkeys(("desert", "dunes", "dune", "sand", "sandy", "sahara"), "desert"),
    **dict.fromkeys(("beach", "shore", "island", "tropical"), "beach"),
    **dict.fromkeys(("snow", "snowy", "snowing", "snowfall", "winter", "blizzard"), "snow"),
    **dict.fromkeys(("rain", "rainy", "raining", "storm", "stormy", "thunderstorm"), "rain"),
    **dict.fromkeys(("drizzle", "downpour"), "rain"),
    **dict.fromkeys(("space", "galaxy", "cosmos", "nebula", "universe", "orbit"), "space"),
    **dict.fromkeys(("stars", "starry", "starlit"), "stars"),
    **dict.fromkeys(("underwater", "reef", "coral", "aquarium", "undersea"), "underwater"),
}
STORMY = frozenset({"storm", "stormy", "thunderstorm", "rough", "wild", "choppy", "windy"})
CALM = frozenset({"calm", "still", "quiet", "peaceful", "serene", "tranquil", "gentle", "smooth"})

TIMES: dict[str, TimeOfDay] = {
    **dict.fromkeys(("sunset", "evening", "sundown", "twilight"), "sunset"),
    **dict.fromkeys(("sunrise", "dawn", "morning", "daybreak"), "sunrise"),
    **dict.fromkeys(("dusk", "gloaming"), "dusk"),
    **dict.fromkeys(("night", "midnight", "nighttime", "moonlit", "moonlight", "dark"), "night"),
    **dict.fromkeys(("day", "noon", "midday", "daytime", "sunny", "afternoon", "bright"), "day"),
}
CAMERAS: dict[str, CameraMove] = {
    **dict.fromkeys(("pan", "panning", "tracking", "sweeping", "travelling"), "pan-right"),
    **dict.fromkeys(("zoom", "zooming", "closer", "approaching", "dolly", "push"), "push-in"),
    **dict.fromkeys(("reveal", "revealing", "away", "receding", "pull", "wide"), "pull-out"),
    **dict.fromkeys(("static", "locked", "tripod"), "static"),
}

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "over",
        "under",
        "in",
        "on",
        "at",
        "with",
        "and",
        "or",
        "through",
        "across",
        "above",
        "below",
        "near",
        "by",
        "from",
        "to",
        "into",
        "onto",
        "its",
        "his",
        "her",
        "their",
        "is",
        "are",
        "was",
        "be",
        "being",
        "very",
        "some",
        "few",
        "this",
        "that",
        "these",
        "those",
        "as",
        "while",
        "for",
        "up",
        "down",
        "around",
        "along",
        "against",
        "between",
        "behind",
        "beneath",
        "beside",
        "toward",
        "towards",
        "out",
        "off",
        "past",
        "like",
        "under",
        "it",
        "they",
        "them",
        "there",
        "here",
        "all",
        "each",
        "every",
        "one",
        "who",
        "which",
        "what",
        "where",
        "when",
        "how",
        "slowly",
        "quickly",
        "gently",
        "softly",
        "big",
        "small",
        "tiny",
        "little",
        "large",
        "huge",
        "giant",
        "beautiful",
        "lovely",
        "pretty",
        "old",
        "new",
        "bright",
        "dark",
        "lonely",
        "distant",
        "far",
        "close",
        "high",
        "low",
        "long",
        "short",
        "soft",
        "cinematic",
        "realistic",
        "photo",
        "photograph",
        "video",
        "shot",
        "scene",
        "view",
        "style",
        "animated",
        "cartoon",
        "colorful",
        "colourful",
        "vivid",
        "full",
        "light",
        "shadow",
        "glowing",
        "shining",
        "sparkling",
        "shiny",
        "cute",
        "happy",
        "sad",
    ]
)

_HOT_AIR = ("hot", "air")

_SETTING_DEFAULTS: dict[str, str] = {
    "water": "boat",
    "underwater": "fish",
    "city": "car",
    "space": "planet",
}


@dataclass(frozen=True)
class Subject:
    """One kind of moving thing in the scene (``count`` of them)."""

    kind: str
    color: RGB
    motion: Motion
    count: int = 1
    color_given: bool = False


@dataclass(frozen=True)
class Scene:
    """Everything the renderer needs; no text of the prompt."""

    time: TimeOfDay
    settings: frozenset[str]
    subjects: tuple[Subject, ...]
    camera: CameraMove
    variant: int
    waves: float = 0.5
    direction: int = 1
    accents: tuple[RGB, ...] = field(default_factory=tuple)

    def has(self, setting: str) -> bool:
        return setting in self.settings


DEFAULT_MOTION: dict[str, Motion] = {
    "balloon": "float",
    "hot_air_balloon": "float",
    "boat": "sail",
    "ship": "sail",
    "bird": "fly",
    "car": "drive",
    "fish": "swim",
    "kite": "sway",
    "star": "spin",
    "cloud": "float",
    "sun": "float",
    "moon": "float",
    "planet": "spin",
    "shape": "float",
}

DEFAULT_COLOR: dict[str, RGB] = {
    "balloon": COLORS["red"],
    "hot_air_balloon": COLORS["orange"],
    "boat": COLORS["white"],
    "ship": (0.2, 0.22, 0.3),
    "bird": (0.12, 0.12, 0.14),
    "car": COLORS["red"],
    "fish": COLORS["orange"],
    "kite": COLORS["yellow"],
    "star": COLORS["golden"],
    "cloud": COLORS["white"],
    "sun": (1.0, 0.86, 0.45),
    "moon": (0.93, 0.93, 0.86),
    "planet": (0.85, 0.55, 0.35),
    "shape": (0.25, 0.55, 0.95),
}


def _digest(*parts: str) -> int:
    raw = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(raw[:8], "big")


def _jitter(color: RGB, rng: np.random.Generator, amount: float = 0.035) -> RGB:
    r, g, b = (float(np.clip(c + rng.uniform(-amount, amount), 0.0, 1.0)) for c in color)
    return (r, g, b)


def parse_prompt(prompt: str, seed: int) -> Scene:
    """Compose a scene from the words of ``prompt``; ``seed`` varies layout and colours."""
    words = re.findall(r"[a-z]+", prompt.lower())
    prompt_hash = _digest("prompt", " ".join(words))
    variant = _digest("variant", str(seed), " ".join(words))
    rng = np.random.default_rng(variant)

    settings: set[str] = set()
    times: list[TimeOfDay] = []
    camera: CameraMove | None = None
    found: list[tuple[str, RGB | None, int, Motion | None]] = []
    pending_color: tuple[RGB, int] | None = None
    pending_count: int | None = None
    pending_motion: Motion | None = None
    loose_colors: list[RGB] = []
    unknown = False
    waves = 0.45

    for index, word in enumerate(words):
        if word in COLORS:
            if pending_color is not None:
                loose_colors.append(pending_color[0])
            pending_color = (COLORS[word], index)
        if word in NUMBERS:
            pending_count = NUMBERS[word]
        if word in SUBJECTS:
            kind = SUBJECTS[word]
            if kind == "balloon" and index >= 2 and tuple(words[index - 2 : index]) == _HOT_AIR:
                kind = "hot_air_balloon"
            color: RGB | None = None
            if pending_color is not None and index - pending_color[1] <= 3:
                color = pending_color[0]
                pending_color = None
            count = pending_count or 1
            if word in PLURALS and count == 1:
                count = 3 + int(rng.integers(0, 3))
            pending_count = None
            found.append((kind, color, count, pending_motion))
            pending_motion = None
        if word in MOTIONS:
            motion = MOTIONS[word]
            if found and found[-1][3] is None:
                kind, color, count, _ = found[-1]
                found[-1] = (kind, color, count, motion)
            else:
                pending_motion = motion
        if word in SETTINGS:
            settings.add(SETTINGS[word])
        if word in TIMES:
            times.append(TIMES[word])
        if word in CAMERAS:
            camera = CAMERAS[word]
        if word in STORMY:
            waves = 0.95
        elif word in CALM:
            waves = 0.25
        known = (
            word in COLORS
            or word in NUMBERS
            or word in SUBJECTS
            or word in MOTIONS
            or word in SETTINGS
            or word in TIMES
            or word in CAMERAS
            or word in STORMY
            or word in CALM
            or word in STOPWORDS
            or word in _HOT_AIR
        )
        if not known and len(word) > 2:
            unknown = True
    if pending_color is not None:
        loose_colors.append(pending_color[0])

    kinds = {kind for kind, *_ in found}
    if kinds & {"boat", "ship"}:
        settings.add("water")
    if "fish" in kinds and not kinds & {"boat", "ship"}:
        settings.add("underwater")
        settings.discard("water")
    if "beach" in settings:
        settings.add("water")
    if "space" in settings:
        settings.add("stars")
    if "car" in kinds and not settings & {"city", "desert", "snow", "hills", "forest"}:
        settings.add("city")

    # The sun and moon are sky bodies: they set the light unless words say otherwise.
    if not times:
        if "space" in settings or "stars" in settings or "moon" in kinds:
            times.append("night")
        elif "sun" in kinds:
            times.append("day")
        else:
            choices: tuple[TimeOfDay, ...] = ("day", "day", "sunset", "sunset", "dusk", "sunrise")
            times.append(choices[prompt_hash % len(choices)])
    time = times[-1]
    if "sunset" in times and "night" not in times:
        time = "sunset"
    if time == "night" and "space" not in settings and "rain" not in settings:
        settings.add("stars")

    subjects: list[Subject] = []
    for kind, color, count, verb in found:
        if color is None and loose_colors:
            color = loose_colors.pop(0)
        given = color is not None
        base = color if color is not None else DEFAULT_COLOR[kind]
        subject = Subject(
            kind=kind,
            color=_jitter(base, rng),
            motion=verb or DEFAULT_MOTION[kind],
            count=max(1, min(count, 8)),
            color_given=given,
        )
        if any(s.kind == kind for s in subjects):
            continue
        subjects.append(subject)
    if not subjects:
        kind = "shape"
        if not unknown:
            kind = next(
                (
                    _SETTING_DEFAULTS[s]
                    for s in ("underwater", "space", "water", "city")
                    if s in settings
                ),
                "bird",
            )
        given = bool(loose_colors)
        color = loose_colors.pop(0) if loose_colors else DEFAULT_COLOR[kind]
        motion_choice: Motion = pending_motion or DEFAULT_MOTION[kind]
        count = pending_count or (3 + int(rng.integers(0, 3)) if kind == "bird" else 1)
        subjects.append(
            Subject(
                kind=kind,
                color=_jitter(color, rng),
                motion=motion_choice,
                count=count,
                color_given=given,
            )
        )

    if camera is None:
        moves: tuple[CameraMove, ...] = (
            "pan-left",
            "pan-right",
            "push-in",
            "pan-right",
            "pull-out",
            "push-in",
            "static",
        )
        camera = moves[int(rng.integers(0, len(moves)))]
    elif camera == "pan-right" and variant % 2:
        camera = "pan-left"

    return Scene(
        time=time,
        settings=frozenset(settings),
        subjects=tuple(subjects),
        camera=camera,
        variant=variant,
        waves=waves,
        direction=1 if (variant >> 8) % 2 else -1,
        accents=tuple(loose_colors),
    )


__all__ = ["COLORS", "CameraMove", "Motion", "Scene", "Subject", "TimeOfDay", "parse_prompt"]
