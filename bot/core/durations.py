"""Durations as users write them: `90s`, `15m`, `4h`, `1d`, `1w`, or combined (`1h30m`)."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)\s*([smhdw])")
_WHOLE = re.compile(r"^(?:\d+\s*[smhdw]\s*)+$")
MAX = timedelta(days=366)


def parse_duration(text: str, longest: timedelta = MAX) -> timedelta:
    """Parse a duration of at most `longest`; raise ValueError with a message fit to show a
    user."""
    cleaned = str(text).strip().lower()
    if not cleaned or not _WHOLE.match(cleaned):
        raise ValueError(f"{text!r} is not a duration like 15m, 4h or 1d")
    seconds = sum(int(n) * _UNITS[u] for n, u in _PART.findall(cleaned))
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    if seconds > longest.total_seconds():
        limit = "a year" if longest == MAX else format_duration(longest)
        raise ValueError(f"{text!r} is longer than {limit}")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest exact spelling, e.g. 5400s -> `1h30m`; whole weeks stay days for clarity."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
