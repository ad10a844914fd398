"""Adding to an incident's timeline from Slack: messages of its thread, by shortcut or emoji.

"Add to timeline" (a message shortcut) carries the message in its payload. A reaction with the
configured emoji (`timeline_emoji`) carries only where the message is, so it becomes an outbox
row (`timeline_fetch`): the sender reads the message with `conversations.replies` and then
calls `add_message`, like any other Slack call, durable and retried. Only messages in
the thread of an incident's card count; adding the same message twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from bot.core.incident import TEXT_MAX, Event, ref
from bot.core.outbox import OutboxKind
from bot.services import audit
from bot.services.context import UseCase
from bot.services.models import Outcome
from bot.store import incidents as store
from bot.store import outbox
from bot.store import timeline as queries

NOT_IN_THREAD = (
    "That message is not in an incident thread. Add messages from the thread under an "
    "incident's card."
)


def post(conn: Connection, number: int, channel: str, event: Event, now: datetime) -> int:
    """A timeline event with its thread reply, without re-rendering the card (nothing on the
    card changes: reminders, snoozes, notes)."""
    event_id = store.add_event(conn, number, now, event.actor, event.kind, event.text, event.data)
    audit.incident_change(conn, now, number, event, event.data)
    outbox.enqueue_about(conn, now, OutboxKind.REPLY, number, channel, event_id)
    return event_id


def slack_time(ts: str | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(ts), UTC) if ts else None
    except ValueError:
        return None


class TimelineService(UseCase):
    async def add_message(
        self, actor: str, channel: str, message: Mapping[str, Any], via: str
    ) -> Outcome:
        """Add a Slack message (as Slack sends it) to the timeline of its thread's incident."""
        ts = str(message.get("ts") or "")
        thread = str(message.get("thread_ts") or ts)
        text = str(message.get("text") or "").strip()
        if not ts:
            return Outcome(False, NOT_IN_THREAD)
        if not text:
            return Outcome(False, "That message has no text to add to the timeline.")
        if len(text) > TEXT_MAX:
            text = text[: TEXT_MAX - 1] + "…"  # the whole message stays in the thread
        now = self.clock.now()
        posted = slack_time(ts)
        data = {"author": message.get("user") or message.get("bot_id"), "ts": ts, "via": via}
        if posted:
            data["posted_at"] = posted.isoformat()

        def work(conn) -> Outcome:
            number = queries.by_thread(conn, channel, thread)
            if number is None:
                return Outcome(False, NOT_IN_THREAD)
            row = store.load(conn, number, lock=True)
            for event in queries.timeline(conn, number):
                if event["kind"] == "note" and event["data"].get("ts") == ts:
                    return Outcome(
                        False, f"That message is already on the timeline of {ref(number)}."
                    )
            post(conn, number, row["channel_id"], Event("note", actor, text, data), now)
            return Outcome(True, f"Added to the timeline of {ref(number)}.")

        with audit.origin(via):  # a reaction's message is added later, by the sender
            return await self.write(work, wakes=lambda outcome: outcome.ok)

    def wants(self, event: Mapping[str, Any]) -> bool:
        """Whether a `reaction_added` event asks to add a message of the incident channel."""
        item = event.get("item") or {}
        return (
            event.get("reaction") == self.config.reaction
            and item.get("type") == "message"
            and item.get("channel") == self.config.incident_channel
            and bool(item.get("ts"))
        )

    async def react(self, user: str, channel: str, ts: str) -> None:
        """Queue reading the message reacted to (the sender adds it when it is in a thread)."""
        now = self.clock.now()
        await self.write(
            lambda conn: outbox.enqueue(
                conn,
                now,
                OutboxKind.TIMELINE_FETCH,
                channel=channel,
                payload={"user": user, "ts": ts},
            )
        )
