"""Escalation on the clock: durable timers, fences, coverage, restarts and racing workers."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from bot.services.timers import TimerService
from bot.slack.ids import Action
from bot.store.db import Database
from tests.support.db import count, rows
from tests.support.harness import CHANNEL, CONFIG, COVERED, SATURDAY, Bot
from tests.support.slack_views import cards, dms, paged, replies


def db(bot):
    return bot


REMINDERS = (":alarm_clock:", ":hourglass:")


def responses(double) -> list[str]:
    """INC-1's thread, without update reminders (which run on their own clock)."""
    return [text for text in replies(double) if not text.startswith(REMINDERS)]


async def test_unacknowledged_sev2_escalates_exactly_at_the_deadline_and_stops_on_ack(bot, double):
    await bot.command("declare sev2 Checkout slow")
    await bot.deliver()
    assert paged(double) == ["U0AAA"]
    assert dms(double, "You are being paged for *INC-1* (SEV2)") == ["U0AAA"]

    await bot.advance(timedelta(minutes=59, seconds=59))
    assert count(db(bot), "events", "kind = 'escalated'") == 0
    await bot.advance(timedelta(seconds=1))
    [(at,)] = rows(db(bot), "SELECT at FROM events WHERE kind = 'escalated'")
    assert at == "2026-03-02 10:00:00.000000"  # declared 09:00 UTC, SEV2 ack within 1h
    await bot.deliver()
    assert "Firebell escalated INC-1 to level 2: <@U0LEAD>." in responses(double)[-1]
    assert "Reason: not acknowledged within 1h" in responses(double)[-1]
    assert paged(double) == ["U0AAA", "U0LEAD"]

    await bot.command("ack INC-1", user="U0LEAD")
    await bot.advance(timedelta(days=3))
    await bot.deliver()
    assert count(db(bot), "events", "kind = 'escalated'") == 1
    assert count(db(bot), "timers", "status = 'pending' AND kind IN ('escalate', 'page')") == 0
    assert "acknowledged INC-1" in responses(double)[-1]
    assert paged(double) == ["U0AAA", "U0LEAD"]


async def test_a_levels_after_sets_the_wait_before_it_and_the_chain_ends_once(bot, double):
    await bot.command("declare sev1 Everything down")  # SEV1: ack within 15m
    await bot.advance(timedelta(minutes=15))  # level 2
    assert count(db(bot), "events", "kind = 'escalated'") == 1
    await bot.advance(timedelta(minutes=29))
    assert count(db(bot), "events", "kind = 'escalated'") == 1
    await bot.advance(timedelta(minutes=1))  # level 3 has `after: 30m`
    assert count(db(bot), "events", "kind = 'escalated'") == 2
    await bot.advance(timedelta(minutes=15))  # nobody left: said once
    await bot.advance(timedelta(days=1))
    assert count(db(bot), "events", "kind = 'exhausted'") == 1
    await bot.deliver()
    assert "Nobody acknowledged INC-1 after all 3 escalation levels" in responses(double)[-1]
    assert count(db(bot), "timers", "status = 'pending' AND kind IN ('escalate', 'page')") == 0


async def test_escalate_button_jumps_a_level_and_restarts_the_clock(bot, double):
    await bot.command("declare sev2 Queue stuck")
    await bot.advance(timedelta(minutes=40))
    await bot.click(Action.ESCALATE, "1", user="U0BOB")
    assert count(db(bot), "events", "kind = 'escalated'") == 1
    await bot.advance(timedelta(minutes=29))  # level 3 comes 30m after level 2
    assert count(db(bot), "events", "kind = 'escalated'") == 1
    await bot.advance(timedelta(minutes=1))
    assert count(db(bot), "events", "kind = 'escalated'") == 2
    actors = rows(db(bot), "SELECT actor FROM events WHERE kind = 'escalated' ORDER BY id")
    assert actors == [("U0BOB",), ("firebell",)]


async def test_repeat_runs_the_chain_again(tmp_path, double):
    config = CONFIG.replace("repeat: 0", "repeat: 1")
    bot = await Bot(tmp_path, double, config=config).start()
    try:
        await bot.command("declare sev1 Repeating")
        await bot.advance(timedelta(minutes=15 + 30 + 15))  # levels 2, 3, then 1 again
        levels = rows(db(bot), "SELECT data FROM events WHERE kind = 'escalated' ORDER BY id")
        assert [eval_level(d) for (d,) in levels] == [1, 2, 3]
        await bot.deliver()
        assert "to level 4: <@U0AAA> (rotation *primary*)" in responses(double)[-1]
    finally:
        await bot.close()


def eval_level(data: str) -> int:
    return json.loads(data)["level"]


async def test_resolve_stops_escalation_and_stale_timers_do_nothing(bot, double):
    await bot.command("declare sev2 Resolved quickly")
    await bot.command("resolve INC-1")
    assert rows(db(bot), "SELECT status FROM timers WHERE kind IN ('escalate', 'page')") == [
        ("cancelled",)
    ]

    # a timer armed for an older schedule, as if claimed late by another replica
    async def stale(conn_factory=bot.app.db):
        import sqlalchemy as sa

        from bot.store.tables import timers

        now = bot.clock.now()
        await conn_factory.write(
            lambda conn: conn.execute(
                sa.insert(timers).values(
                    incident_id=1,
                    kind="escalate",
                    due_at=now,
                    fence=0,
                    status="pending",
                    payload={},
                    created_at=now,
                )
            )
        )

    await stale()
    await bot.tick()
    assert count(db(bot), "timers", "status = 'stale' AND kind IN ('escalate', 'page')") == 1
    assert count(db(bot), "events", "kind = 'escalated'") == 0


async def test_restart_with_timers_pending_fires_each_overdue_timer_once(tmp_path, double):
    bot = await Bot(tmp_path, double).start()
    try:
        await bot.command("declare sev2 First")
        await bot.command("declare sev1 Second")
        await bot.stop()
        bot.clock.advance(timedelta(hours=3))  # down for three hours
        await bot.start()
        await bot.tick()
        await bot.tick()
        escalations = rows(
            db(bot), "SELECT incident_id, at FROM events WHERE kind = 'escalated' ORDER BY id"
        )
        assert sorted(n for n, _ in escalations) == [1, 2]  # once each, at restart
        assert all(at == "2026-03-02 12:00:00.000000" for _, at in escalations)
        due = rows(
            db(bot),
            "SELECT incident_id, due_at FROM timers WHERE status = 'pending' AND kind IN ('escalate', 'page')",
        )
        # both now wait for level 3, which is called 30m after level 2
        assert sorted(due) == [(1, "2026-03-02 12:30:00.000000"), (2, "2026-03-02 12:30:00.000000")]
    finally:
        await bot.close()


async def test_two_workers_racing_for_the_same_timer_act_once(bot, double):
    await bot.command("declare sev2 Raced")
    bot.clock.advance(timedelta(hours=1))
    other_db = Database(bot.database_url)  # a second worker with its own connections
    try:
        other = TimerService(other_db, bot.app.services.incidents.ctx, bot.clock)
        first, second = await asyncio.gather(bot.app.services.timers.fire_due(), other.fire_due())
        assert first.fired + second.fired == 2  # the escalation and the update reminder
        assert count(db(bot), "events", "kind = 'escalated'") == 1
        assert count(db(bot), "timers", "status = 'fired' AND kind IN ('escalate', 'page')") == 1
    finally:
        await other_db.close()


async def test_outside_coverage_wait_says_when_and_starts_the_clock_then(tmp_path, double):
    bot = Bot(tmp_path, double, config=COVERED)
    bot.clock.set(SATURDAY)
    await bot.start()
    try:
        await bot.command("declare sev3 Reports slow")
        await bot.deliver()
        [card] = cards(double)
        assert "No guaranteed response until Mon 09 Mar 09:00 (Europe/Berlin)" in str(card)
        assert "No guaranteed response until Mon 09 Mar 09:00" in responses(double)[0]
        assert paged(double) == []  # nobody is paged outside coverage

        monday_nine = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
        await bot.advance(monday_nine - bot.clock.now() - timedelta(seconds=1))
        assert count(db(bot), "events", "kind = 'paged'") == 0
        await bot.advance(timedelta(seconds=1))
        await bot.deliver()
        assert "Coverage has resumed: paging level 1 for INC-1" in responses(double)[-1]
        # the weekly handoff is Monday 09:00: the new week's person is paged, not last week's
        assert "<@U0BBB> (rotation *primary*)" in responses(double)[-1]
        assert paged(double) == ["U0BBB"]
        # the same instant is the weekly handover: U0BBB is told, and so is the channel
        assert dms(double, "You are on call") == ["U0BBB"]
        [handover] = [
            m for m in double.messages(CHANNEL, top_level_only=True) if m not in cards(double)
        ]
        body = handover["blocks"][0]["text"]["text"]
        assert "Handover for *primary*: <@U0BBB> is on call until" in body
        assert "Taking over from <@U0AAA>" in body
        assert "*INC-1* [SEV3] Reports slow · declared · open 1d 20h" in body
        await bot.advance(timedelta(hours=4))  # SEV3: ack within 4h of coverage resuming
        assert rows(db(bot), "SELECT at FROM events WHERE kind = 'escalated'") == [
            ("2026-03-09 12:00:00.000000",)
        ]
    finally:
        await bot.close()


async def test_outside_coverage_page_pages_at_once(tmp_path, double):
    bot = Bot(tmp_path, double, config=COVERED)
    bot.clock.set(SATURDAY)
    await bot.start()
    try:
        await bot.command("declare sev2 Payments down")  # SEV2 pages outside coverage
        await bot.deliver()
        assert paged(double) == ["U0AAA"]
        assert "No guaranteed response" not in str(double.messages(CHANNEL))
        await bot.advance(timedelta(hours=1))
        assert count(db(bot), "events", "kind = 'escalated'") == 1
    finally:
        await bot.close()


async def test_acknowledging_while_waiting_cancels_the_page(tmp_path, double):
    bot = Bot(tmp_path, double, config=COVERED)
    bot.clock.set(SATURDAY)
    await bot.start()
    try:
        await bot.command("declare sev3 Noticed on the weekend")
        await bot.command("ack INC-1", user="U0BOB")
        await bot.advance(timedelta(days=3))
        assert count(db(bot), "events", "kind IN ('paged', 'escalated')") == 0
        assert count(db(bot), "timers", "status = 'pending' AND kind IN ('escalate', 'page')") == 0
    finally:
        await bot.close()
