"""The outbox's one owner above the store: what is pending, and what became of each row."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime

from bot.clock import Clock
from bot.core.outbox import Coalesce, OutboxKind, covered
from bot.services.models import OutboxRecord
from bot.store import incidents as incident_store
from bot.store import outbox as store
from bot.store.db import Database
from bot.store.db import LaneLocks as Lanes
from bot.store.prepared import Kept


class OutboxService:
    def __init__(self, db: Database, clock: Clock, on_outbox: Callable[[], None] = lambda: None):
        self.db = db
        self.clock = clock
        self._on_outbox = on_outbox
        self._lanes: list[Lanes] = []

    def lanes(self) -> Lanes:
        """A set of lanes for one sender to hold: one replica per lane keeps each incident's
        order. Each sender has its own (releasing its idle lanes must not drop another's)."""
        held = Lanes(self.db)
        self._lanes.append(held)
        return held

    async def close(self) -> None:
        for held in self._lanes:
            await held.close()

    async def pending(
        self,
        limit: int = 500,
        kinds: Collection[str] = (),
        *,
        among: bool = True,
        skip: Collection[str] = (),
        free: Collection[str] = (),
        kept: Kept[OutboxRecord] | None = None,
    ) -> list[OutboxRecord]:
        """The oldest pending rows: of `kinds`, or (not `among`) of any kind but those; none
        in the channels of `skip` but those of `free` kinds. `kept`: the records of the
        caller's earlier reads (`memo`), reused for rows unchanged since."""
        return await self.db.read(
            lambda conn: store.pending(
                conn,
                limit,
                kinds,
                among=among,
                skip=skip,
                free=free,
                make=OutboxRecord.from_row,
                kept=kept,
            ),
            short=True,
        )

    def memo(self, reads: int) -> Kept[OutboxRecord]:
        """A reader's memo of the records its `pending` reads made: twice what one read
        holds, so a backlog left out of a few reads (its channel resting) is still there."""
        return Kept(2 * reads)

    async def ephemeral(self, channel: str, user: str, text: str) -> None:
        """A private answer to one person; durable like every other Slack post."""
        now = self.clock.now()
        await self.db.write(
            lambda conn: store.enqueue(
                conn,
                now,
                OutboxKind.EPHEMERAL,
                channel=channel,
                payload={"user": user, "text": text},
            )
        )
        self._on_outbox()

    async def rerender_pages(self, incident_id: int) -> None:
        """The incident's page DMs re-rendered (`pages_taken`): one was recorded as sent
        only after the incident changed, too late for the change's own re-rendering."""
        now = self.clock.now()
        await self.db.write(
            lambda conn: store.enqueue(conn, now, OutboxKind.PAGES_TAKEN, incident_id=incident_id)
        )
        self._on_outbox()

    async def run_behind(
        self, row: OutboxRecord, modes: Mapping[str, Coalesce]
    ) -> list[OutboxRecord]:
        """The rows waiting behind `row` in its lane that its delivery covers, however many
        (a storm leaves more rows than one sender batch holds)."""

        def work(conn) -> list[OutboxRecord]:
            behind = [
                OutboxRecord.from_row(r)
                for r in store.lane_after(conn, row.id, row.incident_id, row.channel)
            ]
            return covered(behind, row, modes)

        return await self.db.read(work)

    async def posts_since(self, channel: str | None, since: datetime) -> int:
        """Rows delivered into `channel` since `since`, by any replica (for pacing)."""
        return await self.db.read(lambda conn: store.sent_since(conn, channel, since), short=True)

    async def sent(self, incident_ids: Collection[int], kind: str) -> list[OutboxRecord]:
        """The rows of `kind` delivered for these incidents, with where each message landed:
        in one read, each incident's along its index (a storm's acknowledgements ask for
        hundreds at once)."""

        def work(conn) -> list:
            return [row for n in incident_ids for row in store.sent_of(conn, n, kind)]

        rows = await self.db.read(work, short=True)
        return [OutboxRecord.from_row(r) for r in rows]

    async def sent_in(self, row: OutboxRecord) -> list[OutboxRecord]:
        """The rows delivered in the message `row` made (more than it alone: a bundle)."""
        if not (row.sent_channel and row.sent_ts):
            return [row]
        channel, ts = row.sent_channel, row.sent_ts
        rows = await self.db.read(
            lambda conn: store.sent_in(conn, row.kind, channel, ts), short=True
        )
        return [OutboxRecord.from_row(r) for r in rows]

    async def delivered(
        self,
        row: OutboxRecord,
        *,
        posted: tuple[str, str] | None = None,
        card: bool = False,
        covering: Sequence[int] = (),
        together: bool = False,
        note: str | None = None,
    ) -> None:
        """Mark a row sent with the message it made (`posted`: channel, ts) and the rows its
        delivery covered superseded, or (`together`: a bundle carried them) sent in that
        message; `card`: that message is the incident's card, the root of its thread;
        `note`: how it fell short (shown on /readyz)."""
        now = self.clock.now()
        channel, ts = posted or (None, None)

        def work(conn) -> None:
            store.finish(conn, row.id, "sent", now, note, sent_channel=channel, sent_ts=ts)
            if together and channel and ts:
                store.carried(conn, covering, now, channel, ts)
            else:
                store.supersede(conn, covering, now)
            if card and ts and row.incident_id is not None:
                incident_store.update_card(conn, row.incident_id, ts)

        await self.db.write(work)

    async def in_flight(self, row: OutboxRecord) -> None:
        """Recorded before Slack is called (see `store.outbox.mark_in_flight`)."""
        now = self.clock.now()
        await self.db.write(lambda conn: store.mark_in_flight(conn, row.id, now))

    async def retry_at(
        self, row: OutboxRecord, when: datetime, error: str, *, answered: bool
    ) -> None:
        await self.db.write(
            lambda conn: store.postpone(conn, row.id, when, error, answered=answered)
        )

    async def failed(self, row: OutboxRecord, error: str) -> None:
        now = self.clock.now()
        await self.db.write(lambda conn: store.finish(conn, row.id, "failed", now, error))

    async def health(self) -> dict:
        def work(conn):
            return store.backlog(conn), store.recent_failures(conn)

        backlog, failures = await self.db.read(work)
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
