"""Rotation math: who is on call at an instant, and the timeline of shifts and overrides.

How handoffs are placed (the written rules):

1. Handoffs follow the wall clock of the rotation's own time zone. The first handoff is at
   `start` (local time); handoff number k is at `start + k × shift`, counted in local wall-clock
   time. A weekly handoff at 09:00 stays at 09:00 local all year, so every shift has its
   configured length on the wall clock; in real time a shift is shorter or longer by the
   clock change when the clocks change during it (a weekly shift over the spring change in
   Berlin lasts 167 hours, over the autumn change 169 hours).
2. The rotation runs backwards as well as forwards: before `start` the same pattern continues,
   member after member, so every instant has someone on call.
3. Skipped time (clocks go forward): a handoff whose local time does not exist happens at the
   first moment after the jump. In Europe/Berlin, 02:30 on 29 March 2026 becomes 03:00 CEST
   (01:00 UTC). A shift that lies entirely inside skipped time is empty: that member's turn
   is passed over and the next member starts at the end of the jump.
4. Repeated time (clocks go back): a handoff whose local time happens twice happens the first
   time. In Europe/Berlin, 02:30 on 25 October 2026 is 02:30 CEST (00:30 UTC), not the 02:30
   CET an hour later.
5. Rules 3 and 4 hold for clock changes of any size: the 30-minute change of Lord Howe
   Island, Samoa skipping a whole day in 2011, and the odd changes in the zone history.
6. Overrides beat the schedule: while an override of the rotation is in force, its user is on
   call. When overrides overlap, the most recently created one wins (equal creation times: the
   higher id). When an override ends, the scheduled member takes over again.
7. Coverage windows (`bot.core.coverage`) place their local start and end with the same rules.

All instants passed in must be timezone-aware; all instants returned are aware UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from math import ceil, floor
from zoneinfo import ZoneInfo

__all__ = [
    "Override",
    "RotationSpec",
    "Shift",
    "handoff",
    "next_shifts",
    "on_call",
    "resolve_local",
    "shift_at",
    "shifts",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_DAY_SECONDS = 86_400


def _require_aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (UTC), got naive {value.isoformat()}")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class RotationSpec:
    """A rotation as core sees it: members take `shift`-long turns from local time `start`."""

    name: str
    members: tuple[str, ...]
    shift: timedelta
    start: datetime  # naive, local wall time in `zone`
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if not self.members:
            raise ValueError(f"rotation {self.name!r}: needs at least one member")
        if self.shift <= timedelta(0):
            raise ValueError(f"rotation {self.name!r}: shift must be longer than zero")
        if self.start.tzinfo is not None:
            raise ValueError(
                f"rotation {self.name!r}: start is local wall time in the rotation's zone; "
                "pass it without tzinfo"
            )
        if not isinstance(self.members, tuple):
            object.__setattr__(self, "members", tuple(self.members))


@dataclass(frozen=True)
class Override:
    """`user` is on call for `rotation` over [starts_at, ends_at) instead of the schedule."""

    id: int
    rotation: str
    user: str
    starts_at: datetime
    ends_at: datetime
    created_at: datetime

    def __post_init__(self) -> None:
        for field in ("starts_at", "ends_at", "created_at"):
            value = _require_aware(getattr(self, field), f"override {self.id}: {field}")
            object.__setattr__(self, field, value)
        if self.ends_at <= self.starts_at:
            raise ValueError(f"override {self.id}: ends_at must be after starts_at")


@dataclass(frozen=True)
class Shift:
    """One stretch of the timeline: `user` is on call over [starts_at, ends_at).

    `index` is the number k of the scheduled shift in force at `starts_at` (negative before
    the rotation's start); `override_id` is set when an override, not the schedule, put `user`
    there.
    """

    rotation: str
    user: str
    starts_at: datetime
    ends_at: datetime
    index: int
    override_id: int | None = None

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    @property
    def is_override(self) -> bool:
        return self.override_id is not None


# -- local wall time -> instant ---------------------------------------------------------------


def _wall(at: datetime, zone: ZoneInfo) -> datetime:
    """The naive local wall time of an aware instant."""
    return at.astimezone(zone).replace(tzinfo=None)


def resolve_local(naive_local: datetime, zone: ZoneInfo) -> datetime:
    """The aware UTC instant of a local wall time, by the written rules.

    A wall time that exists once maps to that instant; one that happens twice (clocks go
    back) maps to its first occurrence; one that never happens (clocks go forward) maps to the
    first instant after the skipped stretch, whatever its length.
    """
    if naive_local.tzinfo is not None:
        raise ValueError("resolve_local takes a naive local wall time")
    naive = naive_local.replace(fold=0)
    offset = zone.utcoffset(naive)
    if offset == zone.utcoffset(naive_local.replace(fold=1)):
        # both readings agree: the wall time is neither skipped nor repeated (the common case)
        return (naive - offset).replace(tzinfo=UTC)
    first = naive.replace(tzinfo=zone).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first == second:
        if _wall(first, zone) == naive:
            return first
    else:
        valid = [u for u in (first, second) if _wall(u, zone) == naive]
        if valid:
            return min(valid)
    return _end_of_gap(naive, zone, min(first, second), max(first, second))


def _end_of_gap(naive: datetime, zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The first instant whose wall time is at or after `naive`, which falls in a gap.

    Bisects on whole UTC seconds (zone transitions are whole seconds) between an instant whose
    wall time is before `naive` and one whose wall time is after it.
    """
    lo = floor((low - _EPOCH).total_seconds())
    hi = ceil((high - _EPOCH).total_seconds())

    def reached(second: int) -> bool:
        return _wall(_EPOCH + timedelta(seconds=second), zone) >= naive

    while reached(lo):
        lo -= _DAY_SECONDS
    while not reached(hi):
        hi += _DAY_SECONDS
    while hi - lo > 1:  # invariant: not reached(lo), reached(hi)
        mid = (lo + hi) // 2
        if reached(mid):
            hi = mid
        else:
            lo = mid
    return _EPOCH + timedelta(seconds=hi)


# -- the schedule -----------------------------------------------------------------------------


def handoff(spec: RotationSpec, k: int) -> datetime:
    """The instant of handoff k (k = 0 is `spec.start`; k may be negative)."""
    return resolve_local(spec.start + k * spec.shift, spec.zone)


def shift_at(spec: RotationSpec, at: datetime) -> Shift:
    """The scheduled shift k with handoff(k) <= at < handoff(k + 1), overrides ignored.

    Estimates k from the local wall time, then steps to the exact shift (a step or two at
    most, except for tiny shifts around huge clock changes).
    """
    at = _require_aware(at, "at")
    k = (_wall(at, spec.zone) - spec.start) // spec.shift
    begins = handoff(spec, k)
    while begins > at:
        k -= 1
        begins = handoff(spec, k)
    ends = handoff(spec, k + 1)
    while ends <= at:
        k += 1
        begins, ends = ends, handoff(spec, k + 1)
    return Shift(spec.name, spec.members[k % len(spec.members)], begins, ends, k)


# -- overrides --------------------------------------------------------------------------------


def _rank(override: Override) -> tuple[datetime, int]:
    return (override.created_at, override.id)


def _relevant(spec: RotationSpec, overrides: Iterable[Override]) -> list[Override]:
    return [o for o in overrides if o.rotation == spec.name]


def _segment(spec: RotationSpec, overrides: list[Override], at: datetime) -> Shift:
    """The maximal stretch around `at` with the same person from the same source.

    The source is the override in force or, without one, the scheduled shift k.
    """
    winner: Override | None = None
    for o in overrides:
        if o.starts_at <= at < o.ends_at and (winner is None or _rank(o) > _rank(winner)):
            winner = o
    scheduled = shift_at(spec, at)
    if winner is None:
        begins, ends = scheduled.starts_at, scheduled.ends_at
        for o in overrides:  # any override beats the schedule
            if begins < o.ends_at <= at:
                begins = o.ends_at
            if at < o.starts_at < ends:
                ends = o.starts_at
        return Shift(spec.name, scheduled.user, begins, ends, scheduled.index)
    begins, ends = winner.starts_at, winner.ends_at
    rank = _rank(winner)
    for o in overrides:  # only more recent overrides beat this one
        if _rank(o) > rank:
            if begins < o.ends_at <= at:
                begins = o.ends_at
            if at < o.starts_at < ends:
                ends = o.starts_at
    index = scheduled.index if scheduled.starts_at <= begins else shift_at(spec, begins).index
    return Shift(spec.name, winner.user, begins, ends, index, winner.id)


def on_call(spec: RotationSpec, overrides: Iterable[Override], at: datetime) -> Shift:
    """Who is on call at `at`, overrides included.

    With an override in force the result carries its user and id, and runs from the override's
    start to its end, cut short where a more recently created override takes over (or, if one
    had been in force before, begun where it ended). Without one it is the scheduled shift,
    cut where overrides end before or begin after `at`. The result is always the piece of
    `shifts()` that contains `at`.
    """
    at = _require_aware(at, "at")
    return _segment(spec, _relevant(spec, overrides), at)


def shifts(
    spec: RotationSpec,
    overrides: Iterable[Override],
    start: datetime,
    end: datetime,
    *,
    clip: bool = False,
) -> list[Shift]:
    """The timeline over [start, end): contiguous, ordered, no overlaps, no gaps.

    Overrides are cut into the scheduled shifts; neighbouring pieces are one piece only when
    they have the same user from the same source (the same override, or the same scheduled
    shift). The pieces are whole: the first may begin before `start` and the last end after
    `end`, unless `clip` is set, which trims them to the range. An empty range gives [].
    """
    start = _require_aware(start, "start")
    end = _require_aware(end, "end")
    relevant = _relevant(spec, overrides)
    out: list[Shift] = []
    t = start
    while t < end:
        piece = _segment(spec, relevant, t)
        out.append(piece)
        t = piece.ends_at
    if clip and out:
        first, last = out[0], out[-1]
        out[0] = _with_bounds(first, max(first.starts_at, start), first.ends_at)
        last = out[-1]
        out[-1] = _with_bounds(last, last.starts_at, min(last.ends_at, end))
    return out


def next_shifts(
    spec: RotationSpec, overrides: Iterable[Override], at: datetime, count: int
) -> list[Shift]:
    """`count` pieces of the timeline, starting with the one in force at `at`."""
    t = _require_aware(at, "at")
    relevant = _relevant(spec, overrides)
    out: list[Shift] = []
    for _ in range(max(count, 0)):
        piece = _segment(spec, relevant, t)
        out.append(piece)
        t = piece.ends_at
    return out


def _with_bounds(shift: Shift, starts_at: datetime, ends_at: datetime) -> Shift:
    return Shift(shift.rotation, shift.user, starts_at, ends_at, shift.index, shift.override_id)
