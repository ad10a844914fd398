"""Shift handover: at every handoff the incoming person and the incident channel get a
summary of open incidents and coming overrides; `/incident handover` gives it on demand.

Each rotation's next handoff is a timer row keyed by rotation and instant, so planning it
again (every round, on every replica) changes nothing. A handoff timer found overdue after
a newer handoff has already passed (the bot was down for a whole shift) is stale: only the
latest handover is worth posting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from bot.core.handover import next_handoff, superseded
from bot.core.outbox import OutboxKind
from bot.core.rotation import Override, Shift
from bot.core.targets import in_slack
from bot.services import oncall, paging
from bot.services.context import Context, UseCase
from bot.services.models import IncidentRecord
from bot.store import incidents as incident_store
from bot.store import outbox, timers

UPCOMING = timedelta(days=7)


@dataclass(frozen=True)
class OpenIncident:
    incident: IncidentRecord
    last_update: tuple[datetime, str] | None


@dataclass(frozen=True)
class Summary:
    rotation: str
    at: datetime
    incoming: Shift
    previous: str | None
    incidents: list[OpenIncident]
    overrides: list[Override]


def _key(rotation: str, at: datetime) -> str:
    return f"handover:{rotation}:{at.isoformat()}"


def plan(conn: Connection, ctx: Context, now: datetime) -> None:
    """Make sure each rotation's next handoff has its timer."""
    for name, spec in ctx.rotations.specs.items():
        due = next_handoff(spec, now)
        timers.schedule(conn, now, "handover", due, payload={"rotation": name}, key=_key(name, due))


def fire(conn: Connection, ctx: Context, timer, now: datetime) -> bool:
    name = timer["payload"].get("rotation")
    spec = ctx.rotations.specs.get(name)
    if spec is None:  # the rotation left the config
        return False
    due = timer["due_at"]
    if superseded(spec, due, now):  # a newer handoff has passed since
        return False
    user = oncall.who(conn, ctx.rotations, name, due).user
    payload = {"rotation": name, "at": due.isoformat()}
    for channel in ctx.config.channels_using(name):  # each team whose chain uses it
        outbox.enqueue(conn, now, OutboxKind.HANDOVER, channel=channel, payload=payload)
    if in_slack(user):
        outbox.enqueue(
            conn, now, OutboxKind.HANDOVER_DM, channel=user, payload={**payload, "user": user}
        )
    elif (found := paging.person(conn, ctx.config, user, {})) and found.email:
        # an address Slack does not know: by e-mail, where their `people:` entry gives one
        outbox.enqueue(
            conn,
            now,
            OutboxKind.HANDOVER_EMAIL,
            channel=paging.lane("email", user),
            payload={**payload, "user": user, "to": found.email},
        )
    return True


def summarize(conn: Connection, ctx: Context, name: str, at: datetime) -> Summary:
    """The handover of rotation `name` at instant `at`, from current state."""
    incoming = oncall.who(conn, ctx.rotations, name, at)
    previous = oncall.who(conn, ctx.rotations, name, at - timedelta(microseconds=1))
    rows = incident_store.list_open(conn, 50)
    updates = incident_store.last_updates(conn, [r["id"] for r in rows])
    return Summary(
        rotation=name,
        at=at,
        incoming=incoming,
        previous=previous.user,
        incidents=[OpenIncident(_shown(r), updates.get(r["id"])) for r in rows],
        overrides=oncall.load_overrides(conn, at, at + UPCOMING, name),
    )


def _shown(row) -> IncidentRecord:
    """A handover may be posted where anyone reads it: private incidents only as such."""
    incident = IncidentRecord.from_row(row)
    return incident.masked() if incident.private else incident


class HandoverService(UseCase):
    @property
    def rotations(self) -> list[str]:
        return list(self.ctx.rotations.specs)

    async def now(self, rotation: str | None = None) -> list[Summary]:
        """On demand: the handover as it stands now, for one rotation or all."""
        at = self.clock.now()
        names = [rotation] if rotation else self.rotations
        return await self.db.read(lambda conn: [summarize(conn, self.ctx, n, at) for n in names])

    async def at(self, rotation: str, at: datetime) -> Summary | None:
        """The handover posted for a handoff (rendered when it is sent)."""
        if rotation not in self.ctx.rotations.specs:
            return None
        return await self.db.read(lambda conn: summarize(conn, self.ctx, rotation, at))
