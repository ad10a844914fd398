"""Delivering on-call messages: the shift handover summary and the incoming person's DM,
and private answers to one person (`ephemeral`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.outbox import OutboxKind
from bot.services.models import OutboxRecord
from bot.slack.blocks import oncall as oncall_blocks
from bot.slack.delivery.kinds import Deliveries, Kind, Undeliverable


async def handover(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    payload = row.payload
    summary = await ctx.services.handover.at(
        payload["rotation"], datetime.fromisoformat(payload["at"])
    )
    if summary is None:
        raise Undeliverable(f"no rotation {payload['rotation']!r} any more")
    text, rendered = oncall_blocks.handover(
        summary, ctx.services.config, personal=row.kind == OutboxKind.HANDOVER_DM
    )
    await ctx.post(row, text, rendered)


async def ephemeral(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    await ctx.slack.chat_postEphemeral(
        channel=row.channel, user=row.payload["user"], text=row.payload["text"]
    )
    await ctx.services.outbox.delivered(row)


KINDS = {
    OutboxKind.HANDOVER: Kind(handover),
    OutboxKind.HANDOVER_DM: Kind(handover),
    OutboxKind.EPHEMERAL: Kind(ephemeral, paced=False),
}
