"""Whether this replica can serve (`/readyz`): the database answers, its schema is the code's
newest revision, and the outbox is not piling up. The web layer asks here, never the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.services.outbox import OutboxService
from bot.store.db import Database
from bot.store.migrate import current_revision


@dataclass(frozen=True)
class Readiness:
    unreachable: str | None = None  # what failed, when the database did not answer
    current: str | None = None  # the revision the database is at
    head: str | None = None  # the newest revision the code knows
    outbox: dict[str, Any] = field(default_factory=dict)  # `OutboxService.health`

    @property
    def ok(self) -> bool:
        return self.unreachable is None and self.current == self.head


class HealthService:
    def __init__(self, db: Database, outbox: OutboxService) -> None:
        self.db = db
        self.outbox = outbox

    async def readiness(self) -> Readiness:
        try:
            current, head = await current_revision(self.db)
            outbox = await self.outbox.health()
        except Exception as exc:  # any database failure means "not ready", with the reason
            return Readiness(unreachable=type(exc).__name__)
        return Readiness(None, current, head, outbox)
