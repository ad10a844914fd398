"""Queries on the transactional outbox: rows written with the change that causes them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.tables import outbox


async def enqueue(
    conn: AsyncConnection,
    now: datetime,
    kind: str,
    *,
    incident_id: int | None = None,
    channel: str | None = None,
    payload: Mapping[str, Any] | None = None,
) -> int:
    result = await conn.execute(
        sa.insert(outbox).values(
            incident_id=incident_id,
            kind=kind,
            channel=channel,
            payload=dict(payload or {}),
            status="pending",
            attempts=0,
            not_before=now,
            created_at=now,
        )
    )
    return int(result.inserted_primary_key[0])


async def pending(conn: AsyncConnection, limit: int):
    """The oldest pending rows, due or not: a lane is blocked by its first row's wait."""
    query = sa.select(outbox).where(outbox.c.status == "pending").order_by(outbox.c.id).limit(limit)
    return (await conn.execute(query)).mappings().all()


async def finish(
    conn: AsyncConnection, row_id: int, status: str, now: datetime, error: str | None = None
) -> bool:
    """Close a pending row; False when someone else already closed it."""
    result = await conn.execute(
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


async def supersede_cards(
    conn: AsyncConnection, incident_id: int, up_to_id: int, now: datetime
) -> int:
    """Earlier card renders are covered by the one about to be made from current state."""
    result = await conn.execute(
        sa.update(outbox)
        .where(
            outbox.c.incident_id == incident_id,
            outbox.c.kind == "card",
            outbox.c.status == "pending",
            outbox.c.id <= up_to_id,
        )
        .values(status="superseded", finished_at=now)
    )
    return result.rowcount


async def postpone(conn: AsyncConnection, row_id: int, not_before: datetime, error: str) -> None:
    await conn.execute(
        sa.update(outbox)
        .where(outbox.c.id == row_id)
        .values(not_before=not_before, last_error=error, attempts=outbox.c.attempts + 1)
    )


async def backlog(conn: AsyncConnection) -> int:
    query = sa.select(sa.func.count()).select_from(outbox).where(outbox.c.status == "pending")
    return int((await conn.execute(query)).scalar_one())


async def recent_failures(conn: AsyncConnection, limit: int = 10):
    query = (
        sa.select(outbox)
        .where(outbox.c.status == "failed")
        .order_by(outbox.c.id.desc())
        .limit(limit)
    )
    return (await conn.execute(query)).mappings().all()
