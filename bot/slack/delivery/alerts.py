"""Delivering what alerts and maintenance windows put in the outbox.

- `alert_reply` (an incident's lane): the thread reply about alert notifications;
- `alert_post` (the channel's lane): a quiet post about alerts that open no incident (under
  maintenance, or of a severity that only posts);
- `maintenance`: the start or the end of a maintenance window.

Both alert kinds coalesce as a run (`Coalesce.RUN`): the rows of the kind waiting behind the
first, in the database and not only in the sender's batch, are rendered into one message, so
a storm of notifications costs a few messages, not one each. Nothing here mentions anyone
except where a person did something (who set a window).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.outbox import Coalesce, OutboxKind
from bot.services.models import OutboxRecord
from bot.slack.blocks import alerts as alert_blocks
from bot.slack.delivery.kinds import Deliveries, Kind, Undeliverable, thread_of


async def _run(ctx: Deliveries, row: OutboxRecord, covered: Sequence[OutboxRecord]):
    """The row and everything behind it that one message stands for, oldest first."""
    behind = {r.id: r for r in await ctx.services.outbox.run_behind(row, ctx.coalesce)}
    behind.update((r.id, r) for r in covered)
    return [row, *(behind[i] for i in sorted(behind))]


async def alert_post(
    ctx: Deliveries, row: OutboxRecord, covered: Sequence[OutboxRecord]
) -> list[int]:
    services = ctx.services
    run = await _run(ctx, row, covered)
    found = await services.alerts.notifications([r.payload["notification_id"] for r in run])
    if not found:
        raise Undeliverable(f"no notification {row.payload['notification_id']}")
    text, rendered = alert_blocks.alert_post(found, services.config)
    return await ctx.post(row, text, rendered, covering=[r.id for r in run[1:]])


async def alert_reply(
    ctx: Deliveries, row: OutboxRecord, covered: Sequence[OutboxRecord]
) -> list[int]:
    services = ctx.services
    incident = await ctx.incident(row)
    thread = thread_of(incident)
    run = await _run(ctx, row, covered)
    events = await services.alerts.events([r.payload["event_id"] for r in run])
    if not events:
        raise Undeliverable(f"no event {row.payload['event_id']}")
    text = alert_blocks.alert_reply(events, incident, services.config)
    covering = [r.id for r in run[1:]]
    return await ctx.post(
        row, text, channel=incident.channel_id, thread_ts=thread, covering=covering
    )


async def maintenance(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    text = alert_blocks.maintenance_post(row.payload, ctx.services.config)
    await ctx.post(row, text)


KINDS = {
    OutboxKind.ALERT_REPLY: Kind(alert_reply, Coalesce.RUN),
    OutboxKind.ALERT_POST: Kind(alert_post, Coalesce.RUN),
    OutboxKind.MAINTENANCE: Kind(maintenance),
}
