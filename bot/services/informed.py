"""What every recorded change sets going to keep everyone informed: the reminder timers
(`reminders`), the stakeholder broadcasts and digests (`broadcasts`), and the metrics.

Called by `changes.record` inside the change's transaction, after the incident row and its
timeline event are written, so both read the incident as it now is.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from bot.core.incident import Event
from bot.services import broadcasts, reminders
from bot.store import incidents as store

if TYPE_CHECKING:
    from bot.services.changes import Context

FOLLOWED = frozenset({"declared", "acknowledged", "update", "severity", "resolved", "reopened"})


def follow(
    conn: Connection, ctx: Context, number: int, event_id: int, event: Event, now: datetime
) -> None:
    if event.kind not in FOLLOWED:
        return
    row = store.load(conn, number)
    if row is None:
        return
    if ctx.telemetry is not None:
        ctx.telemetry.recorded(event.kind, row, now)
    if event.kind == "acknowledged":
        return
    reminders.follow(conn, ctx, row, event, now)
    broadcasts.follow(conn, ctx, row, event_id, event, now)
