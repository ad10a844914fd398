"""Reading an incident's timeline and finding the incident a Slack thread belongs to.

Both are served by an index: events by `(incident_id, id)`, incidents by
`(channel_id, thread_ts)`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Connection

from bot.store.tables import events, incidents

_BY_THREAD = sa.select(incidents.c.id).where(
    incidents.c.channel_id == sa.bindparam("channel"),
    incidents.c.thread_ts == sa.bindparam("ts"),
)
_TIMELINE = (
    sa.select(events).where(events.c.incident_id == sa.bindparam("number")).order_by(events.c.id)
)


def by_thread(conn: Connection, channel: str, ts: str) -> int | None:
    """The incident whose card is message `ts` in `channel`."""
    return conn.execute(_BY_THREAD, {"channel": channel, "ts": ts}).scalar()


def timeline(conn: Connection, number: int):
    """Every event of an incident, oldest first."""
    return conn.execute(_TIMELINE, {"number": number}).mappings().all()
