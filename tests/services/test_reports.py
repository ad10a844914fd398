"""Report figures for a seeded history equal values computed here, independently; the weekly
report goes to the broadcast channel on Mondays at 09:00 (Berlin), once per week."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import timedelta

import pytest

from bot.core.metrics import span
from tests.support.db import count, rows
from tests.support.harness import COVERED, SATURDAY, Bot
from tests.support.reports import BROADCASTING, NOW, STATUS, TARGETS, history, seed


def expected(items: list[dict], days: int) -> dict:
    """The report's figures, computed from the history alone."""
    start = NOW - timedelta(days=days)
    chosen = [i for i in items if start <= i["declared"] < NOW]

    def done(item, key):
        value = item[key]
        if value is None or item["declared"] + timedelta(seconds=value) >= NOW:
            return None
        return value

    out = {}
    for severity in ("SEV1", "SEV2", "SEV3", "SEV4", None):
        group = [i for i in chosen if severity is None or i["severity"] == severity]
        if not group:
            continue
        acks = [a for i in group if (a := done(i, "ack")) is not None]
        fixes = [r for i in group if (r := done(i, "resolve")) is not None]
        met = judged = 0
        for item in group:
            first = done(item, "ack") or done(item, "resolve")
            target = TARGETS[item["severity"]]
            if first is not None:
                judged += 1
                met += first <= target
            elif (NOW - item["declared"]).total_seconds() > target:
                judged += 1
        out[severity or "All"] = {
            "declared": len(group),
            "open": sum(1 for i in group if done(i, "resolve") is None),
            "mtta": (statistics.median(acks), p90(acks)) if acks else (None, None),
            "mttr": (statistics.median(fixes), p90(fixes)) if fixes else (None, None),
            "met": (met, judged),
        }
    services = Counter(i["service"] for i in chosen if i["service"])
    tenants = Counter(t for i in chosen for t in set(i["tenants"]))
    out["services"] = sorted(services.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    out["tenants"] = sorted(tenants.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    return out


def p90(values: list[float]) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


@pytest.mark.parametrize("days", [7, 30])
async def test_report_figures_equal_those_computed_from_the_history(bot, double, days):
    items = history()
    await seed(bot, items)
    figures = await bot.app.services.reports.report(timedelta(days=days))
    want = expected(items, days)
    got = {row.severity: row for row in [*figures.rows, figures.total]}
    assert set(got) == {k for k in want if k not in ("services", "tenants")}
    for name, row in got.items():
        w = want[name]
        assert (row.declared, row.still_open) == (w["declared"], w["open"]), name
        assert (row.met, row.judged) == w["met"], name
        for mine, theirs in (
            ((row.acknowledge.median, row.acknowledge.p90), w["mtta"]),
            ((row.resolve.median, row.resolve.p90), w["mttr"]),
        ):
            if theirs[0] is None:
                assert mine == (None, None), name
            else:
                assert mine == pytest.approx(theirs, abs=1e-3), name
    assert figures.services == want["services"]
    assert figures.tenants == want["tenants"]

    answer = await bot.command(f"report {days}d")
    table = answer["blocks"][1]["text"]["text"]
    all_row = next(line for line in table.splitlines() if line.startswith("All "))
    assert all_row.split()[1] == str(want["All"]["declared"])
    assert span(want["All"]["mtta"][0]) in all_row
    met, judged = want["All"]["met"]
    assert f"{round(met / judged * 100)}% ({met}/{judged})" in all_row


async def test_a_report_of_a_quiet_period_says_so(bot, double):
    answer = await bot.command("report 30d")
    assert "No incidents were declared in this period." in answer["text"]


async def test_an_incident_that_waited_for_coverage_counts_from_when_it_resumed(tmp_path, double):
    bot = Bot(tmp_path, double, config=COVERED)
    bot.clock.set(SATURDAY)
    await bot.start()
    try:
        await bot.command("declare sev3 Weekend report")  # waits until Monday 08:00 UTC
        await bot.advance(timedelta(days=1, hours=20, minutes=30))
        await bot.command("ack INC-1")  # 30m after coverage resumed, 44h after declaration
        figures = await bot.app.services.reports.report(timedelta(days=7))
        [row] = figures.rows
        assert row.acknowledge.median == pytest.approx(30 * 60, abs=1e-3)
        assert (row.met, row.judged) == (1, 1)
    finally:
        await bot.close()


async def test_the_weekly_report_goes_out_on_monday_at_nine_berlin_time(tmp_path, double):
    bot = await Bot(tmp_path, double, config=BROADCASTING).start()  # Monday 10:00 Berlin
    try:
        await bot.tick()
        assert rows(bot, "SELECT due_at FROM timers WHERE kind = 'weekly_report'") == [
            ("2026-03-09 08:00:00.000000",)
        ]
        await bot.command("declare sev2 In the week")
        await bot.command("resolve INC-1")
        await bot.advance(timedelta(days=6, hours=22, minutes=59))
        await bot.deliver()
        assert [m for m in double.messages(STATUS) if "Weekly" in m["text"]] == []
        await bot.advance(timedelta(minutes=1))
        await bot.deliver()
        [weekly] = [m for m in double.messages(STATUS) if "Weekly" in m["text"]]
        assert weekly["text"] == "Weekly incident report: 1 incidents in the last 7 days"
        body = weekly["blocks"][0]["text"]["text"]
        assert "*1* declared · *0* still open" in body
        assert "(Mon 02 Mar 09:00 – Mon 09 Mar 09:00, Europe/Berlin)" in body
        for _ in range(2):  # restarts do not post it again
            await bot.stop()
            await bot.start()
            await bot.tick()
            await bot.deliver()
        assert len([m for m in double.messages(STATUS) if "Weekly" in m["text"]]) == 1
    finally:
        await bot.close()


async def test_after_weeks_of_downtime_only_the_latest_weekly_report_is_posted(tmp_path, double):
    bot = await Bot(tmp_path, double, config=BROADCASTING).start()
    try:
        await bot.tick()
        await bot.stop()
        bot.clock.advance(timedelta(days=22))  # three Mondays pass: 9, 16 and 23 March
        await bot.start()
        await bot.tick()
        await bot.tick()
        await bot.deliver()
        [weekly] = [m for m in double.messages(STATUS) if "Weekly" in m["text"]]
        assert "(Mon 16 Mar 09:00 – Mon 23 Mar 09:00, Europe/Berlin)" in str(weekly["blocks"])
        db = bot
        assert rows(
            db, "SELECT due_at FROM timers WHERE kind = 'weekly_report' AND status = 'pending'"
        ) == [("2026-03-30 07:00:00.000000",)]  # 09:00 CEST
    finally:
        await bot.close()


async def test_the_weekly_report_can_be_moved_or_turned_off(tmp_path, double):
    config = BROADCASTING + "broadcast:\n  weekly_report: fri 16:30\n"
    bot = await Bot(tmp_path, double, config=config).start()
    try:
        await bot.tick()
        db = bot
        assert rows(db, "SELECT due_at FROM timers WHERE kind = 'weekly_report'") == [
            ("2026-03-06 15:30:00.000000",)
        ]
    finally:
        await bot.close()
    off = Bot(tmp_path / "off", double, config=BROADCASTING + "broadcast:\n  weekly_report: off\n")
    await off.start()
    try:
        await off.tick()
        assert count(off, "timers", "kind = 'weekly_report'") == 0
    finally:
        await off.close()
