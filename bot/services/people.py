"""E-mail addresses in the config, turned into Slack user ids once and kept in `people`.

Which addresses need a lookup (never looked up, or looked up more than `STALE_AFTER` ago),
and storing the answers: a user id, or None when Slack knows no such user. Slack itself is
asked by `bot.slack.directory`; this side only reads and writes the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.config import Config
from bot.core.targets import Target
from bot.store.db import Database
from bot.store.tables import people

STALE_AFTER = timedelta(days=7)


def config_emails(config: Config) -> list[str]:
    """Every e-mail address the config names (members, page lists, escalation), lower-case,
    each once, in the order written."""
    targets: list[Target] = [m for r in config.rotations for m in r.members]
    targets += [t for s in config.severities for t in s.page]
    targets += [t for level in config.escalation for t in level.notify]
    return list(dict.fromkeys(t.value.lower() for t in targets if t.kind == "email"))


def due_for_lookup(
    conn: Connection, emails: Iterable[str], now: datetime, stale_after: timedelta = STALE_AFTER
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
    updated = conn.execute(sa.update(people).where(people.c.email == email).values(**values))
    if updated.rowcount:
        return
    try:
        with conn.begin_nested():
            conn.execute(sa.insert(people).values(email=email, **values))
    except IntegrityError:  # another replica stored it first: ours is as new
        conn.execute(sa.update(people).where(people.c.email == email).values(**values))


def directory(conn: Connection) -> dict[str, str | None]:
    """Every stored lookup: e-mail -> user id, or None where Slack knows no such user."""
    return {r.email: r.user_id for r in conn.execute(sa.select(people.c.email, people.c.user_id))}


class PeopleService:
    """The use cases the Slack directory needs: what to look up, and remembering answers."""

    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    async def due(self) -> list[str]:
        now = self.clock.now()
        emails = config_emails(self.config)
        return await self.db.read(lambda conn: due_for_lookup(conn, emails, now))

    async def record(self, email: str, user_id: str | None) -> None:
        now = self.clock.now()
        await self.db.write(lambda conn: store_lookup(conn, email, user_id, now))

    async def known(self) -> dict[str, str | None]:
        return await self.db.read(directory)
