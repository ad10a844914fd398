"""Pure incident figures: percentiles, durations, report rows, timeline response, weekly times."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.metrics import Timing, next_weekly, percentile, report, response, span

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=2, max_size=60))
def test_median_and_p90_agree_with_the_statistics_module(values):
    assert percentile(values, 0.5) == pytest.approx(statistics.median(values))
    p90 = statistics.quantiles(values, n=10, method="inclusive")[-1]
    assert percentile(values, 0.9) == pytest.approx(p90)


def test_percentile_edges():
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile(list(range(1, 11)), 0.9) == pytest.approx(9.1)
    assert percentile([5, 1, 3], 0.0) == 1 and percentile([5, 1, 3], 1.0) == 5


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "–"),
        (0, "0s"),
        (44.6, "45s"),
        (60, "1m"),
        (3599, "59m"),
        (3600, "1h"),
        (5400, "1h 30m"),
        (86400, "1d"),
        (93600, "1d 2h"),
        (-5, "0s"),
    ],
)
def test_span(seconds, shown):
    assert span(seconds) == shown


def timing(n, severity, declared, ack=None, resolved=None, *, waiting=None) -> Timing:
    """Incident n, times in minutes after T0 (`waiting`: still waiting for coverage until)."""

    def epoch(minutes):
        return None if minutes is None else at(minutes).timestamp()

    return Timing(
        n, f"incident {n}", severity, epoch(declared), epoch(waiting), epoch(ack), epoch(resolved)
    )


TARGETS = {"SEV1": timedelta(minutes=15), "SEV2": timedelta(hours=1)}


def test_a_report_by_team_counts_each_incident_once_under_its_team():
    items = [
        timing(1, "SEV1", 0, ack=10, resolved=20)._replace(team="payments"),
        timing(2, "SEV2", 5, ack=100)._replace(team="payments"),  # late for its 1h target
        timing(3, "SEV1", 10, ack=12),  # stored before teams: the default team's
        timing(4, "SEV2", 20)._replace(team="gone"),  # a team since removed from the config
    ]
    figures = report(items, T0, at(700), TARGETS, ["SEV1", "SEV2"], teams=["default", "payments"])
    assert [t.severity for t in figures.teams] == ["default", "payments", "gone"]
    default, payments, gone = figures.teams
    assert (payments.declared, payments.still_open, payments.met, payments.judged) == (2, 1, 1, 2)
    assert payments.acknowledge.median == pytest.approx(52.5 * 60)  # 10m and 95m
    assert (default.declared, default.acknowledge.median) == (1, 2 * 60)
    assert (gone.declared, gone.met, gone.judged) == (1, 0, 1)  # never answered, past 1h
    assert figures.total.declared == 4  # the severity rows are the same with or without teams
    assert not report(items, T0, at(700), TARGETS, ["SEV1", "SEV2"]).teams


def test_report_rows_by_severity_in_config_order_then_others():
    items = [
        timing(1, "SEV2", 0, ack=10, resolved=100),
        timing(2, "SEV1", 5, ack=25, resolved=65),
        timing(3, "SEV1", 10, ack=15, resolved=40),
        timing(4, "OLD", 20),  # a severity no longer configured
        timing(5, "SEV2", 30, resolved=50),  # resolved without acknowledgement, within target
        timing(6, "SEV1", 600),  # unanswered and past its target (judged at the report's end)
        timing(7, "SEV1", 10_000),  # declared after the end: not counted
        timing(8, "SEV2", -10),  # before the start: not counted
        timing(9, "SEV2", 690, ack=720),  # acknowledged after the end: not yet, as of the end
    ]
    services, tenants = {"api": 2, "storage": 1, "none": 0}, {"acme": 3, "globex": 1}
    figures = report(
        items, T0, at(700), TARGETS, ["SEV1", "SEV2", "SEV3"], services=services, tenants=tenants
    )
    assert [r.severity for r in figures.rows] == ["SEV1", "SEV2", "OLD"]
    sev1, sev2, old = figures.rows
    assert (sev1.declared, sev1.still_open) == (3, 1)
    assert sev1.acknowledge.count == 2
    assert sev1.acknowledge.median == pytest.approx(12.5 * 60)  # 20m and 5m
    assert sev1.resolve.median == pytest.approx(45 * 60)  # 60m and 30m
    assert (sev1.met, sev1.judged) == (1, 3)  # 20m late, 5m in time, 6 never answered
    assert (sev2.declared, sev2.still_open, sev2.acknowledge.count) == (3, 1, 1)
    assert (sev2.met, sev2.judged) == (2, 2)  # 10m; resolved in 20m without an ack; 9 not due
    assert (old.judged, old.acknowledge.median) == (0, None)  # no target known
    assert figures.total.declared == 7 and figures.total.still_open == 3
    # open ones count until the end of the period
    assert [(x.number, x.seconds / 60, x.still_open) for x in figures.longest] == [
        (4, 680, True),
        (1, 100, False),  # ties: the older incident first
        (6, 100, True),
        (2, 60, False),
        (3, 30, False),
    ]
    assert figures.services == [("api", 2), ("storage", 1)]
    assert figures.tenants == [("acme", 3), ("globex", 1)]


def test_an_incident_that_waited_for_coverage_is_judged_from_when_it_resumed():
    answered = timing(1, "SEV1", 0, ack=130)  # 10m after coverage resumed at 120
    resumed = {1: at(120).timestamp()}
    figures = report([answered], T0, at(200), TARGETS, resumed=resumed)
    assert figures.total.acknowledge.median == pytest.approx(600)
    assert (figures.total.met, figures.total.judged) == (1, 1)
    waiting = timing(2, "SEV1", 0, waiting=120)  # still waiting: its clock starts at 120
    assert report([waiting], T0, at(130), TARGETS).total.judged == 0  # not due yet
    late = report([waiting], T0, at(136), TARGETS).total
    assert (late.met, late.judged) == (0, 1)


@dataclass
class E:
    kind: str
    at: datetime
    actor: str = "U0A"
    text: str = ""
    data: dict = field(default_factory=dict)


def test_response_from_the_timeline():
    events = [
        E("declared", at(0)),
        E("escalated", at(60), "firebell", data={"level": 1}),
        E("acknowledged", at(67)),
        E("update", at(75)),
        E("eta_passed", at(105), "firebell"),
        E("resolved", at(110)),
        E("reopened", at(200)),
        E("acknowledged", at(205)),  # the first response counts
        E("update", at(230)),
        E("resolved", at(240)),
    ]
    figures = response(events, at(300))
    assert figures.time_to_acknowledge == 67 * 60
    assert figures.acknowledged_by == "U0A"
    assert figures.time_to_resolve == 240 * 60  # the last resolution
    assert [e.kind for e in figures.escalations] == ["escalated"]
    assert figures.updates == 2
    assert (
        figures.longest_silence == 75 * 60
    )  # declared -> first update; resolved time is not silence
    assert figures.eta_missed == 1


def test_response_of_an_open_incident_that_waited():
    events = [
        E("declared", at(0), data={"waiting_until": at(120).isoformat()}),
        E("paged", at(120), "firebell"),
    ]
    figures = response(events, at(500))
    assert figures.response_from == at(120)
    assert figures.time_to_acknowledge is None and figures.time_to_resolve is None
    assert figures.longest_silence == 500 * 60  # open since declaration, no update yet


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (datetime(2026, 3, 2, 7, 59, tzinfo=UTC), datetime(2026, 3, 2, 8, 0, tzinfo=UTC)),
        (datetime(2026, 3, 2, 8, 0, tzinfo=UTC), datetime(2026, 3, 9, 8, 0, tzinfo=UTC)),
        # the Monday after the spring change: 09:00 CEST is 07:00 UTC
        (datetime(2026, 3, 28, 0, 0, tzinfo=UTC), datetime(2026, 3, 30, 7, 0, tzinfo=UTC)),
    ],
)
def test_next_weekly_is_the_local_wall_time(after, expected):
    assert next_weekly(after, 0, 9, 0, BERLIN) == expected


def test_next_weekly_in_skipped_time_is_the_end_of_the_jump():
    # Sunday 29 March 2026, 02:30 in Berlin does not exist: 03:00 CEST (01:00 UTC)
    found = next_weekly(datetime(2026, 3, 27, tzinfo=UTC), 6, 2, 30, BERLIN)
    assert found == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
