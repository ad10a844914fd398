"""Coverage: the local hours in which a rotation promises a response, as UTC intervals.

A window is a set of weekdays and a local start and end time, e.g. `mon-fri 09:00-17:00`.
Times are kept as minutes since local midnight: `start` in 0..1439, `end` in 1..1440, where
1440 is 24:00 (the end of the day). A window whose end is at or before its start crosses
midnight: `fri 22:00-06:00` runs from Friday 22:00 to Saturday 06:00, the part after
midnight belonging to the day after the listed one. An end written `00:00` is the same as
`24:00`. A coverage without windows covers all the time (24/7).

Window bounds are local wall times in the coverage's zone, turned into instants with the
rotation rules (`bot.core.rotation.resolve_local`): a bound inside skipped time moves to the
end of the jump, a bound inside repeated time takes its first occurrence. So a window is
fixed to the local clock, and on the days the clocks change it is shorter or longer in real
time by the change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

from bot.core.rotation import resolve_local

__all__ = [
    "DAY_NAMES",
    "Coverage",
    "Interval",
    "Window",
    "gaps",
    "intervals",
    "is_covered",
    "next_covered",
    "overlapping_windows",
    "parse_window",
    "union",
]

Interval = tuple[datetime, datetime]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_INDEX = {name: i for i, name in enumerate(DAY_NAMES)}
_MINUTES_PER_DAY = 1440
_MINUTES_PER_WEEK = 7 * _MINUTES_PER_DAY
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_LOOKAHEAD = timedelta(days=8)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _describe_days(days: frozenset[int]) -> str:
    if len(days) == 7:
        return "mon-sun"
    runs: list[list[int]] = []
    for day in range(7):  # a run starts at a day whose previous day is not in the set
        if day in days and (day - 1) % 7 not in days:
            run = [day]
            while (run[-1] + 1) % 7 in days:
                run.append((run[-1] + 1) % 7)
            runs.append(run)
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}")
        else:
            parts.extend(DAY_NAMES[d] for d in run)
    return ",".join(parts)


@dataclass(frozen=True)
class Window:
    """Weekdays (0 = Monday .. 6 = Sunday) and local minutes since midnight [start, end).

    `end` may be 1440 (24:00); `end <= start` crosses midnight into the next day.
    """

    days: frozenset[int]
    start: int
    end: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "days", frozenset(self.days))
        if not self.days or not self.days <= frozenset(range(7)):
            raise ValueError(f"window days must be a non-empty set of 0..6, got {set(self.days)}")
        for name, value, low, high in (("start", self.start, 0, 1439), ("end", self.end, 1, 1440)):
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ValueError(
                    f"window {name} is minutes since midnight in {low}..{high}, got {value!r}"
                )
        if self.start == self.end:
            raise ValueError(f"window starts and ends at {_clock(self.start)}: it covers nothing")

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    @property
    def length(self) -> timedelta:
        """The length of one occurrence on the local wall clock."""
        minutes = self.end - self.start
        return timedelta(minutes=minutes + _MINUTES_PER_DAY if minutes <= 0 else minutes)

    def describe(self) -> str:
        """The window as users write it, e.g. `mon-fri 09:00-17:00`."""
        return f"{_describe_days(self.days)} {_clock(self.start)}-{_clock(self.end)}"

    def occurrence(self, day: date) -> tuple[datetime, datetime]:
        """The naive local [start, end) of the occurrence that begins on `day`."""
        midnight = datetime(day.year, day.month, day.day)
        begins = midnight + timedelta(minutes=self.start)
        return begins, begins + self.length

    def week_spans(self) -> list[tuple[int, int]]:
        """The occurrences as [start, end) minutes since Monday 00:00, wrapped into the week."""
        spans = []
        for day in sorted(self.days):
            begins = day * _MINUTES_PER_DAY + self.start
            ends = begins + int(self.length.total_seconds()) // 60
            if ends > _MINUTES_PER_WEEK:  # Sunday night into Monday
                spans.append((begins, _MINUTES_PER_WEEK))
                spans.append((0, ends - _MINUTES_PER_WEEK))
            else:
                spans.append((begins, ends))
        return spans


@dataclass(frozen=True)
class Coverage:
    """Windows in a zone; no windows means 24/7."""

    windows: tuple[Window, ...]
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if not isinstance(self.windows, tuple):
            object.__setattr__(self, "windows", tuple(self.windows))


# -- parsing ----------------------------------------------------------------------------------


def _parse_days(text: str) -> frozenset[int]:
    cleaned = str(text).strip().lower()
    if not cleaned:
        raise ValueError("days: name at least one day, e.g. mon-fri or sat,sun")
    days: set[int] = set()
    for part in cleaned.split(","):
        ends = [p.strip() for p in part.split("-")]
        if len(ends) > 2 or not all(ends):
            raise ValueError(f"days: {part.strip()!r} is not a day or a range like mon-fri")
        for name in ends:
            if name not in _DAY_INDEX:
                raise ValueError(
                    f"days: {name!r} is not a day; use {', '.join(DAY_NAMES)} "
                    "(ranges like mon-fri, lists like sat,sun)"
                )
        first, last = _DAY_INDEX[ends[0]], _DAY_INDEX[ends[-1]]
        span = (last - first) % 7  # fri-mon wraps over the weekend
        days.update((first + i) % 7 for i in range(span + 1))
    return frozenset(days)


def _parse_time(text: str, what: str, *, allow_24: bool) -> int:
    match = _TIME.match(str(text).strip())
    if not match:
        raise ValueError(f"{what}: {text!r} is not a time like 09:00")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if allow_24 and (hours, minutes) == (24, 0):
        return _MINUTES_PER_DAY
    if hours > 23 or minutes > 59:
        limit = "00:00 to 24:00" if allow_24 else "00:00 to 23:59"
        raise ValueError(f"{what}: {text!r} is not a time of day ({limit})")
    return hours * 60 + minutes


def parse_window(days: str, start: str, end: str) -> Window:
    """A window from its config form: days `mon-fri`, `sat,sun`, `mon,wed-fri`, `fri-mon`;
    times `HH:MM`, the end may be `24:00`. Raises ValueError saying what is wrong."""
    parsed_days = _parse_days(days)
    begins = _parse_time(start, "from", allow_24=False)
    ends = _parse_time(end, "to", allow_24=True)
    if begins == ends:
        raise ValueError(
            f"from {start!r} and to {end!r} are the same time: the window covers nothing "
            '(for whole days write from "00:00" to "24:00")'
        )
    return Window(parsed_days, begins, ends or _MINUTES_PER_DAY)


# -- intervals --------------------------------------------------------------------------------


def _utc(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (UTC), got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _occurrences(cov: Coverage, first: date, last: date) -> list[Interval]:
    """The resolved occurrences of all windows beginning on local days first..last."""
    out = []
    day = first
    while day <= last:
        weekday = day.weekday()
        for window in cov.windows:
            if weekday in window.days:
                begins, ends = window.occurrence(day)
                b, e = resolve_local(begins, cov.zone), resolve_local(ends, cov.zone)
                if b < e:  # an occurrence wholly inside skipped time is empty
                    out.append((b, e))
        day += timedelta(days=1)
    return out


def _local_day(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date()


def union(intervals_lists: Iterable[Iterable[Interval]]) -> list[Interval]:
    """All the given intervals merged: ordered, non-overlapping, touching ones joined."""
    pieces = sorted(
        (_utc(s, "interval start"), _utc(e, "interval end"))
        for intervals_list in intervals_lists
        for s, e in intervals_list
        if s < e
    )
    merged: list[Interval] = []
    for s, e in pieces:
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def intervals(cov: Coverage, start: datetime, end: datetime) -> list[Interval]:
    """The covered parts of [start, end) as merged, ordered UTC intervals."""
    start, end = _utc(start, "start"), _utc(end, "end")
    if start >= end:
        return []
    if not cov.windows:
        return [(start, end)]
    # an occurrence lasts at most a day on the wall clock: look one day back (two for safety
    # around whole-day clock jumps) for those that began before `start`
    first = _local_day(start, cov.zone) - timedelta(days=2)
    last = _local_day(end, cov.zone) + timedelta(days=1)
    clipped = [
        (max(s, start), min(e, end))
        for s, e in _occurrences(cov, first, last)
        if s < end and e > start
    ]
    return union([clipped])


def is_covered(cov: Coverage, at: datetime) -> bool:
    """Whether the rotation promises a response at `at`."""
    at = _utc(at, "at")
    if not cov.windows:
        return True
    day = _local_day(at, cov.zone)
    occurrences = _occurrences(cov, day - timedelta(days=2), day + timedelta(days=1))
    return any(s <= at < e for s, e in occurrences)


def next_covered(cov: Coverage, at: datetime) -> datetime | None:
    """`at` if covered, else the start of the next covered stretch (None if none in 8 days)."""
    at = _utc(at, "at")
    found = intervals(cov, at, at + _LOOKAHEAD)
    return found[0][0] if found else None


def gaps(coverages: Sequence[Coverage], start: datetime, end: datetime) -> list[Interval]:
    """The parts of [start, end) that none of `coverages` covers, ordered."""
    start, end = _utc(start, "start"), _utc(end, "end")
    if start >= end:
        return []
    covered = union(intervals(cov, start, end) for cov in coverages)
    out: list[Interval] = []
    t = start
    for s, e in covered:
        if s > t:
            out.append((t, s))
        t = max(t, e)
    if t < end:
        out.append((t, end))
    return out


def overlapping_windows(windows: Sequence[Window]) -> list[str]:
    """One description for each pair of windows whose weekly hours overlap, e.g.
    `mon-fri 09:00-17:00 overlaps mon 16:00-18:00 (mon 16:00-17:00)`."""
    problems = []
    for a, b in combinations(windows, 2):
        shared = sorted(
            (max(s1, s2), min(e1, e2))
            for s1, e1 in a.week_spans()
            for s2, e2 in b.week_spans()
            if max(s1, s2) < min(e1, e2)
        )
        if shared:
            s, e = shared[0]
            begins, ends = _week_clock(s), _week_clock(e, end=True)
            if ends[:3] == begins[:3]:
                ends = ends[4:]
            problems.append(f"{a.describe()} overlaps {b.describe()} ({begins}-{ends})")
    return problems


def _week_clock(minute: int, *, end: bool = False) -> str:
    day, rest = divmod(minute, _MINUTES_PER_DAY)
    if end and rest == 0:  # an end at midnight reads as 24:00 of the day before
        day, rest = day - 1, _MINUTES_PER_DAY
    return f"{DAY_NAMES[day % 7]} {_clock(rest)}"
