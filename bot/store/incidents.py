"""Queries on incidents and their timeline."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.tables import events, incidents

OPEN = ("declared", "acknowledged")


async def insert(conn: AsyncConnection, fields: Mapping[str, Any]) -> int:
    result = await conn.execute(sa.insert(incidents).values(**fields, version=1))
    return int(result.inserted_primary_key[0])


async def load(conn: AsyncConnection, number: int, *, lock: bool = False):
    """One incident row; with `lock`, held until the transaction ends (PostgreSQL)."""
    query = sa.select(incidents).where(incidents.c.id == number)
    if lock:
        query = query.with_for_update()
    return (await conn.execute(query)).mappings().first()


async def update(conn: AsyncConnection, number: int, fields: Mapping[str, Any]) -> None:
    await conn.execute(
        sa.update(incidents)
        .where(incidents.c.id == number)
        .values(**fields, version=incidents.c.version + 1)
    )


async def list_open(conn: AsyncConnection, limit: int):
    query = (
        sa.select(incidents)
        .where(incidents.c.status.in_(OPEN))
        .order_by(incidents.c.id.desc())
        .limit(limit)
    )
    return (await conn.execute(query)).mappings().all()


async def count_open(conn: AsyncConnection) -> int:
    query = sa.select(sa.func.count()).select_from(incidents).where(incidents.c.status.in_(OPEN))
    return int((await conn.execute(query)).scalar_one())


async def add_event(
    conn: AsyncConnection,
    number: int,
    at: datetime,
    actor: str,
    kind: str,
    text: str,
    data: Mapping[str, Any],
) -> int:
    result = await conn.execute(
        sa.insert(events).values(
            incident_id=number, at=at, actor=actor, kind=kind, text=text, data=dict(data)
        )
    )
    return int(result.inserted_primary_key[0])


async def get_event(conn: AsyncConnection, event_id: int):
    query = sa.select(events).where(events.c.id == event_id)
    return (await conn.execute(query)).mappings().first()


async def recent_events(conn: AsyncConnection, number: int, limit: int):
    query = (
        sa.select(events)
        .where(events.c.incident_id == number)
        .order_by(events.c.id.desc())
        .limit(limit)
    )
    rows = (await conn.execute(query)).mappings().all()
    return list(reversed(rows))


async def update_card(conn: AsyncConnection, number: int, ts: str) -> None:
    """Record where the card lives; not a state change, so the version stays."""
    await conn.execute(sa.update(incidents).where(incidents.c.id == number).values(thread_ts=ts))
