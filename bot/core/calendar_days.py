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
from datetime import date, datetime, time, timedelta
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
    dates = [first + timedelta(days=n) for n in range(count + 1)]
    bounds = [resolve_local(datetime.combine(d, time()), zone) for d in dates]
    return [Day(dates[n], bounds[n], bounds[n + 1]) for n in range(count)]


def touched(shift: Shift, columns: Sequence[Day]) -> tuple[bool, ...]:
    """For each day, whether any part of `shift` falls on it (a day skipped whole, as Samoa's
    30 December 2011, holds nothing)."""
    return tuple(
        shift.starts_at < day.ends_at
        and day.starts_at < shift.ends_at
        and day.starts_at < day.ends_at
        for day in columns
    )
