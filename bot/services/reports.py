"""Incident reports: `/incident report [7d|30d|90d] [team:x]` and the weekly report in the
broadcast channels. Figures come from `bot.core.metrics`, the chart's series per day from
`bot.core.report_series`; this module reads the period's incidents (one indexed range query,
times as epoch seconds, plus the service and tenant counts) and schedules the weekly post.

Each report is followed by its chart, an outbox row of its own (`report_chart`: the period and
teams, never the picture), drawn when it is sent: after the weekly report in its channel, and
for `/incident report` in the asker's DM (the answer itself is ephemeral, and a file cannot be).

The weekly report is a timer keyed by its instant (`weekly_report:<when>`), planned every timer
round like handovers, so replicas and restarts arm each week once. It covers the seven days
before its instant and is rendered when it is sent. After downtime across one or more report
times, the report of the latest one is posted, once, as soon as the bot is back.

With teams, the top-level broadcast channel's weekly report covers every team with a line per
team, and a team's own broadcast channel gets the report of the teams broadcasting there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection

from bot.config import Config
from bot.core import metrics, report_series
from bot.core.metrics import Report
from bot.core.outbox import OutboxKind
from bot.core.report_series import Daily
from bot.core.stakeholders import latest_weekly
from bot.services.context import Context, UseCase
from bot.store import outbox, timers
from bot.store import reports as queries

WEEK = timedelta(days=7)


def build(
    conn: Connection,
    config: Config,
    start: datetime,
    end: datetime,
    teams: Sequence[str] | None = None,
) -> Report:
    """The figures of `teams`' incidents (None: everyone's), with a line per team when the
    config has teams and more than one is covered."""
    timings, resumed, services, tenants = queries.period(conn, start, end, teams)
    by_team = bool(config.teams) and (teams is None or len(teams) > 1)
    return metrics.report(
        timings,
        start,
        end,
        _targets(config),
        config.severity_names,
        resumed=resumed,
        services=services,
        tenants=tenants,
        teams=(teams or config.team_names) if by_team else None,
    )


def series(
    conn: Connection,
    config: Config,
    start: datetime,
    end: datetime,
    teams: Sequence[str] | None = None,
) -> Daily:
    """The chart's series of the same incidents `build` counts, per day in the config's zone."""
    timings, resumed = queries.timings(conn, start, end, teams)
    return report_series.daily(
        timings, start, end, config.zone, _targets(config), config.severity_names, resumed=resumed
    )


def _targets(config: Config) -> dict[str, timedelta]:
    return {s.name: s.ack_within for s in config.severities}


def chart(start: datetime, end: datetime, teams: Sequence[str] | None, weekly: bool) -> dict:
    """A `report_chart` row's payload: which report it draws."""
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "teams": None if teams is None else list(teams),
        "weekly": weekly,
    }


def _weekly_at(config: Config) -> tuple[int, int, int] | None:
    """(weekday, hour, minute) of the weekly report; None when it is off."""
    return config.broadcast.weekly_at() if config.broadcast_channels else None


def plan(conn: Connection, ctx: Context, now: datetime) -> None:
    """Make sure the next weekly report has its timer."""
    at = _weekly_at(ctx.config)
    if at is not None:
        due = metrics.next_weekly(now, *at, ctx.config.zone)
        timers.schedule(conn, now, "weekly_report", due, key=f"weekly_report:{due.isoformat()}")


def fire(conn: Connection, ctx: Context, timer, now: datetime) -> bool:
    """Post the report of the week ending at the latest weekly instant that has passed (after
    downtime across several weeks: only that one)."""
    at = _weekly_at(ctx.config)
    if at is None:  # turned off since
        return False
    config = ctx.config
    latest = latest_weekly(timer["due_at"], now, *at, config.zone)
    for channel in config.broadcast_channels:
        teams = (
            None if channel == config.broadcast_channel else config.teams_broadcasting_to(channel)
        )
        payload = {"end": latest.isoformat(), "days": WEEK.days, "teams": teams}
        outbox.enqueue(conn, now, OutboxKind.REPORT, channel=channel, payload=payload)
        drawn = chart(latest - WEEK, latest, teams, weekly=True)  # after the text, in its lane
        outbox.enqueue(conn, now, OutboxKind.REPORT_CHART, channel=channel, payload=drawn)
    return True


class ReportService(UseCase):
    async def report(
        self, window: timedelta, end: datetime | None = None, teams: Sequence[str] | None = None
    ) -> Report:
        """Figures over the incidents (of `teams`, None: of all) declared in the `window`
        before `end` (default now)."""
        end = end or self.clock.now()
        return await self.db.read(lambda conn: build(conn, self.config, end - window, end, teams))

    async def asked(
        self, user: str, window: timedelta, teams: Sequence[str] | None = None
    ) -> Report:
        """`/incident report`: the figures over the `window` before now, and the report's chart
        queued for `user`'s DM (drawn when it is sent; none for a period without incidents)."""
        end = self.clock.now()
        start = end - window
        # read apart from the write: a long period's figures (tens of ms over a busy quarter)
        # would hold SQLite's one writer, and every acknowledgement behind it, meanwhile
        figures = await self.db.read(lambda conn: build(conn, self.config, start, end, teams))
        payload = chart(start, end, teams, weekly=False)
        await self.write(
            lambda conn: outbox.enqueue(
                conn, end, OutboxKind.REPORT_CHART, channel=user, payload=payload
            )
        )
        return figures

    async def series(
        self, start: datetime, end: datetime, teams: Sequence[str] | None = None
    ) -> Daily:
        """The chart's series of `teams`' incidents (None: everyone's) declared in [start, end)."""
        return await self.db.read(lambda conn: series(conn, self.config, start, end, teams))
