"""Queries on on-call overrides. Rows are never deleted: removal sets removed_at/removed_by.
Each change bumps the `oncall` version, so every replica reads its roster again."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Connection

from bot.store import versions
from bot.store.tables import overrides


def insert(
    conn: Connection,
    rotation: str,
    user_id: str,
    starts_at: datetime,
    ends_at: datetime,
    created_by: str,
    now: datetime,
) -> int:
    result = conn.execute(
        sa.insert(overrides).values(
            rotation=rotation,
            user_id=user_id,
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=created_by,
            created_at=now,
        )
    )
    versions.bump(conn, versions.ONCALL)
    return int(result.inserted_primary_key[0])


def load(conn: Connection, override_id: int, *, lock: bool = False):
    """One override row, removed or not; with `lock`, held until the transaction ends."""
    query = sa.select(overrides).where(overrides.c.id == override_id)
    if lock:
        query = query.with_for_update()
    return conn.execute(query).mappings().first()


def live(
    conn: Connection,
    after: datetime,
    rotation: str | None = None,
    *,
    before: datetime | None = None,
    limit: int | None = None,
):
    """Overrides not removed that end after `after` (and start before `before`), soonest first."""
    query = sa.select(overrides).where(
        overrides.c.removed_at.is_(None), overrides.c.ends_at > after
    )
    if before is not None:
        query = query.where(overrides.c.starts_at < before)
    if rotation is not None:
        query = query.where(overrides.c.rotation == rotation)
    query = query.order_by(overrides.c.starts_at, overrides.c.id)
    if limit is not None:
        query = query.limit(limit)
    return conn.execute(query).mappings().all()


def overlapping(conn: Connection, start: datetime, end: datetime, rotation: str | None = None):
    """Overrides not removed that overlap [start, end), oldest first (the newest wins)."""
    query = sa.select(overrides).where(
        overrides.c.removed_at.is_(None),
        overrides.c.ends_at > start,
        overrides.c.starts_at < end,
    )
    if rotation is not None:
        query = query.where(overrides.c.rotation == rotation)
    return conn.execute(query.order_by(overrides.c.id)).mappings().all()


def count_live(conn: Connection, after: datetime, rotation: str | None = None) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(overrides)
        .where(overrides.c.removed_at.is_(None), overrides.c.ends_at > after)
    )
    if rotation is not None:
        query = query.where(overrides.c.rotation == rotation)
    return int(conn.execute(query).scalar_one())


def remove(conn: Connection, override_id: int, by: str, now: datetime) -> bool:
    """Soft-delete; False when it was already removed (by someone else, concurrently)."""
    result = conn.execute(
        sa.update(overrides)
        .where(overrides.c.id == override_id, overrides.c.removed_at.is_(None))
        .values(removed_by=by, removed_at=now)
    )
    if result.rowcount != 1:
        return False
    versions.bump(conn, versions.ONCALL)
    return True
