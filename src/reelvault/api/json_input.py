"""Decoding JSON a client sent: bounded, so no input can make decoding fail with a 500.

``json.loads`` alone raises ``RecursionError`` on deep nesting, ``ValueError`` on an
integer over 4,300 digits (Python's guard against quadratic conversion), and accepts
``NaN``/``Infinity``, which later fail to serialise in a response. Here each of those
is a :class:`~reelvault.errors.ValidationError` (422 natively, 400 under ``/v1``)
naming what was wrong, and the nesting depth is bounded well below Python's stack, so
what is accepted can also be stored and sent back.
"""

from __future__ import annotations

import json
import math
from typing import Any

from reelvault.errors import ValidationError

MAX_DEPTH = 32
"""Deepest nesting of objects and arrays accepted (engine parameters need a few)."""
MAX_INT_DIGITS = 100
"""Longest integer accepted; nothing reelvault reads needs more than 19 digits."""


class _RefusedError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _RefusedError(f"holds an integer longer than {MAX_INT_DIGITS} digits")
    return int(text)


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _RefusedError("holds a number too large to represent")
    return value


def _constant(text: str) -> Any:
    raise _RefusedError(f"holds {text}, which is not JSON")


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests deeper than ``limit`` (iterative: no recursion to overflow)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def load_client_json(data: str | bytes, *, what: str, param: str | None = None) -> Any:
    """Decode ``data``; ``what`` names it in the error ("the request body", "params")."""
    try:
        value = json.loads(data, parse_int=_integer, parse_float=_number, parse_constant=_constant)
    except _RefusedError as refused:
        raise ValidationError(f"{what} {refused.reason}", param=param) from None
    except RecursionError:
        raise ValidationError(
            f"{what} is nested deeper than {MAX_DEPTH} levels", param=param
        ) from None
    except ValueError:  # JSONDecodeError, UnicodeDecodeError
        raise ValidationError(f"{what} is not valid JSON", param=param) from None
    if _depth_exceeds(value, MAX_DEPTH):
        raise ValidationError(f"{what} is nested deeper than {MAX_DEPTH} levels", param=param)
    return value


__all__ = ["MAX_DEPTH", "MAX_INT_DIGITS", "load_client_json"]
