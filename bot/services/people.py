"""E-mail addresses in the config, turned into Slack user ids once and kept in `people`.

Which addresses need a lookup (never looked up, or looked up more than `STALE_AFTER` ago),
and storing the answers: a user id, or None when Slack knows no such user. Slack itself is
asked by `bot.slack.directory`; this side only reads and writes the table.
"""

from __future__ import annotations

from datetime import timedelta

from bot.clock import Clock
from bot.config import Config
from bot.core.targets import Target
from bot.services import paging
from bot.store import people as store
from bot.store.db import Database

STALE_AFTER = timedelta(days=7)


def config_emails(config: Config) -> list[str]:
    """Every e-mail address the config names (members, page lists, escalation), lower-case,
    each once, in the order written."""
    targets: list[Target] = config.targets()
    return list(dict.fromkeys(t.value.lower() for t in targets if t.kind == "email"))


class PeopleService:
    """The use cases the Slack directory needs: what to look up, and remembering answers."""

    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    async def due(self) -> list[str]:
        now = self.clock.now()
        emails = config_emails(self.config)
        return await self.db.read(lambda conn: store.due_for_lookup(conn, emails, now, STALE_AFTER))

    async def paged_by(self, email: str) -> list[str]:
        """The media that page `email` while Slack knows no such user (`paging`), for the
        warning that says so at start-up."""
        config = self.config
        return await self.db.read(
            lambda conn: paging.media_outside_slack(conn, config, email, paging.known(conn, config))
        )

    async def record(self, email: str, user_id: str | None) -> None:
        now = self.clock.now()
        await self.db.write(lambda conn: store.store_lookup(conn, email, user_id, now))
