"""Local days and the shifts that touch them: the columns of App Home's on-call calendar.

A day runs from local midnight to the next local midnight in the rotation's zone, placed by
rotation.py's written rules, so the day the clocks change lasts 23 or 25 hours (and a
midnight that never happens begins its day at the end of the jump). Which days a shift
touches follows from its instants alone, so a handoff at 09:00 local stays on its day
whatever the clocks did in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.rotation import Shift, resolve_local


@dataclass(frozen=True)
class Day:
    """One local day: its date and the instants (aware UTC) it begins and ends."""

    date: date
    starts_at: datetime
    ends_at: datetime


def days(at: datetime, count: int, zone: ZoneInfo) -> list[Day]:
    """`count` local days in `zone`, the first being the one that holds `at`."""
    first = at.astimezone(zone).date()
    if at < _midnight(first, zone):  # in the minutes a repeated midnight lends the day before
        first -= timedelta(days=1)
    dates = [first + timedelta(days=n) for n in range(count + 1)]
    bounds = [_midnight(d, zone) for d in dates]
    return [Day(dates[n], bounds[n], bounds[n + 1]) for n in range(count)]


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """When `day` begins: its local midnight, or where the clocks jump over it, the end of the
    jump. A midnight that happens twice (clocks going back just after it, as Newfoundland's
    00:01 changes until 2011) begins the day at its second occurrence when the clocks went
    back into the day before, so that day keeps every instant whose wall clock reads its date;
    one repeated within its own day (Havana's 01:00 -> 00:00) begins it the first time."""
    wall = datetime.combine(day, time())
    first = resolve_local(wall, zone)
    second = wall.replace(fold=1, tzinfo=zone).astimezone(UTC)
    back_to_the_day_before = (second - timedelta(seconds=1)).astimezone(zone).date() < day
    if second > first and back_to_the_day_before:
        return second
    return first


def touched(shift: Shift, columns: Sequence[Day]) -> tuple[bool, ...]:
    """For each day, whether any part of `shift` falls on it (a day skipped whole, as Samoa's
    30 December 2011, holds nothing)."""
    return tuple(
        shift.starts_at < day.ends_at
        and day.starts_at < shift.ends_at
        and day.starts_at < day.ends_at
        for day in columns
    )


def next_utc(now: datetime, at: time) -> datetime:
    """The first instant after `now` whose UTC wall clock reads `at` (a daily job's next run)."""
    today = datetime.combine(now.astimezone(UTC).date(), at, tzinfo=UTC)
    return today if today > now else today + timedelta(days=1)
