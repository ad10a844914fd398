"""Update reminders on the clock: after `update_every` without an update and not before; an
update resets them, a snooze delays them, resolution stops them, an ETA that passes prompts one,
and a restart never doubles one. The harness clock starts Monday 2026-03-02 09:00 UTC; SEV1
expects an update every 30m, SEV2 every 1h, SEV4 every 1d."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from bot.services.timers import TimerService
from bot.slack.ids import Action, View
from bot.store.db import Database
from tests.support.db import count, rows
from tests.support.harness import COVERED, Bot
from tests.support.slack_views import buttons, replies, thread

REMINDER_TIMERS = "kind = 'reminder' AND status = 'pending'"


def db(bot):
    return bot  # its database, SQLite or PostgreSQL


def reminded(bot) -> list[str]:
    """When each reminder was recorded, as stored."""
    return [at for (at,) in rows(db(bot), "SELECT at FROM events WHERE kind = 'reminder'")]


async def test_a_reminder_comes_after_update_every_and_not_before(bot, double):
    await bot.command("declare sev2 Checkout slow")
    await bot.advance(timedelta(minutes=59, seconds=59))
    assert reminded(bot) == []
    await bot.advance(timedelta(seconds=1))
    assert reminded(bot) == ["2026-03-02 10:00:00.000000"]
    await bot.deliver()
    reminder = thread(double)[-1]
    assert reminder["text"].startswith(":alarm_clock: <@U0ALICE> No status update on INC-1 for 1h")
    assert "(SEV2 expects one every 1h)" in reminder["text"]
    assert buttons(reminder) == {Action.UPDATE: "1", Action.SNOOZE: "1"}
    # still nothing after another hour: it reminds again, once
    await bot.advance(timedelta(hours=1))
    assert reminded(bot) == ["2026-03-02 10:00:00.000000", "2026-03-02 11:00:00.000000"]
    assert count(db(bot), "timers", REMINDER_TIMERS) == 1


async def test_it_mentions_the_commander_else_the_acknowledger_else_the_declarer(bot, double):
    await bot.command("declare sev1 Mentions")
    await bot.command("ack INC-1", user="U0BOB")
    await bot.advance(timedelta(minutes=30))
    await bot.command("assign INC-1 commander <@U0CAROL|carol>", user="U0BOB")
    await bot.advance(timedelta(minutes=30))
    await bot.deliver()
    texts = [text for text in replies(double) if text.startswith(":alarm_clock:")]
    assert [t.split(" No status")[0] for t in texts] == [
        ":alarm_clock: <@U0BOB>",
        ":alarm_clock: <@U0CAROL>",
    ]


async def test_an_update_resets_the_reminder(bot, double):
    await bot.command("declare sev2 Queue stuck")
    await bot.advance(timedelta(minutes=45))
    await bot.command("update INC-1 Draining the queue")
    await bot.advance(timedelta(minutes=59))
    assert reminded(bot) == []
    await bot.advance(timedelta(minutes=1))  # an hour after the update
    assert reminded(bot) == ["2026-03-02 10:45:00.000000"]
    assert count(db(bot), "timers", REMINDER_TIMERS) == 1
    [(data,)] = rows(db(bot), "SELECT data FROM events WHERE kind = 'reminder'")
    assert json.loads(data)["since"] == "2026-03-02T09:45:00+00:00"


async def test_the_post_update_button_opens_the_form_and_its_update_resets_it(bot, double):
    await bot.command("declare sev1 Button")
    await bot.advance(timedelta(minutes=30))
    await bot.deliver()
    reminder = thread(double)[-1]
    assert buttons(reminder)[Action.UPDATE] == "1"
    await bot.click(Action.UPDATE, "1", user="U0BOB")
    [opened] = await double.wait_for("views.open")
    assert opened.params["view"]["callback_id"] == View.UPDATE


async def test_snooze_delays_the_next_reminder_by_30_minutes(bot, double):
    await bot.command("declare sev1 Database failover")
    await bot.advance(timedelta(minutes=30))  # first reminder at 09:30
    await bot.advance(timedelta(minutes=5))
    response = await bot.click(Action.SNOOZE, "1", user="U0BOB")
    assert response.status == 200
    # without the snooze the next one was due at 10:00; now 30m from 09:35
    await bot.advance(timedelta(minutes=29, seconds=59))
    assert reminded(bot) == ["2026-03-02 09:30:00.000000"]
    await bot.advance(timedelta(seconds=1))
    assert reminded(bot) == ["2026-03-02 09:30:00.000000", "2026-03-02 10:05:00.000000"]
    await bot.deliver()
    texts = replies(double)
    assert any(
        t.startswith(":zzz: <@U0BOB> snoozed update reminders for INC-1 until") for t in texts
    )
    # the silence is still counted from the declaration: a snooze is not an update
    assert "No status update on INC-1 for 1h 5m" in texts[-1]


async def test_snooze_never_brings_a_later_reminder_forward(bot, double):
    await bot.command("declare sev4 Typo on the status page")  # reminds after 1d
    await bot.advance(timedelta(hours=1))
    await bot.click(Action.SNOOZE, "1")
    [(due,)] = rows(db(bot), f"SELECT due_at FROM timers WHERE {REMINDER_TIMERS}")
    assert due == "2026-03-03 09:00:00.000000"


async def test_resolution_stops_reminders_and_snoozing_a_resolved_incident_is_refused(bot, double):
    await bot.command("declare sev1 Short outage")
    await bot.command("update INC-1 fixing eta 20m")
    await bot.advance(timedelta(minutes=30))
    assert len(reminded(bot)) == 1
    await bot.command("resolve INC-1 Fixed")
    assert count(db(bot), "timers", "kind IN ('reminder', 'eta') AND status = 'pending'") == 0
    await bot.advance(timedelta(days=2))
    assert len(reminded(bot)) == 1
    assert count(db(bot), "events", "kind = 'eta_passed'") == 1  # passed at 09:20, before
    await bot.click(Action.SNOOZE, "1", user="U0BOB")
    await bot.deliver()
    [answer] = double.calls_to("chat.postEphemeral")
    assert answer.params["text"] == "INC-1 is resolved; there is nothing to remind."
    # a reminder delivered after the resolution offers no buttons any more
    late = [m for m in thread(double) if m["text"].startswith(":alarm_clock:")]
    assert late and all(not buttons(m) for m in late)


async def test_reopening_starts_the_reminders_again(bot, double):
    await bot.command("declare sev2 Flaky")
    await bot.command("resolve INC-1")
    await bot.advance(timedelta(hours=5))
    await bot.command("reopen INC-1 It is back")
    await bot.advance(timedelta(minutes=59))
    assert reminded(bot) == []
    await bot.advance(timedelta(minutes=1))
    assert reminded(bot) == ["2026-03-02 15:00:00.000000"]


async def test_an_eta_that_passes_without_resolution_prompts_a_reminder(bot, double):
    await bot.command("declare sev4 Slow exports")
    await bot.advance(timedelta(minutes=10))
    await bot.command("update INC-1 Found it eta 30m", user="U0BOB")
    await bot.advance(timedelta(minutes=20))
    await bot.command("update INC-1 Takes longer eta 1h", user="U0BOB")  # a new ETA
    await bot.advance(timedelta(minutes=59))
    assert count(db(bot), "events", "kind = 'eta_passed'") == 0  # the 09:40 ETA was replaced
    await bot.advance(timedelta(minutes=1))
    assert rows(db(bot), "SELECT at FROM events WHERE kind = 'eta_passed'") == [
        ("2026-03-02 10:30:00.000000",)
    ]
    await bot.advance(timedelta(hours=3))
    assert count(db(bot), "events", "kind = 'eta_passed'") == 1  # once
    await bot.deliver()
    [passed] = [m for m in thread(double) if m["text"].startswith(":hourglass:")]
    # the declarer: nobody acknowledged and there is no commander
    assert passed["text"].startswith(":hourglass: <@U0ALICE> The ETA of INC-1 (<!date^")
    assert "has passed and it is not resolved" in passed["text"]
    assert set(buttons(passed)) == {Action.UPDATE, Action.SNOOZE}


async def test_a_severity_change_rearms_with_the_new_interval(bot, double):
    await bot.command("declare sev4 Looked minor")
    await bot.advance(timedelta(minutes=20))
    await bot.command("sev INC-1 sev1")  # now every 30m, counted from the declaration
    await bot.advance(timedelta(minutes=9, seconds=59))
    assert reminded(bot) == []
    await bot.advance(timedelta(seconds=1))
    assert reminded(bot) == ["2026-03-02 09:30:00.000000"]
    await bot.command("sev INC-1 sev4")  # an hour late for SEV1, not for SEV4
    await bot.advance(timedelta(hours=23))
    assert len(reminded(bot)) == 1
    assert count(db(bot), "timers", REMINDER_TIMERS) == 1


async def test_a_restart_fires_an_overdue_reminder_once_and_never_doubles_one(tmp_path, double):
    bot = await Bot(tmp_path, double).start()
    try:
        await bot.command("declare sev2 First")
        await bot.command("declare sev1 Second")
        await bot.stop()
        bot.clock.advance(timedelta(hours=3))  # down for three hours
        await bot.start()
        await bot.tick()
        await bot.tick()
        by_incident = rows(db(bot), "SELECT incident_id, at FROM events WHERE kind = 'reminder'")
        assert sorted(by_incident) == [
            (1, "2026-03-02 12:00:00.000000"),
            (2, "2026-03-02 12:00:00.000000"),
        ]
        pending = rows(db(bot), f"SELECT incident_id, due_at FROM timers WHERE {REMINDER_TIMERS}")
        assert sorted(pending) == [
            (1, "2026-03-02 13:00:00.000000"),
            (2, "2026-03-02 12:30:00.000000"),
        ]
        for _ in range(2):  # restarting again changes nothing
            await bot.stop()
            await bot.start()
            await bot.tick()
        assert len(reminded(bot)) == 2
        assert count(db(bot), "timers", REMINDER_TIMERS) == 2
    finally:
        await bot.close()


async def test_open_incidents_without_a_reminder_get_one_on_start(tmp_path, double):
    """Incidents from before reminders existed (or a lost timer): armed once at start."""
    bot = await Bot(tmp_path, double).start()
    try:
        await bot.command("declare sev2 Old one")
        await bot.command("declare sev2 Resolved one")
        await bot.command("resolve INC-2")
        await bot.stop()
        rows(db(bot), "DELETE FROM timers WHERE kind = 'reminder'")
        bot.clock.advance(timedelta(minutes=20))
        await bot.start()
        await bot.tick()
        assert rows(db(bot), f"SELECT incident_id, due_at FROM timers WHERE {REMINDER_TIMERS}") == [
            (1, "2026-03-02 10:00:00.000000")
        ]
    finally:
        await bot.close()


async def test_two_workers_racing_for_a_reminder_post_it_once(bot, double):
    await bot.command("declare sev4 Raced")  # escalates after 1d, reminds after 1d
    await bot.command("ack INC-1")  # so only the reminder is due
    bot.clock.advance(timedelta(days=1))
    other_db = Database(bot.database_url)
    try:
        other = TimerService(other_db, bot.app.services.incidents.ctx, bot.clock)
        first, second = await asyncio.gather(bot.app.services.timers.fire_due(), other.fire_due())
        assert first.fired + second.fired == 1
        assert len(reminded(bot)) == 1
    finally:
        await other_db.close()


async def test_an_incident_waiting_for_coverage_is_reminded_after_coverage_resumes(
    tmp_path, double
):
    bot = Bot(tmp_path, double, config=COVERED)
    bot.clock.set(bot.clock.now() + timedelta(days=5, hours=3))  # Saturday 12:00 UTC
    await bot.start()
    try:
        await bot.command("declare sev3 Reports slow")  # waits until Monday 09:00 Berlin
        await bot.advance(timedelta(days=1, hours=20))  # Monday 08:00 UTC: coverage resumes
        await bot.advance(timedelta(hours=3, minutes=59))
        assert reminded(bot) == []
        await bot.advance(timedelta(minutes=1))  # SEV3 expects an update every 4h
        assert reminded(bot) == ["2026-03-09 12:00:00.000000"]
    finally:
        await bot.close()


async def test_a_reply_that_goes_out_late_says_when_its_change_happened(bot, double):
    await bot.command("declare sev3 Late replies")
    await bot.deliver()
    double.inject("chat.postMessage", status=503, times=8)  # Slack is down for a while
    bot.clock.advance(timedelta(minutes=1))
    await bot.command("ack INC-1", user="U0BOB")
    await bot.deliver()  # retried with backoff until Slack answers, minutes later
    acked = next(m for m in thread(double) if "acknowledged INC-1" in m["text"])
    at = int(datetime(2026, 3, 2, 9, 1, tzinfo=UTC).timestamp())
    assert acked["text"].endswith(
        f"_(<!date^{at}^{{date_short_pretty}} {{time}}|Mon 02 Mar 10:01 CET>)_"
    )
    declared = replies(double)[0]
    assert "_(<!date^" not in declared  # sent at once: no time needed
