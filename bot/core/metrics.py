"""Incident figures: response and resolution times, percentiles, the period report.

Pure functions of plain values. Definitions (docs/informed.md, "Reports", states them too):

- The response clock starts at declaration, or, for an incident declared outside coverage
  that waited (`outside_coverage: wait`), when coverage resumed and level 1 was paged.
- Time to acknowledge (MTTA) runs from there to the acknowledgement.
- Time to resolve (MTTR) runs from declaration to resolution.
- Acknowledged within target: the first response (the acknowledgement, or the resolution of an
  incident nobody acknowledged) came within the severity's `ack_within`. Incidents still
  inside their target and unanswered are not counted yet.
- Percentiles interpolate linearly between the closest ranks (the median of 1, 2, 3, 4 is
  2.5; p90 of 1..10 is 9.1), the common "inclusive" definition.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.core.rotation import resolve_local


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0 <= q <= 1) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def span(seconds: float | None) -> str:
    """A length of time as people say it: `45s`, `12m`, `1h 30m`, `2d 4h`; `–` for none."""
    if seconds is None:
        return "–"
    seconds = int(round(max(seconds, 0)))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"


class Timing(NamedTuple):
    """What a report needs of one incident; times in seconds since the Unix epoch.

    The store reads these straight from SQL (rows with these names), so a report over tens of
    thousands of incidents builds no datetime or object per incident."""

    number: int
    title: str
    severity: str
    declared: float
    waiting_until: float | None  # still waiting for coverage: when the response clock starts
    acknowledged: float | None
    resolved: float | None
    team: str | None = None  # None: the default team (incidents from before teams)


@dataclass(frozen=True)
class Times:
    """Median and p90 of a set of durations, in seconds (None when there are none)."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Times:
        return cls(len(values), percentile(values, 0.5), percentile(values, 0.9))


@dataclass(frozen=True)
class Row:
    """One severity (or all of them) in a report."""

    severity: str
    declared: int
    still_open: int
    acknowledge: Times
    resolve: Times
    met: int  # first response within target
    judged: int  # incidents whose target is decided (answered, or past it)

    @property
    def share_met(self) -> float | None:
        return self.met / self.judged if self.judged else None


@dataclass(frozen=True)
class Longest:
    number: int
    title: str
    severity: str
    seconds: float
    still_open: bool


@dataclass(frozen=True)
class Report:
    start: datetime
    end: datetime
    rows: list[Row]  # one per severity in config order, then any others, when declared
    total: Row
    longest: list[Longest]
    services: list[tuple[str, int]]
    tenants: list[tuple[str, int]]
    teams: Sequence[Row] = ()  # one per team (named in `Row.severity`), when asked for


TOP = 5


class _Tally:
    __slots__ = ("acks", "declared", "fixes", "judged", "met", "still_open")

    def __init__(self) -> None:
        self.declared = self.still_open = self.met = self.judged = 0
        self.acks: list[float] = []
        self.fixes: list[float] = []

    def count(self, lasted: float, still_open: bool, took: float | None, met: bool | None):
        """One incident: how long it lasted (so far), the time to acknowledge it (None: not
        acknowledged), and whether its first response came within target (None: not decided)."""
        self.declared += 1
        if still_open:
            self.still_open += 1
        else:
            self.fixes.append(lasted if lasted > 0 else 0.0)
        if took is not None:
            self.acks.append(took if took > 0 else 0.0)
        if met is not None:
            self.judged += 1
            self.met += met

    def row(self, name: str) -> Row:
        return Row(
            name,
            self.declared,
            self.still_open,
            Times.of(self.acks),
            Times.of(self.fixes),
            self.met,
            self.judged,
        )


def as_of(
    high: float,
    number: int,
    declared: float,
    waiting_until: float | None,
    acknowledged: float | None,
    resolved: float | None,
    resumed: Mapping[int, float],
) -> tuple[float, float | None, float | None]:
    """One incident as of `high` (epoch seconds): (when its response clock started, when it
    was acknowledged, when it was resolved), None for what had not happened by then.

    The response clock starts at declaration, or when coverage resumed (or will) for one that
    waited (`resumed`: incident -> epoch seconds)."""
    response_from = resumed.get(number) or waiting_until or declared
    if acknowledged is not None and acknowledged > high:
        acknowledged = None
    if resolved is not None and resolved > high:
        resolved = None
    return response_from, acknowledged, resolved


def _top(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(((k, n) for k, n in counts.items() if n), key=lambda kv: (-kv[1], kv[0]))[:TOP]


def report(
    timings: Iterable[Timing],
    start: datetime,
    end: datetime,
    targets: Mapping[str, timedelta],
    order: Sequence[str] = (),
    *,
    resumed: Mapping[int, float] | None = None,
    services: Mapping[str, int] | None = None,
    tenants: Mapping[str, int] | None = None,
    teams: Sequence[str] | None = None,
) -> Report:
    """Figures over the incidents declared in [start, end), as of `end` (what happened after
    it does not count).

    `targets` maps a severity to its `ack_within`; `order` lists severities as configured
    (severities no longer configured follow, by name); `resumed` maps an incident that waited
    for coverage to when coverage resumed (epoch seconds); `services` and `tenants` are counts
    of incidents over the same period (each tenant once per incident); `teams`, when given,
    asks for a row per team in that order (teams no longer configured follow, by name)."""
    low, high = start.timestamp(), end.timestamp()
    limits = {name: target.total_seconds() for name, target in targets.items()}
    resumed = resumed or {}
    tallies: dict[str, _Tally] = {}
    by_team: dict[str, _Tally] | None = None if teams is None else {}
    # the longest so far, a min-heap of at most TOP: (seconds, -number, title, severity, open);
    # rows are not kept, so a long period allocates nothing per incident that outlives it
    spans: list[tuple[float, int, str, str, bool]] = []
    for number, title, severity, declared, waiting_until, acknowledged, resolved, team in timings:
        if not low <= declared < high:
            continue
        response_from, acknowledged, resolved = as_of(
            high, number, declared, waiting_until, acknowledged, resolved, resumed
        )
        still_open = resolved is None
        lasted = (high if still_open else resolved) - declared
        if len(spans) < TOP or (lasted >= spans[0][0] and (lasted, -number) > spans[0][:2]):
            span_ = (lasted, -number, title, severity, still_open)
            (heapq.heappush if len(spans) < TOP else heapq.heapreplace)(spans, span_)
        took = None if acknowledged is None else acknowledged - response_from
        met = None
        limit = limits.get(severity)
        if limit is not None:
            first = acknowledged if acknowledged is not None else resolved
            if first is not None:
                met = first - response_from <= limit
            elif high - response_from > limit:
                met = False
        t = tallies.get(severity)
        if t is None:
            t = tallies[severity] = _Tally()
        t.count(lasted, still_open, took, met)
        if by_team is not None:
            owner = team or "default"
            t = by_team.get(owner)
            if t is None:
                t = by_team[owner] = _Tally()
            t.count(lasted, still_open, took, met)
    total = _Tally()
    for t in tallies.values():
        total.declared += t.declared
        total.still_open += t.still_open
        total.met += t.met
        total.judged += t.judged
        total.acks += t.acks
        total.fixes += t.fixes
    longest = [
        Longest(-negated, title, severity, seconds, still_open)
        for seconds, negated, title, severity, still_open in sorted(spans, reverse=True)
    ]
    team_rows = []
    if by_team is not None:
        team_rows = [by_team[name].row(name) for name in _ordered(by_team, teams or ())]
    return Report(
        start=start,
        end=end,
        rows=[tallies[name].row(name) for name in _ordered(tallies, order)],
        total=total.row("All"),
        longest=longest,
        services=_top(services or {}),
        tenants=_top(tenants or {}),
        teams=team_rows,
    )


def _ordered(found: Mapping[str, object], order: Sequence[str]) -> list[str]:
    """The names found, in the configured `order`, then any others by name."""
    names = [s for s in order if s in found]
    return names + sorted(s for s in found if s not in names)


@dataclass(frozen=True)
class Response:
    """An incident's response, read from its timeline (for the postmortem)."""

    declared_at: datetime | None
    response_from: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    escalations: list  # the `escalated` and `exhausted` events, in order
    updates: int
    longest_silence: float | None  # seconds without a status update while open
    eta_missed: int

    @property
    def time_to_acknowledge(self) -> float | None:
        if self.acknowledged_at is None or self.response_from is None:
            return None
        return max((self.acknowledged_at - self.response_from).total_seconds(), 0.0)

    @property
    def time_to_resolve(self) -> float | None:
        if self.resolved_at is None or self.declared_at is None:
            return None
        return max((self.resolved_at - self.declared_at).total_seconds(), 0.0)


def response(events: Sequence, now: datetime) -> Response:
    """Figures from the timeline alone: events with `at`, `actor`, `kind`, `text`, `data`.

    The first acknowledgement counts (a reopened incident keeps its first response); the last
    resolution ends it. Silence is measured between declaration, status updates, and the
    resolution (or `now` while open); time while resolved is not silence."""
    declared = next((e for e in events if e.kind == "declared"), None)
    declared_at = declared.at if declared else None
    response_from = declared_at
    if declared is not None and declared.data.get("waiting_until"):
        paged = next((e for e in events if e.kind == "paged"), None)
        response_from = paged.at if paged else None
    ack = next((e for e in events if e.kind == "acknowledged"), None)
    resolved_at = None
    for event in events:
        if event.kind == "resolved":
            resolved_at = event.at
        elif event.kind == "reopened":
            resolved_at = None
    open_since = declared_at
    longest = None
    for event in events:
        if event.kind in ("update", "resolved") and open_since is not None:
            gap = (event.at - open_since).total_seconds()
            longest = gap if longest is None else max(longest, gap)
        if event.kind in ("update", "reopened"):
            open_since = event.at
        elif event.kind == "resolved":
            open_since = None
    if open_since is not None and declared_at is not None:
        gap = (now - open_since).total_seconds()
        longest = gap if longest is None else max(longest, gap)
    return Response(
        declared_at=declared_at,
        response_from=response_from,
        acknowledged_at=ack.at if ack else None,
        acknowledged_by=ack.actor if ack else None,
        resolved_at=resolved_at,
        escalations=[e for e in events if e.kind in ("escalated", "exhausted")],
        updates=sum(1 for e in events if e.kind == "update"),
        longest_silence=longest,
        eta_missed=sum(1 for e in events if e.kind == "eta_passed"),
    )


def next_weekly(after: datetime, weekday: int, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """The first instant strictly after `after` at local `weekday` (0 = Monday) `hour:minute`
    in `zone`, placed by the rotation rules (a skipped local time moves to the end of the
    jump; a repeated one is its first occurrence)."""
    local_day = after.astimezone(zone).date()
    for days in range(0, 15):
        day = local_day + timedelta(days=days)
        if day.weekday() != weekday:
            continue
        at = resolve_local(datetime(day.year, day.month, day.day, hour, minute), zone)
        if at > after:
            return at
    raise AssertionError("a weekday recurs within two weeks")
