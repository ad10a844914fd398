"""Prometheus metrics of one running Firebell, served at `GET /metrics`.

Each app has its own `CollectorRegistry` (never the process-wide default), so several apps in
one process (tests, benchmarks) keep separate figures. Counters and histograms move as things
happen in this process; the gauges (open incidents, outbox backlog, failed deliveries) are
read from the database at each scrape, so every replica reports the same current state.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.config import DEFAULT_TEAM
from bot.store import heartbeats, incidents, outbox
from bot.store.db import Database

MINUTE, HOUR = 60.0, 3600.0
ACK_BUCKETS = tuple(m * MINUTE for m in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 1440))
RESOLVE_BUCKETS = tuple(h * HOUR for h in (1 / 12, 0.25, 0.5, 1, 2, 4, 8, 24, 72, 168))
LATENESS_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, MINUTE, 5 * MINUTE, HOUR)


def team_of(team: str | None) -> str:
    """An incident's `team` label: none stored (declared before teams existed) reads as the
    default team."""
    return team or DEFAULT_TEAM


class Telemetry:
    def __init__(
        self,
        severities: list[str] | tuple[str, ...] = (),
        teams: list[str] | tuple[str, ...] = (DEFAULT_TEAM,),
        heartbeats: list[str] | tuple[str, ...] = (),
    ) -> None:
        self.severities = tuple(severities)
        self.teams = tuple(teams)
        self.heartbeats = tuple(heartbeats)
        self.registry = CollectorRegistry()
        r = self.registry
        self.open_incidents = Gauge(
            "firebell_open_incidents",
            "Incidents not resolved, by severity and team",
            ["severity", "team"],
            registry=r,
        )
        self.declared = Counter(
            "firebell_incidents_declared",
            "Incidents declared, by severity and team at declaration and source",
            ["severity", "team", "source"],
            registry=r,
        )
        self.acknowledge = Histogram(
            "firebell_acknowledge_seconds",
            "Time from declaration to acknowledgement, by severity and team",
            ["severity", "team"],
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.resolve = Histogram(
            "firebell_resolve_seconds",
            "Time from declaration to resolution, by severity and team",
            ["severity", "team"],
            buckets=RESOLVE_BUCKETS,
            registry=r,
        )
        self.outbox_backlog = Gauge(
            "firebell_outbox_backlog", "Outbox rows waiting to be delivered to Slack", registry=r
        )
        self.outbox_failed = Gauge(
            "firebell_outbox_failed", "Outbox rows given up on (permanent errors)", registry=r
        )
        self.delivery_errors = Counter(
            "firebell_outbox_delivery_errors",
            "Failed delivery attempts; outcome is retry, rate_limited or failed",
            ["kind", "outcome"],
            registry=r,
        )
        self.timer_lateness = Histogram(
            "firebell_timer_lateness_seconds",
            "How late a timer was acted on after its due time",
            ["kind"],
            buckets=LATENESS_BUCKETS,
            registry=r,
        )
        self.slack_errors = Counter(
            "firebell_slack_api_errors",
            "Slack Web API calls that failed, by method and error",
            ["method", "error"],
            registry=r,
        )
        self.heartbeat_age = Gauge(
            "firebell_heartbeat_last_beat_age_seconds",
            "Seconds since each heartbeat's last beat (never beat: since Firebell first "
            "watched it)",
            ["heartbeat"],
            registry=r,
        )
        for severity in self.severities:  # present from the first scrape, at zero
            for team in self.teams:
                self.open_incidents.labels(severity, team)
                self.acknowledge.labels(severity, team)
                self.resolve.labels(severity, team)

    # -- events, as they happen in this process ----------------------------------------------

    def recorded(self, kind: str, row, now: datetime) -> None:
        """A change recorded on incident `row` (as now written): count declarations, observe
        acknowledgements and resolutions. Called inside the change's transaction."""
        severity, team = row["severity"], team_of(row["team"])
        if kind == "declared":
            self.declared.labels(severity, team, row["source"]).inc()
        elif kind == "acknowledged" and row["acknowledged_at"] is not None:
            seconds = (row["acknowledged_at"] - row["declared_at"]).total_seconds()
            self.acknowledge.labels(severity, team).observe(max(seconds, 0.0))
        elif kind == "resolved" and row["resolved_at"] is not None:
            seconds = (row["resolved_at"] - row["declared_at"]).total_seconds()
            self.resolve.labels(severity, team).observe(max(seconds, 0.0))

    def timer_fired(self, kind: str, lateness_seconds: float) -> None:
        self.timer_lateness.labels(kind).observe(max(lateness_seconds, 0.0))

    def delivery_error(self, kind: str, outcome: str) -> None:
        self.delivery_errors.labels(kind, outcome).inc()

    def slack_error(self, method: str, error: str) -> None:
        self.slack_errors.labels(method, error).inc()

    # -- the scrape ---------------------------------------------------------------------------

    async def exposition(self, db: Database, now: datetime) -> bytes:
        """The Prometheus text format, gauges read from the database `now`."""

        def read(conn):
            return (
                incidents.open_by_severity_and_team(conn),
                outbox.backlog(conn),
                outbox.failed_count(conn),
                heartbeats.every(conn) if self.heartbeats else [],
            )

        by_stored_team, pending, failed, beats = await db.read(read)
        for row in beats:
            if row["name"] in self.heartbeats:
                since = row["last_beat_at"] or row["first_seen_at"]
                self.heartbeat_age.labels(row["name"]).set((now - since).total_seconds())
        open_now: dict[tuple[str, str], int] = {}
        for (severity, team), count in by_stored_team.items():  # none stored + "default"
            key = (severity, team_of(team))
            open_now[key] = open_now.get(key, 0) + count
        configured = {(s, t) for s in self.severities for t in self.teams}
        for key in configured | self._labelled(self.open_incidents):  # dropped to zero too
            self.open_incidents.labels(*key).set(open_now.get(key, 0))
        for key, count in open_now.items():
            self.open_incidents.labels(*key).set(count)
        self.outbox_backlog.set(pending)
        self.outbox_failed.set(failed)
        return generate_latest(self.registry)

    @staticmethod
    def _labelled(gauge: Gauge) -> set[tuple[str, str]]:
        """The (severity, team) pairs the gauge has a series for."""
        return {
            (sample.labels["severity"], sample.labels["team"])
            for metric in gauge.collect()
            for sample in metric.samples
            if "severity" in sample.labels and "team" in sample.labels
        }
