"""Delivering an incident's own messages: its card, its thread replies and the pages by DM.

The card is rendered from the incident as it is at send time, so one render stands for every
card row behind it in the lane (`Coalesce.LATEST`): five changes within a second cost one
`chat.update`. A first card post records the thread's root ts, which every reply waits for.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from bot.core.alert_sources import SOURCES
from bot.core.outbox import Coalesce, OutboxKind
from bot.services.models import IncidentRecord, OutboxRecord
from bot.slack.blocks import card as card_blocks
from bot.slack.delivery.kinds import Deliveries, Kind, thread_of
from bot.slack.errors import CONTENT_ERRORS, classify

log = structlog.get_logger("firebell.sender")


async def card(ctx: Deliveries, row: OutboxRecord, covered: Sequence[OutboxRecord]) -> list[int]:
    services = ctx.services
    incident = await ctx.incident(row)
    alert = await services.alerts.card(incident.id) if incident.source in SOURCES else None
    rendered = card_blocks.card(incident, services.config, alert=alert)
    covering = [r.id for r in covered]
    try:
        return await _show(ctx, row, incident, rendered, covering)
    except Exception as exc:
        failure = classify(exc)
        if failure is None or failure.error not in CONTENT_ERRORS:
            raise
        # Slack refused the blocks: a plain-text card keeps the thread (and every reply and
        # page waiting for it) alive; the refusal is logged and shown on /readyz
        log.error("card_refused", row=row.id, incident=incident.id, error=failure.error)
        note = f"card shown as plain text: {failure.describe()}"
        return await _show(ctx, row, incident, None, covering, note=note)


async def _show(
    ctx: Deliveries,
    row: OutboxRecord,
    incident: IncidentRecord,
    rendered: list | None,
    covering: list[int],
    note: str | None = None,
) -> list[int]:
    """Post the card, or update it in place once its thread exists; the rows it settled."""
    config = ctx.services.config
    text = card_blocks.card_text(incident)
    if rendered is None:
        text = f"{text}\n{card_blocks.status_line(incident, config)}"
    if not incident.thread_ts:
        return await ctx.post(
            row,
            text,
            rendered,
            channel=incident.channel_id,
            covering=covering,
            card=True,
            note=note,
        )
    await ctx.slack.chat_update(
        channel=incident.channel_id, ts=incident.thread_ts, text=text, blocks=rendered or []
    )
    await ctx.services.outbox.delivered(row, covering=covering, note=note)
    return covering


async def reply(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    incident = await ctx.incident(row)
    event = await ctx.event(row.payload["event_id"])
    thread = thread_of(incident)
    text, buttons = card_blocks.thread_reply(
        event, incident, ctx.services.config, ctx.services.clock.now()
    )
    await ctx.post(row, text, buttons, channel=incident.channel_id, thread_ts=thread)


async def page(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    """A page by Slack DM, with an Acknowledge button."""
    incident = await ctx.incident(row)
    event = await ctx.event(row.payload["event_id"])
    text, rendered = card_blocks.page_dm(event, incident, ctx.services.config)
    await ctx.post(row, text, rendered, channel=row.payload["user"])


async def pages_taken(ctx: Deliveries, row: OutboxRecord, covered: Sequence[OutboxRecord]) -> None:
    """Every page DM of the incident, re-rendered as it now stands: who acknowledged or
    resolved it and when, and no button (a stale "You are being paged" misleads at 3 a.m.)."""
    services = ctx.services
    incident = await ctx.incident(row)
    for page_row in await services.outbox.sent(incident.id, OutboxKind.DM):
        started = page_row.in_flight_at
        if started is not None and started > row.created_at:
            continue  # rendered after the change: it shows it already
        event = await ctx.event(page_row.payload["event_id"])
        text, rendered = card_blocks.page_dm(event, incident, services.config)
        await ctx.slack.chat_update(
            channel=page_row.sent_channel, ts=page_row.sent_ts, text=text, blocks=rendered
        )
    await services.outbox.delivered(row, covering=[r.id for r in covered])


async def transferred(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    """A line in the new owner's channel: the thread stays where it is, linked from here."""
    incident = await ctx.incident(row)
    await ctx.post(row, card_blocks.handed_over(incident, await ctx.permalink(incident)))


KINDS = {
    OutboxKind.CARD: Kind(card, Coalesce.LATEST),
    OutboxKind.REPLY: Kind(reply),
    OutboxKind.DM: Kind(page),
    OutboxKind.PAGES_TAKEN: Kind(pages_taken, Coalesce.LATEST),
    OutboxKind.TRANSFERRED: Kind(transferred),
}
