"""The shape of the delivery table: what an outbox kind needs to be delivered.

Each family module (`incident`, `alerts`, `stakeholders`, `timeline`, ...) exports `KINDS`, a
mapping of outbox kind -> `Kind`; `table.py` merges them and the sender runs whatever it is
given. A new destination (e-mail, SMS, push) is more entries here, with its own client in
`Deliveries` and its own `classify`, never a branch in the sender.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.outbox import Coalesce
from bot.services.container import Services
from bot.services.models import EventRecord, IncidentRecord, OutboxRecord
from bot.slack import errors
from bot.slack.delivery import once


class Undeliverable(Exception):
    """A row that can never be delivered (its incident is gone, its card was never posted)."""


@dataclass(frozen=True)
class Deliveries:
    """What delivering needs: the destinations' clients and the services to render from."""

    slack: AsyncWebClient
    services: Services
    coalesce: Mapping[str, Coalesce]  # every kind's rule, for rows still in the database
    media: Any = None  # `delivery.pages.Media`: e-mail and push, when configured

    def severity_rank(self, severity: str | None) -> int:
        """0 for the most severe; an unknown severity (or none) after every known one."""
        names = self.services.config.severity_names
        return names.index(severity) if severity in names else len(names)

    def rank(self, row: OutboxRecord) -> tuple[int, int]:
        """How urgent a row is among others: its incident's severity, then its age."""
        return self.severity_rank(row.severity), row.id

    async def incident(self, row: OutboxRecord) -> IncidentRecord:
        found = await self.services.incidents.get(row.incident_id) if row.incident_id else None
        if found is None:
            raise Undeliverable(f"no incident {row.incident_id}")
        return found

    async def permalink(self, incident: IncidentRecord) -> str | None:
        """The thread's permalink; None when the card is not posted or Slack cannot say (a
        line without its link beats no line)."""
        if not incident.thread_ts:
            return None
        try:
            found = await self.slack.chat_getPermalink(
                channel=incident.channel_id, message_ts=incident.thread_ts
            )
        except SlackApiError:
            return None
        return found.get("permalink")

    async def event(self, event_id: int) -> EventRecord:
        found = await self.services.incidents.event(event_id)
        if found is None:
            raise Undeliverable(f"no event {event_id}")
        return found

    async def post(
        self,
        row: OutboxRecord,
        text: str,
        blocks: list | None = None,
        *,
        channel: str | None = None,
        thread_ts: str | None = None,
        covering: Sequence[int] = (),
        together: bool = False,
        card: bool = False,
        note: str | None = None,
    ) -> list[int]:
        """Post the row's message once, then mark it sent (and what it covered superseded,
        or `together`: sent in it); returns the covered rows it settled. The row is marked
        in flight just before the post, so that a retry looks for it first.

        A row still in flight from an earlier attempt (a crash or a timeout between Slack's
        answer and recording it) may already be in Slack: it is looked for by the row id in
        its message metadata and adopted instead of posted again; it then covers only the
        rows that post covered (the rest, newer than its render, are delivered after it)."""
        channel = channel or row.channel
        found = await once.find(self.slack, row, channel, thread_ts)
        if row.in_flight_at is None:  # from here until Slack's answer is recorded
            await self.services.outbox.in_flight(row)
        if found is None:
            answer = await self.slack.chat_postMessage(
                channel=channel,
                text=text,
                unfurl_links=False,
                unfurl_media=False,
                metadata=once.metadata(row, covering),
                **({"thread_ts": thread_ts} if thread_ts else {}),
                **({"blocks": blocks} if blocks else {}),
            )
            posted = (answer["channel"], answer["ts"])
        else:
            posted = (found.channel, found.ts)
            kept = set(found.covering)
            covering = [n for n in covering if n in kept]
        await self.services.outbox.delivered(
            row, posted=posted, covering=covering, together=together, card=card, note=note
        )
        return list(covering)


def thread_of(incident: IncidentRecord) -> str:
    """The ts of the incident's card: replies and uploads go into its thread."""
    if not incident.thread_ts:
        raise Undeliverable("the incident's card was never posted")
    return incident.thread_ts


Deliver = Callable[
    [Deliveries, OutboxRecord, Sequence[OutboxRecord]], Awaitable[Sequence[int] | None]
]
"""Delivers one row (and the later rows of its lane it covers, given as `covered`), marks
them in the outbox, and raises on failure. Returns the ids of the covered rows it settled,
or None for all of them (an adopted post settles only what it covered when it was made)."""


@dataclass(frozen=True)
class Kind:
    deliver: Deliver
    coalesce: Coalesce | None = None
    classify: Callable[[BaseException], errors.Failure | None] = errors.classify
    paced: bool = True  # a channel post; False: a private answer, sent at once in its own lane
    urgent: bool = False  # goes before other posts waiting for their channel's pace (a card)
