"""Pages by phone after they leave: what each provider took, its receipts, and the replies.

A page handed to Twilio or Vonage is a `page_sends` row with the provider's id. Its receipt
(`receipt`) is a line in the incident's thread; a failed SMS moves on to the next provider of
`paging.sms` (failover), once. A reply to the number (`reply`: `1`/`ack`, `2`/`esc`) acts on
the newest page sent to it whose incident nobody has taken yet, as the person paged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from bot.core.incident import Event, ref
from bot.core.outbox import OutboxKind
from bot.services import audit, timeline
from bot.services.context import UseCase
from bot.services.incidents import IncidentService
from bot.store import incidents as incident_store
from bot.store import outbox
from bot.store import page_sends as store

SENT, RECEIPT = "page_sent", "page_receipt"  # timeline events
FINAL = frozenset(  # receipts worth a line: the rest (queued, sent, ringing...) are progress
    {"delivered", "undelivered", "failed", "completed", "busy", "no-answer", "canceled"}
    | {"expired", "rejected"}
)


@dataclass(eq=False)
class PhonePageService(UseCase):
    incidents: IncidentService | None = None  # acts on replies

    async def sent(
        self,
        number: int,
        payload: Mapping[str, Any],
        medium: str,
        provider: str,
        provider_id: str,
    ) -> None:
        """A provider took the page: remembered by its id and number, and a thread line."""
        now = self.clock.now()

        def work(conn: Connection) -> None:
            store.record(
                conn,
                {
                    "incident_id": number,
                    "user": payload["user"],
                    "medium": medium,
                    "phone": payload["phone"],
                    "provider": provider,
                    "attempt": int(payload.get("attempt", 0)),
                    "provider_id": provider_id,
                    "status": "sent",
                    "sent_at": now,
                    "updated_at": now,
                    "payload": dict(payload),
                },
            )
            data = {"user": payload["user"], "via": medium, "provider": provider}
            _line(conn, number, Event(SENT, "firebell", data=data), now)

        await self.write(work)

    async def receipt(self, provider: str, provider_id: str, status: str, failed: bool) -> bool:
        """A delivery receipt; False when no page of ours has that id."""
        now = self.clock.now()

        def work(conn: Connection) -> bool:
            row = store.by_provider_id(conn, provider, provider_id)
            if row is None:
                return False
            if row["status"] == status:  # a receipt sent twice
                return True
            store.set_status(conn, row["id"], status, now)
            if status not in FINAL:
                return True
            data = {"user": row["user"], "via": row["medium"], "provider": provider}
            data["status"] = status
            providers = self.config.paging.sms
            attempt = row["attempt"] + 1
            if failed and row["medium"] == "sms" and attempt < len(providers):
                data["next"] = providers[attempt]
                again = {**row["payload"], "attempt": attempt}
                outbox.enqueue(
                    conn,
                    now,
                    OutboxKind.PAGE_SMS,
                    incident_id=row["incident_id"],
                    channel=f"sms:{row['user']}",
                    payload=again,
                )
            _line(conn, row["incident_id"], Event(RECEIPT, "firebell", data=data), now)
            return True

        return await self.write(work)

    async def reply(self, phone: str, action: str, source: str) -> str:
        """`ack` or `escalate` the newest untaken page to `phone`; what to answer."""
        row = await self.db.read(lambda conn: store.latest_to(conn, phone))
        if row is None or self.incidents is None:
            return "Firebell: no page waiting for an answer at this number."
        number, user = row["incident_id"], row["user"]
        with audit.origin(source):
            if action == "ack":
                outcome = await self.incidents.acknowledge(user, number)
                done = f"Firebell: {ref(number)} acknowledged."
            else:
                outcome = await self.incidents.escalate(user, number)
                done = f"Firebell: {ref(number)} escalated."
        return done if outcome.ok else f"Firebell: {outcome.message}"


def _line(conn: Connection, number: int, event: Event, now) -> None:
    row = incident_store.load(conn, number)
    if row is not None:
        timeline.post(conn, number, row["channel_id"], event, now)
