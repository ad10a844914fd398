"""A report's figures per day, for its chart: incidents declared per day by severity, and the
median times to acknowledge (per severity, against its `ack_within`) and to resolve per day.

Pure functions of plain values, by the definitions of `bot.core.metrics` (the response clock,
what has happened as of the report's end). Days are calendar days in the config's timezone,
from the one the period starts in to the one it ends in, so the first and last may be partial.
Each incident's times count on the day it was declared: a day's MTTA is that of the incidents
declared that day.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.metrics import Timing, as_of, percentile
from bot.core.rotation import resolve_local

Seconds = float | None  # a day's median, None when nothing was there to measure


@dataclass(frozen=True)
class Daily:
    """One value per day of `days` in each series; severities in config order, then any
    others by name, each listed only when one of its incidents was declared."""

    start: datetime
    end: datetime
    days: tuple[date, ...]
    severities: tuple[str, ...]
    declared: Mapping[str, tuple[int, ...]]  # severity -> incidents declared per day
    acknowledge: Mapping[str, tuple[Seconds, ...]]  # severity -> median time to acknowledge
    resolve: tuple[Seconds, ...]  # median time to resolve, all severities
    targets: Mapping[str, float]  # severity -> its ack_within, seconds (those configured)

    @property
    def total(self) -> int:
        return sum(sum(counts) for counts in self.declared.values())

    @property
    def empty(self) -> bool:
        return self.total == 0

    def per_day(self) -> tuple[int, ...]:
        """Incidents declared per day, all severities."""
        counts = self.declared.values()
        return tuple(sum(c[day] for c in counts) for day in range(len(self.days)))


def calendar(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[list[date], list[float]]:
    """The local days the period [start, end) touches, and the epoch second each of them after
    the first begins at (local midnight, placed by the rotation rules when it is skipped)."""
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    starts = [resolve_local(datetime(d.year, d.month, d.day), zone).timestamp() for d in days[1:]]
    return days, starts


def daily(
    timings: Iterable[Timing],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    targets: Mapping[str, timedelta],
    order: Sequence[str] = (),
    *,
    resumed: Mapping[int, float] | None = None,
) -> Daily:
    """The series of the incidents declared in [start, end), as of `end`; `targets`, `order`
    and `resumed` as `bot.core.metrics.report` takes them."""
    low, high = start.timestamp(), end.timestamp()
    resumed = resumed or {}
    days, starts = calendar(start, end, zone)
    counts: dict[str, list[int]] = {}
    acks: dict[str, list[list[float]]] = {}
    fixes: list[list[float]] = [[] for _ in days]
    for number, _title, severity, declared, waiting, acknowledged, resolved, _team in timings:
        if not low <= declared < high:
            continue
        day = bisect_right(starts, declared)
        if severity not in counts:
            counts[severity] = [0] * len(days)
            acks[severity] = [[] for _ in days]
        counts[severity][day] += 1
        response_from, acknowledged, resolved = as_of(
            high, number, declared, waiting, acknowledged, resolved, resumed
        )
        if acknowledged is not None:
            acks[severity][day].append(max(acknowledged - response_from, 0.0))
        if resolved is not None:
            fixes[day].append(max(resolved - declared, 0.0))
    names = [s for s in order if s in counts]
    names += sorted(s for s in counts if s not in names)
    return Daily(
        start=start,
        end=end,
        days=tuple(days),
        severities=tuple(names),
        declared={s: tuple(counts[s]) for s in names},
        acknowledge={s: tuple(percentile(v, 0.5) for v in acks[s]) for s in names},
        resolve=tuple(percentile(v, 0.5) for v in fixes),
        targets={s: targets[s].total_seconds() for s in names if s in targets},
    )
