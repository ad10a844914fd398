"""What stakeholders are told and when: which changes are broadcast, and the digest and weekly
report instants. Pure, so the rules read (and are tested) apart from the database.

A change is broadcast when it is news to stakeholders:
- a declaration, when the severity is one of the announced ones;
- a severity change into or out of those, or of an incident announced before (while it is
  open: re-classifying a resolved incident is bookkeeping, not news);
- every status update marked "share with stakeholders";
- the resolution or reopening of an incident announced before.

"Announced before" is read from the incident's timeline (its severity at declaration, its
severity changes and shared updates), so nothing extra is stored.

Digests sit on fixed slots: multiples of the interval since the Unix epoch (every 2h: the
even UTC hours), so any number of declarations or replicas arm each slot once; the first slot
is at least half an interval after the change that starts the chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from bot.core.metrics import next_weekly

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NEWS = frozenset({"declared", "update", "severity", "resolved", "reopened"})
DIGEST_STARTERS = frozenset({"declared", "severity", "reopened"})


class Seen(NamedTuple):
    """A timeline event as far as broadcasting cares."""

    kind: str
    data: Mapping[str, Any]


def announced_before(history: Sequence[Seen], severity_now: str, announced: Iterable[str]) -> bool:
    """Whether stakeholders have heard of the incident, from its timeline (oldest first)."""
    announced = tuple(announced)
    changes = [e for e in history if e.kind == "severity"]
    declared_as = changes[0].data.get("from") if changes else severity_now
    if declared_as in announced:
        return True
    for event in history:
        if event.kind == "severity" and event.data.get("to") in announced:
            return True
        if event.kind == "update" and event.data.get("share"):
            return True
    return False


def needs_history(kind: str, data: Mapping[str, Any], open_now: bool) -> bool:
    """Whether deciding on this change needs the incident's timeline (a declaration and a
    shared update decide alone; a change that is never news needs nothing)."""
    if not may_tell(kind, open_now):
        return False
    return kind != "declared" and not (kind == "update" and data.get("share"))


def may_tell(kind: str, open_now: bool) -> bool:
    """Whether a change of this kind can be news at all."""
    if kind == "severity" and not open_now:
        return False  # re-classifying a resolved incident is bookkeeping, not news
    return kind in NEWS


def worth_telling(
    kind: str,
    data: Mapping[str, Any],
    history: Sequence[Seen],
    severity: str,
    announced: Iterable[str],
) -> bool:
    """Whether a change just recorded (already last in `history`) is broadcast."""
    announced = tuple(announced)
    if kind == "update":
        return bool(data.get("share"))
    if kind == "declared":
        return severity in announced
    if kind == "severity":
        if data.get("to") in announced or data.get("from") in announced:
            return True
        return announced_before(history[:-1], severity, announced)
    if kind in ("resolved", "reopened"):
        return announced_before(history, severity, announced)
    return False


def starts_digest(kind: str, open_now: bool, severity: str, announced: Iterable[str]) -> bool:
    """Whether a change makes sure the digest chain runs: an open incident of an announced
    severity was declared, reopened or moved to that severity."""
    return kind in DIGEST_STARTERS and open_now and severity in tuple(announced)


def slot_after(at: datetime, every: timedelta) -> datetime:
    """The first digest slot strictly after `at`."""
    n = (at - EPOCH) // every
    return EPOCH + (n + 1) * every


def first_digest(now: datetime, every: timedelta) -> datetime:
    """The slot of the first digest a change starts: at least half an interval away."""
    return slot_after(now + every / 2, every)


def latest_weekly(
    due: datetime, now: datetime, weekday: int, hour: int, minute: int, zone: ZoneInfo
) -> datetime:
    """The latest weekly report instant in [due, now] (after downtime across several weeks,
    only that one is posted)."""
    latest = due
    while (following := next_weekly(latest, weekday, hour, minute, zone)) <= now:
        latest = following
    return latest
