"""A small, strict ISO 8601 duration parser for retention periods.

Accepted: ``P[nY][nM][nW][nD][T[nH][nM][nS]]`` with non-negative integers, at least one
component, the designators in that order, each at most once, and a ``T`` only when a time
component follows. Fractions, signs, spaces and lower-case letters are refused, so a typo
never silently becomes a different retention period.

Calendar units have no fixed length, so retention uses fixed ones: **a year is 365 days and
a month is 30 days** (``P1Y`` = 365 days, ``P12M`` = 360 days). A week is 7 days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

_PATTERN = re.compile(
    r"P(?:(?P<years>[0-9]+)Y)?(?:(?P<months>[0-9]+)M)?"
    r"(?:(?P<weeks>[0-9]+)W)?(?:(?P<days>[0-9]+)D)?"
    r"(?:T(?:(?P<hours>[0-9]+)H)?(?:(?P<minutes>[0-9]+)M)?(?:(?P<seconds>[0-9]+)S)?)?"
)
_MAX_DIGITS = 6  # keeps any sum of components inside timedelta's range

DAYS_PER_YEAR = 365
DAYS_PER_MONTH = 30
DAYS_PER_WEEK = 7

_UNITS: tuple[tuple[str, str], ...] = (
    ("years", "year"),
    ("months", "month"),
    ("weeks", "week"),
    ("days", "day"),
    ("hours", "hour"),
    ("minutes", "minute"),
    ("seconds", "second"),
)


@dataclass(frozen=True, slots=True)
class IsoDuration:
    """A parsed duration, components kept as written (``P12M`` stays 12 months)."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    def to_timedelta(self) -> timedelta:
        days = (
            self.years * DAYS_PER_YEAR
            + self.months * DAYS_PER_MONTH
            + self.weeks * DAYS_PER_WEEK
            + self.days
        )
        return timedelta(days=days, hours=self.hours, minutes=self.minutes, seconds=self.seconds)

    def isoformat(self) -> str:
        date = "".join(
            f"{value}{letter}"
            for value, letter in (
                (self.years, "Y"),
                (self.months, "M"),
                (self.weeks, "W"),
                (self.days, "D"),
            )
            if value
        )
        time = "".join(
            f"{value}{letter}"
            for value, letter in ((self.hours, "H"), (self.minutes, "M"), (self.seconds, "S"))
            if value
        )
        if not date and not time:
            return "PT0S"
        return "P" + date + ("T" + time if time else "")

    def describe(self) -> str:
        """Plain English, e.g. ``"12 months"``, ``"1 day 12 hours"``, ``"0 seconds"``."""
        parts = []
        for attr, unit in _UNITS:
            value: int = getattr(self, attr)
            if value:
                parts.append(f"{value} {unit}" + ("" if value == 1 else "s"))
        return " ".join(parts) if parts else "0 seconds"


def parse_duration(text: str) -> IsoDuration:
    """Parse a strict ISO 8601 duration; raise ``ValueError`` naming the bad text."""
    match = _PATTERN.fullmatch(text) if isinstance(text, str) else None
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"invalid ISO 8601 duration {text!r}")
    found = {key: value for key, value in match.groupdict().items() if value is not None}
    if any(len(value) > _MAX_DIGITS for value in found.values()):
        raise ValueError(f"invalid ISO 8601 duration {text!r}: at most {_MAX_DIGITS} digits a unit")
    values = {key: int(value) for key, value in found.items()}
    return IsoDuration(**values)


def format_duration(value: timedelta) -> str:
    """The canonical ISO 8601 form of a timedelta (days, hours, minutes, seconds).

    ``parse_duration(format_duration(d)).to_timedelta() == d`` for every non-negative
    timedelta of whole seconds under a million days.
    """
    if value < timedelta(0) or value.microseconds:
        raise ValueError("only non-negative durations of whole seconds have an ISO 8601 form")
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return IsoDuration(days=value.days, hours=hours, minutes=minutes, seconds=seconds).isoformat()


def describe_timedelta(value: timedelta) -> str:
    """Plain English for a timedelta, e.g. ``"30 days"``, ``"1 hour"``."""
    return parse_duration(format_duration(value)).describe()


__all__ = [
    "DAYS_PER_MONTH",
    "DAYS_PER_WEEK",
    "DAYS_PER_YEAR",
    "IsoDuration",
    "describe_timedelta",
    "format_duration",
    "parse_duration",
]
