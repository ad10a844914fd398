"""Delivering what keeps stakeholders informed, rendered at send time from current state:

- `broadcast` (the incident's lane, so after its card): a summary in its team's broadcast
  channel, linking to the thread by its permalink (`chat.getPermalink`);
- `digest` and `report` (the broadcast channel's lane): the open incidents of the teams
  broadcasting there, the weekly report;
- `report_chart` (after its report, in the same lane; for `/incident report`, the asker's
  DM): the report's chart, drawn now from current data in a worker thread and uploaded as a
  PNG with alt text. A row of its own, so a refused or failing upload never holds back the
  report's text, and is retried by the sender's rules like any row; a period without
  incidents has no chart (logged, nothing uploaded).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

import structlog

from bot.core.outbox import OutboxKind
from bot.services.models import OutboxRecord
from bot.slack import charts
from bot.slack.blocks import stakeholders as stakeholder_blocks
from bot.slack.delivery import files
from bot.slack.delivery.kinds import Deliveries, Kind

log = structlog.get_logger("firebell.sender")


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
    heading = stakeholder_blocks.report_heading(teams, weekly=True)
    text, rendered = stakeholder_blocks.report(figures, services.config, heading)
    await ctx.post(row, text, rendered)


async def report_chart(
    ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]
) -> None:
    services, payload = ctx.services, row.payload
    start, end = datetime.fromisoformat(payload["start"]), datetime.fromisoformat(payload["end"])
    teams = payload.get("teams")
    daily = await services.reports.series(start, end, teams)
    if daily.empty:
        log.info("report_chart_skipped", row=row.id, reason="no incidents in the period")
        await services.outbox.delivered(row)
        return
    heading = stakeholder_blocks.report_heading(teams, weekly=payload.get("weekly", False))
    title = stakeholder_blocks.chart_title(heading, start, end, services.config)
    picture = await asyncio.to_thread(charts.png, daily, title)
    await files.share(
        ctx.slack,
        row.channel,
        content=picture,
        filename=f"incident-report-{end.astimezone(services.config.zone):%Y-%m-%d}.png",
        title=title,
        alt_txt=charts.alt_text(daily, title),
        initial_comment=stakeholder_blocks.chart_comment(heading, start, end),
    )
    await services.outbox.delivered(row)


KINDS = {
    OutboxKind.BROADCAST: Kind(broadcast),
    OutboxKind.DIGEST: Kind(digest),
    OutboxKind.REPORT: Kind(report),
    OutboxKind.REPORT_CHART: Kind(report_chart),
}
