"""Small, shared ways of showing times and sizes to people."""

from __future__ import annotations

from datetime import datetime


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


__all__ = ["relative", "size", "when"]
