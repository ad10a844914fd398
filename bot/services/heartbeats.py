"""Heartbeat monitors: a beat re-arms the heartbeat's deadline, a deadline that passes opens
an incident, and the next beat says so in its thread and resolves it if nobody took it.

The deadline is one keyed timer per heartbeat (`heartbeat:<name>`), re-armed in place by each
beat in the beat's own transaction (`store.timers.arm`), so restarts neither lose nor double
it. A beat updates the timer before it locks the heartbeat's row, the order in which the timer
round takes them, so a beat and a firing deadline on two replicas queue instead of deadlocking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from bot.config import Config
from bot.config_heartbeats import Heartbeat
from bot.core import heartbeats as core
from bot.core import incident as incident_core
from bot.core.durations import format_duration
from bot.core.incident import Event
from bot.services import changes, timeline
from bot.services.context import Context, UseCase
from bot.services.incidents import declare_in
from bot.services.models import IncidentRecord
from bot.store import heartbeats as store
from bot.store import incidents as incident_store
from bot.store import timers

KIND = "heartbeat"
BACK = "heartbeat_back"  # the timeline event of the beat that ends a silence


def configured(config: Config, name: str) -> Heartbeat | None:
    return next((beat for beat in config.heartbeats if beat.name == name), None)


def _seen(row) -> core.Seen:
    return core.Seen(row["first_seen_at"], row["last_beat_at"], row["incident_id"])


def _arm(conn: Connection, now: datetime, name: str, due: datetime) -> None:
    timers.arm(conn, now, KIND, due, key=f"{KIND}:{name}", payload={"name": name})


def plan(conn: Connection, ctx: Context, now: datetime) -> None:
    """At start: a row for each configured heartbeat (a new one is first due `every + grace`
    from now) and its deadline armed, unless its silence already has an incident."""
    config = ctx.config
    if not config.heartbeats:
        return
    store.known(conn, [beat.name for beat in config.heartbeats], now)
    rows = {row["name"]: row for row in store.every(conn)}
    for beat in config.heartbeats:
        seen = _seen(rows[beat.name])
        if seen.incident_id is None:
            _arm(conn, now, beat.name, core.due(seen, beat.allowed))


def fire(conn: Connection, ctx: Context, timer, now: datetime) -> bool:
    """The deadline passed: open the heartbeat's incident, unless a beat came meanwhile, one
    is open already, or the heartbeat left the config (stale)."""
    name = timer["payload"].get("name", "")
    beat = configured(ctx.config, name)
    row = store.load(conn, name, lock=True)
    if beat is None or row is None:
        return False
    seen = _seen(row)
    if seen.incident_id is not None or core.due(seen, beat.allowed) > now:
        return False
    config = ctx.config
    opened = declare_in(
        conn,
        ctx,
        now,
        core.SOURCE,
        core.missed_title(name, seen, config.zone, now),
        beat.severity or config.severities[0].name,
        service=beat.service,
        team=beat.team,
        description=core.missed_description(name, seen, beat.every, beat.grace),
        source=core.SOURCE,
    )
    store.silenced(conn, name, opened.id)
    return True


@dataclass(frozen=True)
class HeartbeatView:
    """One heartbeat as `/incident heartbeats`, App Home and `/metrics` show it."""

    name: str
    every: str
    state: core.State
    last_beat_at: datetime | None
    incident: int | None


class HeartbeatService(UseCase):
    async def beat(self, name: str) -> bool:
        """Record a beat of `name` now; False when no heartbeat has that name."""
        beat = configured(self.config, name)
        if beat is None:
            return False
        now = self.clock.now()

        def work(conn: Connection) -> bool:
            return record(conn, self.ctx, beat, now)

        await self.write(work, wakes=lambda wrote: wrote)
        return True

    async def views(self) -> list[HeartbeatView]:
        now = self.clock.now()
        rows = {row["name"]: row for row in await self.db.read(store.every)}
        found = []
        for beat in self.config.heartbeats:
            row = rows.get(beat.name)
            seen = _seen(row) if row else core.Seen(now, None)
            found.append(
                HeartbeatView(
                    beat.name,
                    format_duration(beat.every),
                    core.state(seen, beat.every, beat.allowed, now),
                    seen.last_beat_at,
                    seen.incident_id,
                )
            )
        return found


def record(conn: Connection, ctx: Context, beat: Heartbeat, now: datetime) -> bool:
    """A beat, inside the caller's transaction (an Alertmanager Watchdog's notification is
    one): the deadline moves, and a silence with an incident open ends. True: it wrote outbox
    rows (a line in the incident's thread)."""
    _arm(conn, now, beat.name, now + beat.allowed)  # the timer first: the round's lock order
    row = store.load(conn, beat.name, lock=True)
    if row is None:
        store.known(conn, [beat.name], now)
        row = store.load(conn, beat.name, lock=True)
    wrote = False
    if row["incident_id"] is not None:
        wrote = _back(conn, ctx, row["incident_id"], beat.name, now)
    store.beat(conn, beat.name, now)
    return wrote


def _back(conn: Connection, ctx: Context, number: int, name: str, now: datetime) -> bool:
    """`heartbeat back` in the thread; resolved too when nobody acknowledged it."""
    found = incident_store.load(conn, number, lock=True)
    if found is None or found["status"] == incident_core.Status.RESOLVED:
        return False
    incident = IncidentRecord.from_row(found)
    event = Event(BACK, core.SOURCE, data={"heartbeat": name})
    timeline.post(conn, number, incident.channel_id, event, now)
    if incident.status == incident_core.Status.DECLARED:
        result = incident_core.resolve(
            incident.core(), core.SOURCE, now, ctx.config.zone, f"heartbeat {name} is back"
        )
        if not isinstance(result, incident_core.Denied):
            changes.apply(conn, ctx, incident, result.fields, result.event, now)
    return True
