"""Camera words of a remix's or an edit's prompt, for the livephoto engine.

"slow push in", "zoom out", "pan left", "orbit around her", "vertigo", "keep the camera
still": the last camera move named wins; "gentle"/"dramatic" set how far it goes. Words
are matched in memory and never kept.
"""

from __future__ import annotations

import re

_PAIRS: dict[tuple[str, str], str] = {
    ("push", "in"): "push-in",
    ("zoom", "in"): "push-in",
    ("move", "closer"): "push-in",
    ("pull", "out"): "pull-out",
    ("pull", "back"): "pull-out",
    ("zoom", "out"): "pull-out",
    ("pan", "left"): "pan-left",
    ("pan", "right"): "pan-right",
    ("dolly", "zoom"): "dolly-zoom",
}
_SINGLE: dict[str, str] = {
    "closer": "push-in",
    "reveal": "pull-out",
    "wider": "pull-out",
    "pan": "pan-right",
    "orbit": "orbit",
    "orbiting": "orbit",
    "circle": "orbit",
    "circling": "orbit",
    "around": "orbit",
    "vertigo": "dolly-zoom",
    "still": "none",
    "static": "none",
    "locked": "none",
}
_STRENGTH: dict[str, float] = {
    "gentle": 0.35,
    "gently": 0.35,
    "subtle": 0.35,
    "slight": 0.35,
    "slow": 0.45,
    "slowly": 0.45,
    "strong": 0.9,
    "dramatic": 0.9,
    "dramatically": 0.9,
    "fast": 0.85,
    "big": 0.85,
}


def camera_words(prompt: str | None) -> tuple[str | None, float | None]:
    """(camera move, strength) that ``prompt`` names; None for what it does not name."""
    words = re.findall(r"[a-z]+", (prompt or "").lower())
    motion: str | None = None
    strength: float | None = None
    index = 0
    while index < len(words):
        pair = tuple(words[index : index + 2])
        if pair in _PAIRS:
            motion = _PAIRS[pair]
            index += 2
            continue
        word = words[index]
        if word in _SINGLE:
            motion = _SINGLE[word]
        if word in _STRENGTH:
            strength = _STRENGTH[word]
        index += 1
    return motion, strength


__all__ = ["camera_words"]
