"""Queries on the transactional outbox: rows written with the change that causes them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from bot.store.tables import outbox

_INSERT = sa.insert(outbox)


def enqueue(
    conn: Connection,
    now: datetime,
    kind: str,
    *,
    incident_id: int | None = None,
    channel: str | None = None,
    payload: Mapping[str, Any] | None = None,
) -> int:
    result = conn.execute(
        _INSERT,
        {
            "incident_id": incident_id,
            "kind": kind,
            "channel": channel,
            "payload": dict(payload or {}),
            "status": "pending",
            "attempts": 0,
            "not_before": now,
            "created_at": now,
        },
    )
    return int(result.inserted_primary_key[0])


def enqueue_about(
    conn: Connection, now: datetime, kind: str, incident_id: int, channel: str, event_id: int
) -> int:
    """A row about one timeline event of an incident (a thread reply, a page)."""
    payload = {"event_id": event_id}
    return enqueue(conn, now, kind, incident_id=incident_id, channel=channel, payload=payload)


def pending(conn: Connection, limit: int):
    """The oldest pending rows, due or not: a lane is blocked by its first row's wait."""
    query = sa.select(outbox).where(outbox.c.status == "pending").order_by(outbox.c.id).limit(limit)
    return (conn.execute(query)).mappings().all()


def finish(
    conn: Connection, row_id: int, status: str, now: datetime, error: str | None = None
) -> bool:
    """Close a pending row; False when someone else already closed it."""
    result = conn.execute(
        sa.update(outbox)
        .where(outbox.c.id == row_id, outbox.c.status == "pending")
        .values(
            status=status,
            finished_at=now,
            last_error=error,
            attempts=outbox.c.attempts + (0 if status == "superseded" else 1),
        )
    )
    return result.rowcount == 1


def supersede(conn: Connection, row_ids: Sequence[int], now: datetime) -> int:
    """Rows covered by a delivery just made (a newer card render, a coalesced post)."""
    if not row_ids:
        return 0
    result = conn.execute(
        sa.update(outbox)
        .where(outbox.c.id.in_(list(row_ids)), outbox.c.status == "pending")
        .values(status="superseded", finished_at=now)
    )
    return result.rowcount


def lane_after(
    conn: Connection, row_id: int, incident_id: int | None, channel: str | None, limit: int = 1000
):
    """The pending rows behind row `row_id` in its lane, oldest first."""
    lane = (
        outbox.c.incident_id == incident_id
        if incident_id is not None
        else sa.and_(outbox.c.incident_id.is_(None), outbox.c.channel == channel)
    )
    query = (
        sa.select(outbox)
        .where(lane, outbox.c.status == "pending", outbox.c.id > row_id)
        .order_by(outbox.c.id)
        .limit(limit)
    )
    return conn.execute(query).mappings().all()


def postpone(conn: Connection, row_id: int, not_before: datetime, error: str) -> None:
    conn.execute(
        sa.update(outbox)
        .where(outbox.c.id == row_id)
        .values(not_before=not_before, last_error=error, attempts=outbox.c.attempts + 1)
    )


def backlog(conn: Connection) -> int:
    query = sa.select(sa.func.count()).select_from(outbox).where(outbox.c.status == "pending")
    return int((conn.execute(query)).scalar_one())


def failed_count(conn: Connection) -> int:
    """Rows given up on (the metrics gauge)."""
    query = sa.select(sa.func.count()).select_from(outbox).where(outbox.c.status == "failed")
    return int(conn.execute(query).scalar_one())


def recent_failures(conn: Connection, limit: int = 10):
    query = (
        sa.select(outbox)
        .where(outbox.c.status == "failed")
        .order_by(outbox.c.id.desc())
        .limit(limit)
    )
    return (conn.execute(query)).mappings().all()
