"""A remix's scene: the source's composition with the new prompt's changes applied.

The source scene (layout, seed-driven variant, camera, subjects) is composed from the
source's prompt as :func:`parse_prompt` always does; the new prompt's words then change
what they name and nothing else:

* a time of day ("at night") replaces the light; stars come and go with the night;
* weather and settings ("in the snow", "rainy") are added, a new weather replacing the
  old one; "stormy"/"calm" set the sea's mood;
* a subject named with a colour ("a blue balloon") recolours that subject, or joins the
  scene when the source had none of that kind; with a verb ("the balloon rises") it moves
  that way; a colour alone ("make it green") recolours the first subject;
* a camera word replaces the camera move.

Like the rest of the engine this keeps no text of either prompt.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from reelvault.engines.procedural.scene import (
    Scene,
    Subject,
    _camera_move,
    _jitter,
    _named_subjects,
    _read_words,
    _Reading,
    parse_prompt,
)
from reelvault.engines.procedural.vocabulary import CALM, STORMY, TimeOfDay

WEATHER = frozenset({"rain", "snow"})


def _settings(base: Scene, reading: _Reading, time: TimeOfDay) -> frozenset[str]:
    settings = set(base.settings)
    named = set(reading.settings)
    if named & WEATHER:
        settings -= WEATHER - named  # a new weather replaces the old one
    settings |= named
    if time != base.time:
        if time == "night" and "rain" not in settings:
            settings.add("stars")
        elif base.time == "night" and not named & {"stars", "space"} and "space" not in settings:
            settings.discard("stars")
    if "rain" in settings and "space" not in settings and "stars" not in named:
        settings.discard("stars")
    return frozenset(settings)


def _subjects(base: Scene, reading: _Reading, rng: np.random.Generator) -> tuple[Subject, ...]:
    subjects = list(base.subjects)
    loose = list(reading.loose_colors)
    changes = _named_subjects(list(reading.found), [], rng)
    for change in changes:
        at = next((i for i, s in enumerate(subjects) if s.kind == change.kind), None)
        if at is None:
            subjects.append(change)  # a subject the source did not have
        elif change.color_given:
            subjects[at] = dataclasses.replace(subjects[at], color=change.color, color_given=True)
    for kind, _color, _count, verb in reading.found:
        at = next((i for i, s in enumerate(subjects) if s.kind == kind), None)
        if verb is not None and at is not None:  # "the balloon rises"
            subjects[at] = dataclasses.replace(subjects[at], motion=verb)
    if loose and subjects and not changes:
        first = subjects[0]
        subjects[0] = dataclasses.replace(first, color=_jitter(loose[0], rng), color_given=True)
    return tuple(subjects)


def remix_scene(source_prompt: str | None, prompt: str, seed: int) -> Scene:
    """The scene of a remix (or of an extension's new part) of a video made from
    ``source_prompt`` with ``seed``. Without the source's prompt (this server's policy no
    longer keeps it) the new prompt is composed on its own, with the same seed."""
    if not source_prompt:
        return parse_prompt(prompt, seed)
    base = parse_prompt(source_prompt, seed)
    words = re.findall(r"[a-z]+", prompt.lower())
    rng = np.random.default_rng(base.variant ^ 0x5EED)
    reading = _read_words(words, rng)
    time: TimeOfDay = base.time
    if reading.times:
        sunset = "sunset" in reading.times and "night" not in reading.times
        time = "sunset" if sunset else reading.times[-1]
    mood_named = any(word in STORMY or word in CALM for word in words)
    camera = base.camera
    if reading.camera is not None:
        camera = _camera_move(reading.camera, base.variant, rng)
    return dataclasses.replace(
        base,
        time=time,
        settings=_settings(base, reading, time),
        subjects=_subjects(base, reading, rng),
        camera=camera,
        waves=reading.waves if mood_named else base.waves,
    )


__all__ = ["remix_scene"]
