"""Frame sizes as people write them: ``640x360``."""

from __future__ import annotations

import re

from reelvault.errors import ValidationError

SIZE_PATTERN = re.compile(r"^\s*(\d{1,5})\s*[xX\u00d7]\s*(\d{1,5})\s*$", re.ASCII)


def parse_size(text: str) -> tuple[int, int]:
    """``"640x360"`` -> (640, 360), also written ``640 X 360`` or with the multiplication
    sign; a :class:`ValidationError` naming ``size`` for anything else."""
    match = SIZE_PATTERN.match(text)
    if match is None:
        raise ValidationError(f"size {text!r} is not WIDTHxHEIGHT, e.g. 640x360", param="size")
    return int(match.group(1)), int(match.group(2))


__all__ = ["SIZE_PATTERN", "parse_size"]
