"""Delivering what alerts and maintenance windows put in the outbox.

- `alert_reply` (an incident's lane): the thread reply about alert notifications. Consecutive
  ones still pending when the first goes out are rendered together into one reply, so a storm
  of notifications costs a few messages, not one each.
- `alert_post` (the channel's lane): a quiet post about alerts that open no incident (under
  maintenance, or of a severity that only posts); consecutive ones are coalesced the same way.
- `maintenance`: the start or the end of a maintenance window.

Everything is rendered at send time by `bot.slack.blocks`; nothing here mentions anyone
except where a person did something (who set a window).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from bot.services.records import OutboxRecord
from bot.slack import blocks

if TYPE_CHECKING:
    from bot.slack.sender import OutboxSender

KINDS = ("alert_reply", "alert_post", "maintenance")
COALESCED = ("alert_reply", "alert_post")
ALERT_SOURCES = ("alertmanager", "grafana", "generic")


def covered(rows: Sequence[OutboxRecord], row: OutboxRecord) -> list[OutboxRecord]:
    """The later rows of a lane that the render of `row` stands for: every later card for a
    card; for a coalesced kind the run of the same kind that follows it (cards in between
    are covered by their own render)."""
    if row.kind == "card":
        return [r for r in rows if r.kind == "card" and r.id > row.id]
    if row.kind not in COALESCED:
        return []
    run = []
    for other in rows:
        if other.id <= row.id:
            continue
        if other.kind == row.kind:
            run.append(other)
        elif other.kind != "card":
            break
    return run


async def card_context(sender: OutboxSender, incident):
    """The alert section of an alert-opened incident's card (None for other incidents)."""
    if sender.alerts is None or incident.source not in ALERT_SOURCES:
        return None
    return await sender.alerts.card(incident.id)


async def prepare(
    sender: OutboxSender, row: OutboxRecord, later: Sequence[OutboxRecord]
) -> Callable[[], Awaitable[None]]:
    from bot.slack.sender import PermanentError

    alerts, client, config = sender.alerts, sender.client, sender.config
    if alerts is None:
        raise PermanentError(f"no alert service to deliver {row.kind!r}")
    if row.kind == "maintenance":
        text = blocks.maintenance_post(row.payload, config)

        async def send_maintenance():
            await client.chat_postMessage(channel=row.channel, text=text, unfurl_links=False)
            await sender.outbox.delivered(row)

        return send_maintenance
    # the run behind this row in the database, not only in the sender's batch: a storm leaves
    # more rows waiting than one batch holds
    behind = dict(await alerts.waiting_with(row.id, row.kind, row.incident_id, row.channel))
    behind.update((r.id, r.payload) for r in later)
    payloads = [row.payload, *(behind[i] for i in sorted(behind))]
    others = sorted(behind)
    if row.kind == "alert_post":
        found = await alerts.notifications([p["notification_id"] for p in payloads])
        if not found:
            raise PermanentError(f"no notification {row.payload['notification_id']}")
        text, post_blocks = blocks.alert_post(found, config)

        async def send_post():
            await client.chat_postMessage(
                channel=row.channel,
                text=text,
                blocks=post_blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
            await alerts.delivered(row.id, others)

        return send_post
    incident = await sender.incidents.get(row.incident_id) if row.incident_id else None
    if incident is None:
        raise PermanentError(f"no incident {row.incident_id}")
    if not incident.thread_ts:
        raise PermanentError("the incident's card was never posted")
    events = await alerts.events([p["event_id"] for p in payloads])
    if not events:
        raise PermanentError(f"no event {row.payload['event_id']}")
    text = blocks.alert_reply(events, incident, config)

    async def send_reply():
        await client.chat_postMessage(
            channel=incident.channel_id,
            thread_ts=incident.thread_ts,
            text=text,
            unfurl_links=False,
            unfurl_media=False,
        )
        await alerts.delivered(row.id, others)

    return send_reply
