"""A report's series per day: counts by severity and median response times per local day,
equal to what is computed here from the same incidents, independently; days across a change
of clocks; nothing declared is an empty series."""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.metrics import Timing, report
from bot.core.report_series import calendar, daily

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 3, 23, 9, 0, tzinfo=UTC)  # a Monday; clocks go forward on the 29th
END = START + timedelta(days=14)
TARGETS = {"SEV1": timedelta(minutes=15), "SEV2": timedelta(hours=1)}
ORDER = ["SEV1", "SEV2", "SEV3"]


def incidents(seed: int = 3, n: int = 80) -> list[Timing]:
    rng = random.Random(seed)
    low, high = START.timestamp() - 86400, END.timestamp() + 86400  # some outside the period
    found = []
    for number in range(1, n + 1):
        declared = rng.uniform(low, high)
        ack = rng.choice([None, declared + rng.uniform(10, 7200)])
        resolved = rng.choice([None, (ack or declared) + rng.uniform(60, 50_000)])
        severity = rng.choice(["SEV1", "SEV2", "SEV2", "OLD"])
        found.append(Timing(number, f"i{number}", severity, declared, None, ack, resolved))
    return found


def test_each_day_counts_and_medians_equal_those_computed_independently():
    items = incidents()
    series = daily(items, START, END, BERLIN, TARGETS, ORDER)
    assert series.days[0] == date(2026, 3, 23) and series.days[-1] == date(2026, 4, 6)
    assert series.severities == ("SEV1", "SEV2", "OLD")  # configured order, then the others
    assert series.targets == {"SEV1": 900.0, "SEV2": 3600.0}
    counts, acks, fixes = defaultdict(int), defaultdict(list), defaultdict(list)
    high = END.timestamp()
    for item in items:
        if not START.timestamp() <= item.declared < high:
            continue
        day = datetime.fromtimestamp(item.declared, BERLIN).date()
        counts[item.severity, day] += 1
        if item.acknowledged is not None and item.acknowledged <= high:
            acks[item.severity, day].append(item.acknowledged - item.declared)
        if item.resolved is not None and item.resolved <= high:
            fixes[day].append(item.resolved - item.declared)
    for i, day in enumerate(series.days):
        for severity in series.severities:
            assert series.declared[severity][i] == counts[severity, day]
            found = acks[severity, day]
            want = statistics.median(found) if found else None
            assert series.acknowledge[severity][i] == pytest.approx(want)
        assert series.resolve[i] == pytest.approx(
            statistics.median(fixes[day]) if fixes[day] else None
        )
    # the same incidents as the report counts
    figures = report(items, START, END, TARGETS, ORDER)
    assert series.total == figures.total.declared
    assert {r.severity: r.declared for r in figures.rows} == {
        s: sum(c) for s, c in series.declared.items()
    }
    assert sum(series.per_day()) == series.total


def test_days_are_local_calendar_days_across_a_change_of_clocks():
    days, starts = calendar(START, END, BERLIN)
    assert len(days) == 15  # 14 days from 10:00 to 11:00 local touch 15 calendar days
    midnights = [datetime.fromtimestamp(s, BERLIN) for s in starts]
    assert all((m.hour, m.minute) == (0, 0) for m in midnights)
    assert days[6] == date(2026, 3, 29) and starts[6] - starts[5] == 23 * 3600  # 23 hours long
    # an incident a minute after local midnight counts on the new day, not the old one
    just_after = datetime(2026, 3, 30, 0, 1, tzinfo=BERLIN).timestamp()
    item = Timing(1, "t", "SEV1", just_after, None, just_after + 120, None)
    series = daily([item], START, END, BERLIN, TARGETS, ORDER)
    assert series.declared["SEV1"][days.index(date(2026, 3, 30))] == 1
    assert series.acknowledge["SEV1"][days.index(date(2026, 3, 30))] == pytest.approx(120)


def test_the_response_clock_starts_when_coverage_resumed():
    declared = START.timestamp() + 3600
    waited = Timing(1, "t", "SEV2", declared, declared + 7200, declared + 7800, None)
    series = daily([waited], START, END, BERLIN, TARGETS, resumed={1: declared + 7200})
    assert series.acknowledge["SEV2"][0] == pytest.approx(600)
    assert series.resolve[0] is None  # still open


def test_a_period_without_incidents_is_empty():
    series = daily([], START, END, BERLIN, TARGETS, ORDER)
    assert series.empty and series.total == 0 and series.severities == ()
    assert series.per_day() == (0,) * len(series.days)
    assert series.resolve == (None,) * len(series.days)
