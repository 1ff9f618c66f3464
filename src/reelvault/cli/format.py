"""Small, shared ways of showing times and sizes to people."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any


def when(moment: datetime | None, now: datetime) -> str:
    """``2026-11-23 15:40 UTC (in 59 min)``; ``never`` for None."""
    if moment is None:
        return "never (until you delete it)"
    stamp = moment.strftime("%Y-%m-%d %H:%M UTC")
    seconds = (moment - now).total_seconds()
    return f"{stamp} ({relative(seconds)})"


def relative(seconds: float) -> str:
    future = seconds >= 0
    seconds = abs(seconds)
    if seconds < 90:
        text = f"{round(seconds)} s"
    elif seconds < 90 * 60:
        text = f"{round(seconds / 60)} min"
    elif seconds < 36 * 3600:
        text = f"{seconds / 3600:.1f} h"
    else:
        text = f"{seconds / 86400:.1f} days"
    return f"in {text}" if future else f"{text} ago"


def size(num_bytes: int | None) -> str:
    if num_bytes is None:
        return "-"
    value = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def param_kind(field: Mapping[str, Any], definitions: Mapping[str, Any]) -> str:
    """A JSON-schema property as a user types it: ``integer``, ``a|b|c``, ``number|null``.

    Optional parameters come out of pydantic as ``anyOf`` unions and enums as ``$ref``s
    into ``$defs``; both are resolved so that no parameter shows an empty type.
    """
    reference = field.get("$ref")
    if isinstance(reference, str):
        return param_kind(definitions.get(reference.rsplit("/", 1)[-1], {}), definitions)
    choices = field.get("enum")
    if choices:
        return "|".join(str(choice) for choice in choices)
    alternatives = field.get("anyOf") or field.get("oneOf")
    if alternatives:
        kinds = [param_kind(option, definitions) for option in alternatives]
        named = [kind for kind in kinds if kind not in ("", "null")]
        optional = len(named) < len(kinds)
        return "|".join(named) + ("|null" if optional and named else "")
    kind = field.get("type", "")
    if isinstance(kind, list):
        return "|".join(str(part) for part in kind)
    return str(kind)


__all__ = ["param_kind", "relative", "size", "when"]
