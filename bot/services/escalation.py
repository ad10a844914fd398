"""What escalation timers do when they fire.

`escalate`: nobody acknowledged in time, so the next level is called (or, past the last,
the thread is told nobody answered). `page`: coverage has resumed for an incident that was
declared outside it, so level 1 is paged now. Both check the fence first: a timer set for an
older schedule (acknowledged since, escalated by hand, severity changed) does nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from bot.core import incident as core
from bot.core.incident import SYSTEM_ACTOR, Denied, Event, Status
from bot.services import changes
from bot.services.context import Context
from bot.services.models import IncidentRecord
from bot.store import incidents as store


def _current(conn: Connection, timer) -> IncidentRecord | None:
    """The incident a timer is for, if the timer is still the live one."""
    row = store.load(conn, timer["incident_id"], lock=True)
    if row is None or row["status"] != Status.DECLARED:
        return None
    if row["escalation_fence"] != timer["fence"]:
        return None
    return IncidentRecord.from_row(row)


def fire_escalation(conn: Connection, ctx: Context, timer, now: datetime) -> bool:
    incident = _current(conn, timer)
    if incident is None:
        return False
    ack_within = ctx.level(incident.severity).ack_within
    waited = core.format_wait(now - (incident.escalated_at or incident.declared_at))
    result = core.escalate(
        incident.core(), SYSTEM_ACTOR, now, ack_within, f"not acknowledged within {waited}"
    )
    if isinstance(result, Denied):  # past the last level: say so once, stop the clock
        event = Event("exhausted", SYSTEM_ACTOR, data={"steps": incident.policy.steps})
        changes.apply(conn, ctx, incident, {"ack_due_at": None}, event, now)
        return True
    changes.apply(conn, ctx, incident, result.fields, result.event, now)
    return True


def fire_page(conn: Connection, ctx: Context, timer, now: datetime) -> bool:
    incident = _current(conn, timer)
    if incident is None or incident.waiting_until is None:
        return False
    level = incident.policy.level(incident.escalation_level)
    event = Event(
        "paged",
        SYSTEM_ACTOR,
        data={"level": incident.escalation_level, "targets": [str(t) for t in level.targets]},
    )
    store.update(conn, incident.id, {"waiting_until": None})
    changes.record(conn, ctx, incident.id, incident.channel_id, event, now)
    return True
