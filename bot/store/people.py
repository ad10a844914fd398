"""Queries on `people`: e-mail addresses from the config and the Slack user ids they resolved to.

A row per address, replaced by each newer lookup; `user_id` is None when Slack knows no such
user, so a failed lookup is not repeated before it is stale. Each lookup stored bumps the
`oncall` version, so every replica reads its roster again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from bot.store import versions
from bot.store.races import may_lose
from bot.store.tables import people


def due_for_lookup(
    conn: Connection, emails: Iterable[str], now: datetime, stale_after: timedelta
) -> list[str]:
    """The addresses without a row, or whose row is older than `stale_after`."""
    wanted = list(dict.fromkeys(e.lower() for e in emails))
    if not wanted:
        return []
    fresh = set(
        conn.execute(
            sa.select(people.c.email).where(
                people.c.email.in_(wanted), people.c.looked_up_at > now - stale_after
            )
        ).scalars()
    )
    return [e for e in wanted if e not in fresh]


def store_lookup(conn: Connection, email: str, user_id: str | None, now: datetime) -> None:
    """Record what Slack answered for `email` (None: no such user), replacing any older row."""
    email = email.lower()
    values = {"user_id": user_id, "looked_up_at": now}
    versions.bump(conn, versions.ONCALL)
    updated = conn.execute(sa.update(people).where(people.c.email == email).values(**values))
    if updated.rowcount:
        return
    try:
        with may_lose(conn):
            conn.execute(sa.insert(people).values(email=email, **values))
    except IntegrityError:  # another replica stored it first: ours is as new
        conn.execute(sa.update(people).where(people.c.email == email).values(**values))


def known(conn: Connection) -> dict[str, str]:
    """The addresses Slack resolved: e-mail -> user id."""
    query = sa.select(people.c.email, people.c.user_id).where(people.c.user_id.is_not(None))
    return {r.email: r.user_id for r in conn.execute(query)}
