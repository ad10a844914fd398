"""Maintenance windows: alerts recorded and posted quietly, nobody paged, no incident; the
window's start and end posted; `/incident maintenance`; windows from the config. U0OPS and
U0BOB are admins; U0AAA is on the rotation paged first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.alerts import ALERTS_CONFIG, alertmanager, am_alert, generic, start
from tests.support.db import count, rows
from tests.support.harness import CHANNEL
from tests.support.slack_views import dms, notices


def db(bot):
    return bot  # its database, SQLite or PostgreSQL


MAINTENANCE_CONFIG = ALERTS_CONFIG + 'admins: ["@U0OPS", "@U0BOB"]\n'


@pytest.fixture
async def bot(tmp_path, double):
    running = await start(tmp_path, double, config=MAINTENANCE_CONFIG)
    yield running
    await running.close()


API_DOWN = am_alert("ApiDown", "a1", service="api", severity="critical")
BILLING_DOWN = am_alert("BillingDown", "b1", service="billing", severity="critical")


async def test_maintenance_suppresses_paging_and_opens_nothing(bot, double):
    answer = await bot.command("maintenance 2h api DB upgrade", user="U0OPS")
    assert answer["text"].startswith(":wrench: Maintenance #1 of *api* until Mon 02 Mar 12:00")
    assert "End it early with `/incident maintenance end 1`." in answer["text"]

    status, reply = await bot.alert("alertmanager", alertmanager([API_DOWN]))
    assert (status, reply["outcome"], reply["incident"]) == (200, "maintenance", None)
    assert (await bot.alert("alertmanager", alertmanager([API_DOWN])))[1]["outcome"] == "unchanged"
    await bot.deliver()
    assert count(db(bot), "incidents") == 0
    assert count(db(bot), "alerts") == 1  # recorded
    assert count(db(bot), "timers", "kind = 'escalate'") == 0
    assert dms(double) == []  # nobody paged
    started, quiet = notices(double)
    assert started.startswith(
        ":wrench: Maintenance #1 of *api* until Mon 02 Mar 12:00 (Europe/Berlin)"
    )
    assert "set by <@U0OPS>" in started and "Reason: DB upgrade" in started
    assert "*Alertmanager*, during maintenance of *api* until Mon 02 Mar 12:00" in quiet
    assert "[SEV1] ApiDown on api-1.prod:9100" in quiet and "No incident, nobody paged." in quiet
    assert "<@" not in quiet and "<!" not in quiet  # quiet: no mentions at all

    # another service is not under maintenance
    reply = (await bot.alert("alertmanager", alertmanager([BILLING_DOWN], group_key="billing")))[1]
    assert (reply["outcome"], reply["incident"]) == ("open", "INC-1")


async def test_the_end_is_posted_by_a_timer_and_alerts_open_incidents_again(bot, double):
    await bot.command("maintenance 30m api", user="U0OPS")
    await bot.alert("alertmanager", alertmanager([API_DOWN]))
    await bot.advance(timedelta(minutes=30))
    await bot.deliver()
    assert notices(double)[-1] == (
        ":white_check_mark: Maintenance #1 of *api* is over. Its alerts open incidents and page again."
    )
    # the group still fires: its incident opens now, and pages as any other
    [(number, title, declared_by, declared_at)] = rows(
        db(bot), "SELECT id, title, declared_by, declared_at FROM incidents"
    )
    assert (number, title, declared_by) == (1, "ApiDown on api-1.prod:9100", "alertmanager")
    assert declared_at == "2026-03-02 09:30:00.000000"
    await bot.deliver()
    assert sorted(dms(double)) == ["U0AAA", "U0PRODUCT"]
    thread = [m["text"] for m in double.messages(CHANNEL) if m.get("thread_ts")]
    assert thread[-1].startswith(
        ":bell: *Alertmanager*: 1 new · 1 of 1 alerts firing, still when maintenance ended"
    )
    second = am_alert("ApiDown", "a2", service="api", instance="api-2:9100")
    reply = (await bot.alert("alertmanager", alertmanager([API_DOWN, second])))[1]
    assert (reply["outcome"], reply["incident"]) == ("update", "INC-1")
    await bot.advance(timedelta(days=1))
    assert count(db(bot), "timers", "kind = 'maintenance_end' AND status = 'fired'") == 1
    assert count(db(bot), "incidents") == 1


async def test_ending_early_opens_what_still_fires_and_quiet_groups_stay_quiet(bot, double):
    await bot.command("maintenance 2h", user="U0OPS")
    await bot.alert("alertmanager", alertmanager([API_DOWN]))
    gone = am_alert("Blip", "g1", service="billing")
    await bot.alert("alertmanager", alertmanager([gone], group_key="blip"))
    resolved = {**gone, "status": "resolved", "endsAt": "2026-03-02T09:05:00Z"}
    await bot.alert("alertmanager", alertmanager([resolved], group_key="blip"))
    await bot.command("maintenance end 1", user="U0OPS")
    assert rows(db(bot), "SELECT id, service FROM incidents") == [(1, "api")]
    await bot.advance(timedelta(hours=3))
    assert count(db(bot), "incidents") == 1


async def test_every_service_list_and_end_early(bot, double):
    await bot.command("maintenance 4h", user="U0OPS")
    answer = await bot.command("maintenance 1h storage backups", user="U0BOB")
    assert "Already running: #1 every service: now until" in answer["text"]
    listed = await bot.command("maintenance list")
    text = "\n".join(b["text"]["text"] for b in listed["blocks"])
    assert (
        "• #1 every service: now until Mon 02 Mar 14:00 (Europe/Berlin) · set by <@U0OPS>" in text
    )
    assert (
        "• #2 *storage*: now until Mon 02 Mar 11:00 (Europe/Berlin) · set by <@U0BOB> · backups"
        in text
    )

    reply = (await bot.alert("generic", generic(service="anything", severity="critical")))[1]
    assert reply["outcome"] == "maintenance"

    answer = await bot.command("maintenance end", user="U0OPS")
    assert "Several maintenance windows are running: #1, #2" in answer["text"]
    answer = await bot.command("maintenance end 1", user="U0BOB")
    assert (
        answer["text"] == "Ended maintenance #1 of every service: its alerts open incidents again."
    )
    answer = await bot.command("maintenance end 1", user="U0OPS")
    assert answer["text"] == "Maintenance window #1 is already over."
    assert (await bot.command("maintenance end 9", user="U0OPS"))["text"].startswith(
        "There is no maintenance window #9"
    )
    await bot.advance(timedelta(hours=5))  # the end timer of #1 finds it ended: nothing twice
    await bot.deliver()
    ends = [p for p in notices(double) if "is over" in p]
    assert ends == [
        ":white_check_mark: Maintenance #1 of every service is over, ended early by <@U0BOB>. "
        "Its alerts open incidents and page again.",
        ":white_check_mark: Maintenance #2 of *storage* is over. Its alerts open incidents and page again.",
    ]
    assert count(db(bot), "timers", "kind = 'maintenance_end' AND status = 'stale'") == 1


async def test_maintenance_command_refusals(bot):
    assert "at most 7 days" in (await bot.command("maintenance 8d api", user="U0AAA"))["text"]
    assert "Duration:" in (await bot.command("maintenance soon api"))["text"]
    assert "is not a service name" in (await bot.command("maintenance 1h Billing!"))["text"]
    assert "No maintenance window set" in (await bot.command("maintenance end"))["text"]
    assert (await bot.command("maintenance list"))["text"] == (
        "No maintenance running or coming up in the next 7 days."
    )
    assert count(db(bot), "maintenance_windows") == 0


async def test_an_open_incident_keeps_its_thread_during_maintenance(bot, double):
    await bot.alert("alertmanager", alertmanager([API_DOWN]))
    await bot.command("maintenance 1h api", user="U0AAA")
    second = am_alert("ApiDown", "a2", service="api", instance="api-2:9100")
    reply = (await bot.alert("alertmanager", alertmanager([API_DOWN, second])))[1]
    assert (reply["outcome"], reply["incident"]) == ("update", "INC-1")


CONFIG_WINDOWS = (
    ALERTS_CONFIG
    + """
maintenance:
  - {service: api, start: 2026-03-02T11:00, end: 2026-03-02T12:00, reason: release}
  - {service: billing, days: mon, from: "13:00", to: "13:30"}
"""
)


async def test_config_windows_post_their_start_and_end_and_suppress(tmp_path, double):
    bot = await start(tmp_path, double, config=CONFIG_WINDOWS)  # now: Mon 10:00 Berlin
    try:
        await bot.tick()
        assert rows(
            db(bot),
            "SELECT kind, due_at FROM timers WHERE kind IN ('maintenance_start', 'maintenance_end') ORDER BY due_at, kind",
        ) == [
            ("maintenance_start", "2026-03-02 10:00:00.000000"),
            ("maintenance_end", "2026-03-02 11:00:00.000000"),
            ("maintenance_start", "2026-03-02 12:00:00.000000"),
            ("maintenance_end", "2026-03-02 12:30:00.000000"),
        ]
        await bot.tick()  # planning again changes nothing
        assert count(db(bot), "timers", "kind IN ('maintenance_start', 'maintenance_end')") == 4
        reply = (await bot.alert("alertmanager", alertmanager([API_DOWN])))[1]
        assert reply["outcome"] == "open"  # not yet
        await bot.advance(timedelta(hours=1))  # 11:00 Berlin: the api window starts
        await bot.deliver()
        assert notices(double)[-1].startswith(
            ":wrench: Maintenance of *api* until Mon 02 Mar 12:00 (Europe/Berlin). "
            "Its alerts are posted here quietly"
        )
        assert notices(double)[-1].endswith("Reason: release")
        other = am_alert("ApiSlow", "s1", service="api", severity="error")
        reply = (await bot.alert("alertmanager", alertmanager([other], group_key="slow")))[1]
        assert reply["outcome"] == "maintenance"
        await bot.advance(timedelta(hours=2, minutes=10))  # 13:10: billing's weekly window
        reply = (await bot.alert("alertmanager", alertmanager([BILLING_DOWN], group_key="b")))[1]
        assert reply["outcome"] == "maintenance"
        await bot.advance(timedelta(minutes=20))
        await bot.deliver()
        ends = [p for p in notices(double) if "is over" in p]
        assert [e.split(" is over")[0] for e in ends] == [
            ":white_check_mark: Maintenance of *api*",
            ":white_check_mark: Maintenance of *billing*",
        ]
        # next week's billing window is planned once this one is over
        assert rows(
            db(bot),
            "SELECT due_at FROM timers WHERE kind = 'maintenance_start' AND status = 'pending'",
        ) == [("2026-03-09 12:00:00.000000",)]
        listed = await bot.command("maintenance list")
        text = "\n".join(b["text"]["text"] for b in listed["blocks"])
        assert (
            "• config *billing*: from Mon 09 Mar 13:00 to Mon 09 Mar 13:30 (Europe/Berlin)" in text
        )
    finally:
        await bot.close()


def test_the_clock_starts_where_the_harness_says():
    # the assertions above read local times from this instant (Mon 2 March 2026, 10:00 Berlin)
    from bot.clock import ManualClock

    assert ManualClock().now() == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
