"""Housekeeping: a daily timer at 00:30 UTC deletes the outbox rows delivered and the timers
finished more than 30 days ago, and keeps what is still read: rows waiting or given up on,
every row of an incident open or resolved within the 30 days (acknowledging it edits its page
DMs), pending timers and the start of a maintenance window still under way.

The harness clock starts Monday 2026-03-02 09:00 UTC; timers fire through the real timer round
as the manual clock advances."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.services import housekeeping
from bot.slack.ids import Action
from bot.store.tables import outbox
from tests.support.alerts import alertmanager, am_alert
from tests.support.alerts import start as alert_bot
from tests.support.db import count, delivered_row, rows
from tests.support.harness import CHANNEL, CONFIG, Bot
from tests.support.slack_views import buttons

# a window on the api service from Monday 10:00 UTC for eight weeks: under way throughout
WINDOW = CONFIG + (
    "maintenance:\n"
    "  - {service: api, start: 2026-03-02T11:00, end: 2026-04-27T11:00, reason: migration}\n"
)


def ids(bot, where: str, *args) -> list[int]:
    return [r[0] for r in rows(bot, f"SELECT id FROM outbox WHERE {where} ORDER BY id", *args)]


def timer_ids(bot, where: str, *args) -> list[int]:
    return [r[0] for r in rows(bot, f"SELECT id FROM timers WHERE {where} ORDER BY id", *args)]


def starts(double) -> int:
    """How often the maintenance window's start was posted in the channel."""
    return sum(m["text"].startswith(":wrench: Maintenance") for m in double.messages(CHANNEL))


def runs(bot) -> list[tuple]:
    return rows(bot, "SELECT due_at, status FROM timers WHERE kind = 'housekeeping' ORDER BY id")


async def test_rows_older_than_30_days_go_and_what_is_still_read_stays(tmp_path, double):
    bot = await Bot(tmp_path, double, config=WINDOW).start()
    try:
        await bot.tick()
        await bot.tick()  # planned every round, armed once (replicas likewise)
        assert runs(bot) == [("2026-03-03 00:30:00.000000", "pending")]
        await bot.command("declare sev2 Old outage")  # INC-1: resolved today
        await bot.deliver()
        await bot.command("resolve INC-1 rolled back")
        double.missing_channels.add(CHANNEL)  # its resolution never reaches the channel
        await bot.deliver()
        double.missing_channels.discard(CHANNEL)
        await bot.command("declare sev4 Long investigation")  # INC-2: open for six weeks
        await bot.deliver()
        old_delivered = ids(bot, "incident_id = 1 AND status <> 'failed'")
        given_up = ids(bot, "incident_id = 1 AND status = 'failed'")
        assert old_delivered and given_up
        long_open = ids(bot, "incident_id = 2")
        [(paged,)] = rows(bot, "SELECT sent_ts FROM outbox WHERE incident_id = 2 AND kind = 'dm'")
        old_timers = timer_ids(bot, "incident_id = 1")
        assert old_timers and not timer_ids(bot, "incident_id = 1 AND status = 'pending'")
        started = timer_ids(bot, "kind = 'maintenance_start'")

        for days in (8, 7):  # Tue 10 and Tue 17 March: each Monday's handover posted
            await bot.advance(timedelta(days=days))
            await bot.deliver()
        await bot.command("declare sev4 Recent blip")  # INC-3: resolved within the 30 days
        await bot.command("resolve INC-3 gone")
        await bot.deliver()
        recent = ids(bot, "incident_id = 3")
        handovers = rows(
            bot, "SELECT id, finished_at FROM outbox WHERE kind = 'handover' ORDER BY id"
        )
        assert [when[:10] for _, when in handovers] == ["2026-03-10", "2026-03-17"]

        await bot.advance(timedelta(days=25))  # Sat 11 April 09:00: cut at 12 March 00:30
        await bot.deliver()
        assert ids(bot, "incident_id = 1") == given_up  # delivered rows gone, failed kept
        assert not timer_ids(bot, "incident_id = 1")
        assert set(long_open) <= set(ids(bot, "incident_id = 2"))  # open: every row kept
        assert set(recent) <= set(ids(bot, "incident_id = 3"))
        handed = ids(bot, "kind = 'handover'")
        assert handovers[0][0] not in handed and handovers[1][0] in handed  # 10 March's went
        assert timer_ids(bot, "kind = 'maintenance_start'") == started  # the window is on
        assert starts(double) == 1  # posted once, six weeks ago
        finished = "status <> 'pending' AND kind <> 'maintenance_start' AND due_at < ?"
        assert not timer_ids(bot, finished, "2026-03-12")
        assert runs(bot)[0] == ("2026-03-12 00:30:00.000000", "fired")  # earlier runs went
        assert runs(bot)[-1] == ("2026-04-12 00:30:00.000000", "pending")

        await bot.click(Action.ACK, "2", user="U0BOB")  # six weeks on, its page DM is edited
        await bot.deliver()
        [page] = [m for m in double.messages(double.dm_channel("U0AAA")) if m["ts"] == paged]
        assert buttons(page) == {}
        assert "Acknowledged by <@U0BOB>" in page["blocks"][0]["text"]["text"]
    finally:
        await bot.close()


async def test_a_long_history_is_deleted_in_steps_with_writes_in_between(bot):
    """The first run over a long history deletes one step of rows per timer round and arms
    the next step due at once; a declaration between two steps is stored, a restart goes on
    where it stopped; after the last step nothing more is armed."""
    step = housekeeping.STEP
    seeded = [delivered_row(bot.clock.now(), CHANNEL) for _ in range(2 * step + step // 2)]
    await bot.app.db.write(lambda conn: conn.execute(sa.insert(outbox), seeded))
    await bot.advance(timedelta(days=30, hours=15, minutes=29))  # Thu 2 April 00:29
    assert count(bot, "outbox", "status = 'sent'") == len(seeded)  # 1 April's cut: older
    bot.clock.set(datetime(2026, 4, 2, 0, 30, tzinfo=UTC))

    await bot.tick()  # the daily run: one step
    assert count(bot, "outbox", "status = 'sent'") == len(seeded) - step
    assert runs(bot)[-2:] == [
        ("2026-04-03 00:30:00.000000", "pending"),  # tomorrow's, planned by that round
        ("2026-04-02 00:30:00.000000", "pending"),  # the next step, due at once
    ]
    await bot.command("declare sev4 Between two steps")
    await bot.tick()
    await bot.stop()
    await bot.start()  # the last step is a timer in the database: still due
    await bot.tick()
    assert count(bot, "outbox", "status = 'sent'") == 0  # pending ones stay
    assert count(bot, "outbox", "incident_id = 1") > 0  # the new incident's rows
    assert [r for r in runs(bot) if r[1] == "pending"] == [
        ("2026-04-03 00:30:00.000000", "pending")  # nothing more armed
    ]


async def test_repeats_of_an_alert_group_older_than_30_days_go_what_they_led_to_stays(
    tmp_path, double
):
    """Alertmanager repeats a firing group every few hours; a repeat that changed nothing is
    kept 30 days like the outbox, the notification that opened the incident for good."""
    bot = await alert_bot(tmp_path, double)
    try:
        body = alertmanager([am_alert("DiskFilling", "0f1e2d3c4b5a6978", severity="info")])
        outcomes = [(await bot.alert("alertmanager", body))[1]["outcome"] for _ in range(3)]
        assert outcomes == ["open", "unchanged", "unchanged"]
        await bot.advance(timedelta(days=20))
        assert (await bot.alert("alertmanager", body))[1]["outcome"] == "unchanged"
        await bot.advance(timedelta(days=20))  # the cut: 20 days after the first three
        kept = rows(bot, "SELECT outcome, received_at FROM alert_notifications ORDER BY id")
        assert [(outcome, at[:10]) for outcome, at in kept] == [
            ("open", "2026-03-02"),
            ("unchanged", "2026-03-22"),
        ]
        assert rows(bot, "SELECT notifications FROM alert_groups") == [(4,)]
        status, answer = await bot.alert("alertmanager", body)  # still the same group
        assert (status, answer["outcome"], answer["incident"]) == (200, "unchanged", "INC-1")
    finally:
        await bot.close()
