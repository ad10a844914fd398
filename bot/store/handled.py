"""Requests already handled: one row per key until it expires, so a second claim of a key fails.

The key is the table's primary key, and a claim is `INSERT ... ON CONFLICT DO NOTHING` (the
same SQL on SQLite and PostgreSQL, written as text: SQLAlchemy 2.0 compiles its ON CONFLICT
constructs anew on every execution, text is compiled once): of two replicas claiming one key
at once, PostgreSQL makes the second wait for the first's commit and then insert nothing; SQLite's single writer runs
them one after the other. A claim may also delete a bounded batch of expired rows in the same
transaction (no extra round trip), skipping rows another transaction holds, so two replicas
pruning at once never wait on each other.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Connection

from bot.store.prepared import Prepared
from bot.store.tables import handled_requests as handled

PRUNE_BATCH = 500  # expired rows deleted by one claim at most: the ack path stays short

_CLAIM = Prepared(
    sa.text(
        'INSERT INTO handled_requests ("key", expires_at) VALUES (:key, :expires_at) '
        'ON CONFLICT ("key") DO NOTHING'
    ).bindparams(sa.bindparam("expires_at", type_=handled.c.expires_at.type))
)
_EXPIRED = (
    sa.select(handled.c.key)
    .where(handled.c.expires_at < sa.bindparam("now"))
    .limit(PRUNE_BATCH)
    .with_for_update(skip_locked=True)
)
_PRUNE = sa.delete(handled).where(handled.c.key.in_(_EXPIRED.scalar_subquery()))
_RELEASE = sa.delete(handled).where(handled.c.key == sa.bindparam("key"))


def claim(
    conn: Connection, key: str, expires_at: datetime, now: datetime, *, prune: bool = True
) -> bool:
    """Record `key` until `expires_at`; False when it is recorded already. With `prune`,
    also delete up to `PRUNE_BATCH` rows expired by `now`."""
    values = {"key": key, "expires_at": expires_at}
    stored = _CLAIM.execute(conn, values).rowcount == 1
    if prune:
        conn.execute(_PRUNE, {"now": now})
    return stored


def release(conn: Connection, key: str) -> None:
    """Forget `key`: its request failed, so Slack's retry of it must act."""
    conn.execute(_RELEASE, {"key": key})
