"""Delivering what keeps stakeholders informed, rendered at send time from current state:

- `broadcast` (the incident's lane, so after its card): a summary in its team's broadcast
  channel, linking to the thread by its permalink (`chat.getPermalink`);
- `digest` and `report` (the broadcast channel's lane): the open incidents of the teams
  broadcasting there, the weekly report.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core.outbox import OutboxKind
from bot.services.models import OutboxRecord
from bot.slack.blocks import stakeholders as stakeholder_blocks
from bot.slack.delivery.kinds import Deliveries, Kind


async def broadcast(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    incident = await ctx.incident(row)
    event = await ctx.event(row.payload["event_id"])
    link = await ctx.permalink(incident)
    text, rendered = stakeholder_blocks.broadcast(event, incident, ctx.services.config, link)
    await ctx.post(row, text, rendered)


async def digest(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    services = ctx.services
    teams = services.config.teams_broadcasting_to(row.channel)  # the incidents it hears of
    found, total = await services.incidents.list_open(stakeholder_blocks.DIGEST_SHOWN, teams)
    at = datetime.fromisoformat(row.payload["at"])
    links = await asyncio.gather(*(ctx.permalink(i) for i in found))
    permalinks = {i.id: link for i, link in zip(found, links, strict=True) if link}
    text, rendered = stakeholder_blocks.digest(found, total, services.config, at, permalinks)
    await ctx.post(row, text, rendered)


async def report(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    services = ctx.services
    end = datetime.fromisoformat(row.payload["end"])
    teams = row.payload.get("teams")  # None: every team's (and rows from before teams)
    window = timedelta(days=row.payload["days"])
    figures = await services.reports.report(window, end=end, teams=teams)
    heading = "Weekly incident report" + (f" · {', '.join(teams)}" if teams else "")
    text, rendered = stakeholder_blocks.report(figures, services.config, heading)
    await ctx.post(row, text, rendered)


KINDS = {
    OutboxKind.BROADCAST: Kind(broadcast),
    OutboxKind.DIGEST: Kind(digest),
    OutboxKind.REPORT: Kind(report),
}
