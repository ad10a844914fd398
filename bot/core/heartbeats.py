"""Heartbeats, decided: when the next beat is due, what a missed one is called, and the state
each is in (for `/incident heartbeats`, App Home and `/metrics`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from bot.core.durations import format_duration

SOURCE = "heartbeat"  # the incidents' source and actor; the audit log's origin of a beat


class Labelled(Protocol):
    @property
    def labels(self) -> Mapping[str, str]: ...

    @property
    def status(self) -> str: ...


A = TypeVar("A", bound=Labelled)
H = TypeVar("H")


class State(StrEnum):
    WAITING = "waiting"  # never beat, not yet due
    OK = "ok"  # beat within `every`
    LATE = "late"  # past `every`, within the grace
    MISSING = "missing"  # past `every + grace`: an incident is open (or about to be)


@dataclass(frozen=True)
class Seen:
    """What the database holds about one heartbeat."""

    first_seen_at: datetime
    last_beat_at: datetime | None
    incident_id: int | None = None


def due(seen: Seen, allowed: timedelta) -> datetime:
    """When silence becomes a miss: `every + grace` after the last beat, else after the
    first start with the heartbeat in the config."""
    return (seen.last_beat_at or seen.first_seen_at) + allowed


def state(seen: Seen, every: timedelta, allowed: timedelta, now: datetime) -> State:
    if seen.incident_id is not None or now >= due(seen, allowed):
        return State.MISSING
    if seen.last_beat_at is None:
        return State.WAITING
    return State.OK if now < seen.last_beat_at + every else State.LATE


def missed_title(name: str, seen: Seen, zone: ZoneInfo, now: datetime) -> str:
    """`No heartbeat from alertmanager-watchdog since 14:02` (with the date when not today)."""
    since = (seen.last_beat_at or seen.first_seen_at).astimezone(zone)
    shown = since.strftime("%H:%M")
    if since.date() != now.astimezone(zone).date():
        shown = since.strftime("%Y-%m-%d %H:%M")
    return f"No heartbeat from {name} since {shown}"


def missed_description(name: str, seen: Seen, every: timedelta, grace: timedelta) -> str:
    said = "It has never checked in" if seen.last_beat_at is None else "Its last beat was"
    if seen.last_beat_at is None:
        said += " since Firebell started watching it."
    else:
        said += f" at {seen.last_beat_at.isoformat(timespec='seconds')}."
    return (
        f"{said} Heartbeat `{name}` is expected every {format_duration(every)} (grace {format_duration(grace)}): "
        "the pipeline that sends it (its monitoring, a cron job, Alertmanager's Watchdog) may "
        "be down, so alerts may not be reaching anyone."
    )


def beating(alerts: Sequence[A], watching: Mapping[str, H]) -> tuple[list[H], list[A]]:
    """Split an Alertmanager notification's alerts: the heartbeats its firing alerts named in
    `watching` (alertname -> heartbeat) beat, and the alerts left for incidents (a watched
    alert, firing or resolved, never opens one)."""
    beats: list[H] = []
    rest: list[A] = []
    for alert in alerts:
        name = watching.get(alert.labels.get("alertname", ""))
        if name is None:
            rest.append(alert)
        elif alert.status == "firing" and name not in beats:
            beats.append(name)
    return beats, rest
