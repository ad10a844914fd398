"""The one write path of an incident change, shared by commands, buttons and timers.

Writes the fields, re-arms the escalation timers when the schedule moved (bumping the fence
so a timer already claimed elsewhere sees it is stale), records the timeline event, resolves
who a notification reaches at this instant, and queues what Slack must show: the card, the
thread reply and a DM per person paged. Then `informed.follow` keeps the update reminders,
stakeholder broadcasts and metrics in step with the change, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from bot.config import Config
from bot.core.incident import Event
from bot.services import informed, oncall
from bot.services.oncall import Rotations
from bot.services.records import IncidentRecord
from bot.store import incidents as store
from bot.store import outbox, timers

ESCALATION_TIMERS = ("escalate", "page")


@dataclass(frozen=True)
class Context:
    config: Config
    rotations: Rotations
    telemetry: Any = None  # a Telemetry: counts declarations, acknowledgements, resolutions


def apply(
    conn: Connection,
    ctx: Context,
    before: IncidentRecord,
    fields: Mapping[str, Any],
    event: Event,
    now: datetime,
) -> None:
    """Write a change to an incident as it was read (locked) in this transaction."""
    fields = dict(fields)
    number, fence = before.id, before.escalation_fence
    if "ack_due_at" in fields or "waiting_until" in fields:
        fields["escalation_fence"] = fence + 1
        timers.cancel(conn, number, ESCALATION_TIMERS)
        arm(conn, number, fence + 1, fields, now)
    store.update(conn, number, fields)
    record(conn, ctx, number, before.channel_id, event, now)


def arm(
    conn: Connection, number: int, fence: int, fields: Mapping[str, Any], now: datetime
) -> None:
    """Timers for a schedule: page when coverage resumes, escalate when the ack is due."""
    if fields.get("waiting_until"):
        timers.schedule(conn, now, "page", fields["waiting_until"], incident_id=number, fence=fence)
    if fields.get("ack_due_at"):
        timers.schedule(
            conn, now, "escalate", fields["ack_due_at"], incident_id=number, fence=fence
        )


def record(
    conn: Connection, ctx: Context, number: int, channel: str, event: Event, now: datetime
) -> int:
    """Timeline event plus the card re-render, the thread reply and the DMs it causes."""
    data = dict(event.data)
    if "level" in data and not data.get("waiting_until"):
        found = oncall.resolve(
            conn, ctx.rotations, [*data.get("targets", []), *data.get("page", [])], now
        )
        data["notified"], data["on_call"] = list(found.users), found.on_call
    event_id = store.add_event(conn, number, now, event.actor, event.kind, event.text, data)
    outbox.enqueue(conn, now, "card", incident_id=number, channel=channel)
    outbox.enqueue(
        conn, now, "reply", incident_id=number, channel=channel, payload={"event_id": event_id}
    )
    for user in data.get("notified", []):
        outbox.enqueue(
            conn,
            now,
            "dm",
            incident_id=number,
            channel=user,
            payload={"user": user, "event_id": event_id},
        )
    informed.follow(conn, ctx, number, event_id, event, now)  # reminders, broadcasts
    return event_id
