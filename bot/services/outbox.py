"""The outbox as the sender sees it: what is pending, and recording what became of it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.clock import Clock
from bot.services.records import OutboxRecord
from bot.store import incidents as incident_store
from bot.store import outbox as store
from bot.store.db import Database


class OutboxService:
    def __init__(self, db: Database, clock: Clock, on_outbox: Callable[[], None] = lambda: None):
        self.db = db
        self.clock = clock
        self._on_outbox = on_outbox

    async def pending(self, limit: int = 500) -> list[OutboxRecord]:
        async with self.db.read() as conn:
            rows = await store.pending(conn, limit)
        return [OutboxRecord.from_row(r) for r in rows]

    async def ephemeral(self, channel: str, user: str, text: str) -> None:
        """A private answer to one person; durable like every other Slack post."""
        async with self.db.write() as conn:
            await store.enqueue(
                conn,
                self.clock.now(),
                "ephemeral",
                channel=channel,
                payload={"user": user, "text": text},
            )
        self._on_outbox()

    async def delivered(
        self,
        row: OutboxRecord,
        *,
        card_ts: str | None = None,
        supersede_up_to: int | None = None,
    ) -> None:
        """Mark a row sent; a first card post also records the thread's root ts."""
        now = self.clock.now()
        async with self.db.write() as conn:
            await store.finish(conn, row.id, "sent", now)
            if card_ts and row.incident_id is not None:
                await incident_store.update_card(conn, row.incident_id, card_ts)
            if supersede_up_to is not None and row.incident_id is not None:
                await store.supersede_cards(conn, row.incident_id, supersede_up_to, now)

    async def retry_at(self, row: OutboxRecord, when: datetime, error: str) -> None:
        async with self.db.write() as conn:
            await store.postpone(conn, row.id, when, error)

    async def failed(self, row: OutboxRecord, error: str) -> None:
        async with self.db.write() as conn:
            await store.finish(conn, row.id, "failed", self.clock.now(), error)

    async def health(self) -> dict:
        async with self.db.read() as conn:
            backlog = await store.backlog(conn)
            failures = await store.recent_failures(conn)
        return {
            "backlog": backlog,
            "recent_failures": [
                {
                    "id": r["id"],
                    "kind": r["kind"],
                    "incident": r["incident_id"],
                    "error": r["last_error"],
                    "at": r["finished_at"].isoformat(),
                }
                for r in failures
            ],
        }
