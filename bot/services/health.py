"""Whether this replica can serve (`/readyz`): the database answers, its schema is the code's
newest revision, and the outbox is not piling up; with how late delivery and timers run (the
oldest undelivered row's age, Slack's recent outcomes, the most overdue timer), which
`firebell watchdog` reads. The web layer asks here, never the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.services.outbox import OutboxService
from bot.services.slack_health import SlackHealth
from bot.store import outbox as outbox_store
from bot.store import timers as timer_store
from bot.store.db import Database
from bot.store.migrate import current_revision


@dataclass(frozen=True)
class Readiness:
    unreachable: str | None = None  # what failed, when the database did not answer
    current: str | None = None  # the revision the database is at
    head: str | None = None  # the newest revision the code knows
    # `OutboxService.health`, with `oldest_age_s`: seconds the oldest undelivered row has
    # waited (0: none waits)
    outbox: dict[str, Any] = field(default_factory=dict)
    slack: dict[str, Any] = field(default_factory=dict)  # `SlackHealth.view`
    timers: dict[str, Any] = field(default_factory=dict)  # `lag_s`: the most overdue timer's

    @property
    def ok(self) -> bool:
        return self.unreachable is None and self.current == self.head


def seconds_late(now: datetime, since: datetime | None) -> float:
    """How long ago `since` was, in seconds to the millisecond; 0 for none or the future."""
    if since is None:
        return 0.0
    return round(max((now - since).total_seconds(), 0.0), 3)


class HealthService:
    def __init__(self, db: Database, outbox: OutboxService) -> None:
        self.db = db
        self.outbox = outbox
        self.clock = outbox.clock
        self.slack = SlackHealth()  # the sender reports each Slack delivery's outcome here

    async def readiness(self) -> Readiness:
        def late(conn) -> tuple[datetime | None, datetime | None]:
            return outbox_store.oldest_pending_at(conn), timer_store.next_due(conn)

        try:
            current, head = await current_revision(self.db)
            outbox = await self.outbox.health()
            oldest, next_due = await self.db.read(late)
        except Exception as exc:  # any database failure means "not ready", with the reason
            return Readiness(unreachable=type(exc).__name__, slack=self.slack.view())
        now = self.clock.now()
        outbox["oldest_age_s"] = seconds_late(now, oldest)
        timers = {"lag_s": seconds_late(now, next_due)}
        return Readiness(None, current, head, outbox, self.slack.view(), timers)
