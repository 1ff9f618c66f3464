"""From a prompt to a :class:`Scene`: which setting, light, subjects, motion and camera.

A small vocabulary of lower-cased words, matched in order, so that "a red balloon over a
green sea" colours the balloon red (a colour word applies to the next subject named
within a few words) and a verb applies to the subject just before it ("a car driving").
Prompts that name no subject we know get one that belongs in the setting (a boat on the
sea, birds over hills) only when every word was understood: a word we do not know may
be the subject ("a fox"), and drawing something else in its place would show the wrong
thing, so then the scene is drawn without a subject.

The prompt is personal data: nothing here logs it, and a Scene keeps no text of it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from reelvault.engines.base import PromptWords
from reelvault.engines.procedural.catalogue import CATALOGUE_WORDS, LOOKS, QUALIFIED
from reelvault.engines.procedural.vocabulary import (
    AURORA_LIGHTS,
    CALM,
    CAMERAS,
    COLORS,
    DEFAULT_COLOR,
    DEFAULT_MOTION,
    HOT_AIR,
    MOTIONS,
    NUMBERS,
    PLURALS,
    RGB,
    SETTING_DEFAULTS,
    SETTINGS,
    STOPWORDS,
    STORMY,
    SUBJECTS,
    TIMES,
    CameraMove,
    Motion,
    TimeOfDay,
)


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


def _digest(*parts: str) -> int:
    raw = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(raw[:8], "big")


def _jitter(color: RGB, rng: np.random.Generator, amount: float = 0.035) -> RGB:
    r, g, b = (float(np.clip(c + rng.uniform(-amount, amount), 0.0, 1.0)) for c in color)
    return (r, g, b)


# Every word that names a subject -> (kind, how many it names; 1 for one, 0 for "some").
_SUBJECT_WORDS: dict[str, tuple[str, int]] = {
    **CATALOGUE_WORDS,
    **{word: (kind, 0 if word in PLURALS else 1) for word, kind in SUBJECTS.items()},
}

# kind, the colour named for it (if any), how many, the verb that moves it (if any)
_Mention = tuple[str, RGB | None, int, Motion | None]

# Every table a word can be found in: a word in none of them was not understood.
_KNOWN_WORDS: tuple[Collection[str], ...] = (
    COLORS,
    NUMBERS,
    _SUBJECT_WORDS,
    MOTIONS,
    SETTINGS,
    TIMES,
    CAMERAS,
    STORMY,
    CALM,
    STOPWORDS,
    HOT_AIR,
    AURORA_LIGHTS,
    ("lights",),
)


@dataclass
class _Reading:
    """What the words of a prompt said, gathered in one pass over them, in order."""

    settings: set[str] = field(default_factory=set)
    times: list[TimeOfDay] = field(default_factory=list)
    camera: CameraMove | None = None
    found: list[_Mention] = field(default_factory=list)
    pending_color: tuple[RGB, int] | None = None  # a colour word not yet given to a subject
    pending_count: int | None = None
    pending_motion: Motion | None = None  # a verb said before any subject
    loose_colors: list[RGB] = field(default_factory=list)  # colours no subject took
    unknown: bool = False
    waves: float = 0.45
    drawn: list[str] = field(default_factory=list)  # words naming what the scene shows
    not_drawn: list[str] = field(default_factory=list)  # words not understood

    def read_color(self, word: str, index: int) -> None:
        if self.pending_color is not None:
            self.loose_colors.append(self.pending_color[0])
        self.pending_color = (COLORS[word], index)

    def read_subject(
        self, words: list[str], index: int, named: tuple[str, int], rng: np.random.Generator
    ) -> None:
        """A subject takes the colour named up to three words before it, the count and verb said."""
        kind, many = named
        if kind == "balloon" and index >= 2 and tuple(words[index - 2 : index]) == HOT_AIR:
            kind = "hot_air_balloon"
        color: RGB | None = None
        if self.pending_color is not None and index - self.pending_color[1] <= 3:
            color = self.pending_color[0]
            self.pending_color = None
        count = self.pending_count or max(many, 1)
        if many == 0 and self.pending_count is None:
            count = 3 + int(rng.integers(0, 3))
        self.pending_count = None
        self.found.append((kind, color, count, self.pending_motion))
        self.pending_motion = None

    def read_motion(self, word: str) -> None:
        """A verb moves the subject just named, or else the next one."""
        motion = MOTIONS[word]
        if self.found and self.found[-1][3] is None:
            kind, color, count, _ = self.found[-1]
            self.found[-1] = (kind, color, count, motion)
        else:
            self.pending_motion = motion

    def read_word(self, words: list[str], index: int, rng: np.random.Generator) -> None:
        word = words[index]
        if word in COLORS:
            self.read_color(word, index)
        if word in NUMBERS:
            self.pending_count = NUMBERS[word]
        named = _subject_named(words, index)
        if named is not None:
            self.read_subject(words, index, named, rng)
            self.drawn.append(word)
        if word in MOTIONS:
            self.read_motion(word)
        if word in SETTINGS:
            self.settings.add(SETTINGS[word])
            self.drawn.append(word)
        if word == "lights" and index >= 1 and words[index - 1] in AURORA_LIGHTS:
            self.settings.add("aurora")
            self.drawn.append(f"{words[index - 1]} lights")
        if word in TIMES:
            self.times.append(TIMES[word])
            self.drawn.append(word)
        if word in CAMERAS:
            self.camera = CAMERAS[word]
        if word in STORMY:
            self.waves = 0.95
        elif word in CALM:
            self.waves = 0.25
        if len(word) > 2 and named is None and not _known(words, index):
            self.unknown = True
            self.not_drawn.append(word)

    @property
    def kinds(self) -> set[str]:
        return {kind for kind, *_ in self.found}


def _subject_named(words: list[str], index: int) -> tuple[str, int] | None:
    """(kind, count) that ``words[index]`` names, or None: it names no subject we draw."""
    word = words[index]
    if word in QUALIFIED:
        before, kind = QUALIFIED[word]
        return (kind, 1) if any(w in before for w in words[max(0, index - 2) : index]) else None
    return _SUBJECT_WORDS.get(word)


def _known(words: list[str], index: int) -> bool:
    """Whether the word is understood (a subject's qualifier, "jack" of jack-o'-lantern, too)."""
    word = words[index]
    if any(word in table for table in _KNOWN_WORDS):
        return True
    following = words[index + 1 : index + 3]
    return any(w in QUALIFIED and word in QUALIFIED[w][0] for w in following)


def _read_words(words: list[str], rng: np.random.Generator) -> _Reading:
    reading = _Reading()
    for index in range(len(words)):
        reading.read_word(words, index, rng)
    if reading.pending_color is not None:
        reading.loose_colors.append(reading.pending_color[0])
    return reading


def _add_implied_settings(settings: set[str], kinds: set[str]) -> None:
    """Settings the subjects imply: boats need water, fish alone are underwater, cars a road."""
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


def _time_of_day(
    times: list[TimeOfDay], settings: set[str], kinds: set[str], prompt_hash: int
) -> TimeOfDay:
    """The last time named (a sunset wins unless night is named), or one the scene implies."""
    if not times:
        # The sun and moon are sky bodies: they set the light unless words say otherwise.
        if settings & {"space", "stars", "aurora"} or "moon" in kinds:
            return "night"
        if "sun" in kinds:
            return "day"
        choices: tuple[TimeOfDay, ...] = ("day", "day", "sunset", "sunset", "dusk", "sunrise")
        return choices[prompt_hash % len(choices)]
    if "sunset" in times and "night" not in times:
        return "sunset"
    return times[-1]


def _named_subjects(
    found: list[_Mention], loose_colors: list[RGB], rng: np.random.Generator
) -> list[Subject]:
    """One subject per kind named; a kind named without a colour takes a loose colour word."""
    subjects: list[Subject] = []
    for kind, color, count, verb in found:
        if color is None and loose_colors:
            color = loose_colors.pop(0)
        given = color is not None
        look = LOOKS.get(kind)
        base = color if color is not None else (look.color if look else DEFAULT_COLOR[kind])
        subject = Subject(
            kind=kind,
            color=_jitter(base, rng),
            motion=verb or (look.motion if look else DEFAULT_MOTION[kind]),
            count=max(1, min(count, 8)),
            color_given=given,
        )
        if any(s.kind == kind for s in subjects):
            continue
        subjects.append(subject)
    return subjects


def _fallback_subject(reading: _Reading, settings: set[str], rng: np.random.Generator) -> Subject:
    """For prompts naming no subject, every word understood: one that fits the setting."""
    kind = next(
        (SETTING_DEFAULTS[s] for s in ("underwater", "space", "water", "city") if s in settings),
        "bird",
    )
    loose_colors = reading.loose_colors
    given = bool(loose_colors)
    color = loose_colors.pop(0) if loose_colors else DEFAULT_COLOR[kind]
    motion: Motion = reading.pending_motion or DEFAULT_MOTION[kind]
    count = reading.pending_count or (3 + int(rng.integers(0, 3)) if kind == "bird" else 1)
    return Subject(
        kind=kind,
        color=_jitter(color, rng),
        motion=motion,
        count=count,
        color_given=given,
    )


def _camera_move(named: CameraMove | None, variant: int, rng: np.random.Generator) -> CameraMove:
    """The camera move named (a pan goes either way), or one picked by the seed."""
    if named is None:
        moves: tuple[CameraMove, ...] = (
            "pan-left",
            "pan-right",
            "push-in",
            "pan-right",
            "pull-out",
            "push-in",
            "static",
        )
        return moves[int(rng.integers(0, len(moves)))]
    if named == "pan-right" and variant % 2:
        return "pan-left"
    return named


def _words(prompt: str) -> list[str]:
    return re.findall(r"[a-z]+", prompt.lower())


def prompt_words(prompt: str) -> PromptWords:
    """The words of ``prompt`` the engine draws and those it cannot, each once, in order.

    Colours, counts, verbs and camera words are understood and shape what is drawn, so
    they are in neither list.
    """
    reading = _read_words(_words(prompt), np.random.default_rng(0))
    return PromptWords(
        drawn=tuple(dict.fromkeys(reading.drawn)),
        not_drawn=tuple(dict.fromkeys(reading.not_drawn)),
    )


def parse_prompt(prompt: str, seed: int) -> Scene:
    """Compose a scene from the words of ``prompt``; ``seed`` varies layout and colours."""
    words = _words(prompt)
    prompt_hash = _digest("prompt", " ".join(words))
    variant = _digest("variant", str(seed), " ".join(words))
    rng = np.random.default_rng(variant)  # drawn from in this order: words, subjects, camera

    reading = _read_words(words, rng)
    kinds = reading.kinds
    settings = reading.settings  # completed in place, in the order the words gave them
    _add_implied_settings(settings, kinds)
    time = _time_of_day(reading.times, settings, kinds, prompt_hash)
    if time == "night" and "space" not in settings and "rain" not in settings:
        settings.add("stars")
    # A subject we cannot draw is left out rather than drawn as something else (a fox
    # is not a shape or a planet): the scene around it is still drawn.
    subjects = _named_subjects(reading.found, reading.loose_colors, rng) or (
        [] if reading.unknown else [_fallback_subject(reading, settings, rng)]
    )
    return Scene(
        time=time,
        settings=frozenset(settings),
        subjects=tuple(subjects),
        camera=_camera_move(reading.camera, variant, rng),
        variant=variant,
        waves=reading.waves,
        direction=1 if (variant >> 8) % 2 else -1,
        accents=tuple(reading.loose_colors),
    )


__all__ = [
    "COLORS",
    "RGB",
    "CameraMove",
    "Motion",
    "PromptWords",
    "Scene",
    "Subject",
    "TimeOfDay",
    "parse_prompt",
    "prompt_words",
]
