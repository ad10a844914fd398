"""Delivering an incident's own messages: its card, its thread replies and the pages by DM.

The card is rendered from the incident as it is at send time, so one render stands for every
card row behind it in the lane (`Coalesce.LATEST`): five changes within a second cost one
`chat.update`. A first card post records the thread's root ts, which every reply waits for.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.alert_sources import SOURCES
from bot.core.outbox import Coalesce, OutboxKind
from bot.services.models import OutboxRecord
from bot.slack.blocks import card as card_blocks
from bot.slack.delivery.kinds import Deliveries, Kind, thread_of


async def card(ctx: Deliveries, row: OutboxRecord, covered: Sequence[OutboxRecord]) -> None:
    services = ctx.services
    incident = await ctx.incident(row)
    alert = await services.alerts.card(incident.id) if incident.source in SOURCES else None
    rendered = card_blocks.card(incident, services.config, alert=alert)
    text = card_blocks.card_text(incident)
    covering = [r.id for r in covered]
    if incident.thread_ts:
        await ctx.slack.chat_update(
            channel=incident.channel_id, ts=incident.thread_ts, text=text, blocks=rendered
        )
        await services.outbox.delivered(row, covering=covering)
        return
    response = await ctx.slack.chat_postMessage(
        channel=incident.channel_id, text=text, blocks=rendered, unfurl_links=False
    )
    await services.outbox.delivered(row, card_ts=response["ts"], covering=covering)


async def reply(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    incident = await ctx.incident(row)
    event = await ctx.event(row.payload["event_id"])
    thread = thread_of(incident)
    text, buttons = card_blocks.thread_reply(
        event, incident, ctx.services.config, ctx.services.clock.now()
    )
    await ctx.slack.chat_postMessage(
        channel=incident.channel_id,
        thread_ts=thread,
        text=text,
        unfurl_links=False,
        **({"blocks": buttons} if buttons else {}),
    )
    await ctx.services.outbox.delivered(row)


async def page(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    """A page by Slack DM, with an Acknowledge button."""
    incident = await ctx.incident(row)
    event = await ctx.event(row.payload["event_id"])
    text, rendered = card_blocks.page_dm(event, incident, ctx.services.config)
    await ctx.slack.chat_postMessage(
        channel=row.payload["user"], text=text, blocks=rendered, unfurl_links=False
    )
    await ctx.services.outbox.delivered(row)


KINDS = {
    OutboxKind.CARD: Kind(card, Coalesce.LATEST),
    OutboxKind.REPLY: Kind(reply),
    OutboxKind.DM: Kind(page),
}
