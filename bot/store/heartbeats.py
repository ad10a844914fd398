"""Queries on heartbeats: when each pipeline last checked in, and its open silence."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from bot.store.races import may_lose
from bot.store.tables import heartbeats


def known(conn: Connection, names: Iterable[str], now: datetime) -> list[str]:
    """Make a row for each of `names` that has none (first seen `now`); the names made."""
    have = set(conn.execute(sa.select(heartbeats.c.name)).scalars())
    made = []
    for name in names:
        if name in have:
            continue
        try:
            with may_lose(conn):
                conn.execute(sa.insert(heartbeats).values(name=name, first_seen_at=now, beats=0))
        except IntegrityError:  # another replica made it first
            continue
        made.append(name)
    return made


def load(conn: Connection, name: str, *, lock: bool = False):
    query = sa.select(heartbeats).where(heartbeats.c.name == name)
    if lock:
        query = query.with_for_update()
    return conn.execute(query).mappings().first()


def every(conn: Connection):
    return conn.execute(sa.select(heartbeats).order_by(heartbeats.c.name)).mappings().all()


def beat(conn: Connection, name: str, now: datetime) -> None:
    conn.execute(
        sa.update(heartbeats)
        .where(heartbeats.c.name == name)
        .values(last_beat_at=now, beats=heartbeats.c.beats + 1, incident_id=None)
    )


def silenced(conn: Connection, name: str, incident_id: int) -> None:
    """The incident opened for this heartbeat's silence."""
    conn.execute(
        sa.update(heartbeats).where(heartbeats.c.name == name).values(incident_id=incident_id)
    )
