"""`/readyz`'s figures of how late things run (#16): the oldest undelivered row's age, Slack
deliveries' recent outcomes, the most overdue timer; today's keys and statuses unchanged."""

from __future__ import annotations

from datetime import timedelta

from tests.support.harness import CHANNEL


async def readyz(bot) -> tuple[int, dict]:
    async with bot.http.get(f"{bot.base}/readyz") as response:
        return response.status, await response.json()


async def test_a_quiet_firebell_reports_nothing_late(bot):
    status, body = await readyz(bot)
    assert status == 200 and body["ok"] is True
    assert {"replica", "database", "migrations"} <= set(body)
    assert body["outbox"] == {"backlog": 0, "recent_failures": [], "oldest_age_s": 0}
    assert body["slack"] == {"last_success_at": None, "consecutive_failures": 0}
    assert body["timers"] == {"lag_s": 0}


async def test_the_oldest_undelivered_row_ages_until_it_is_delivered(bot):
    await bot.command("declare sev2 Search is slow")
    bot.clock.advance(timedelta(seconds=90))
    status, body = await readyz(bot)
    assert status == 200  # late is not unready: the watchdog judges the age
    assert body["outbox"]["backlog"] > 0 and body["outbox"]["oldest_age_s"] == 90
    await bot.deliver()
    _, body = await readyz(bot)
    assert body["outbox"]["oldest_age_s"] == 0 and body["outbox"]["backlog"] == 0


async def test_slack_failures_in_a_row_and_the_last_success(bot, double):
    double.inject("chat.postMessage", status=503, times=1_000)
    await bot.command("declare sev2 Search is slow")
    await bot.command("declare sev2 Checkout is slow")
    await bot.app.sender.run_once()
    _, body = await readyz(bot)
    # one card per incident and one DM bundling both pages to U0AAA, each refused
    assert body["slack"]["consecutive_failures"] == 3
    assert body["slack"]["last_success_at"] is None
    double.clear_faults()
    await bot.deliver()
    assert double.messages(CHANNEL)
    _, body = await readyz(bot)
    assert body["slack"]["consecutive_failures"] == 0
    assert body["slack"]["last_success_at"] == bot.clock.now().isoformat()


async def test_a_rate_limit_is_no_failure(bot, double):
    double.inject("chat.postMessage", status=429, retry_after=1, times=1)
    await bot.command("declare sev2 Search is slow")
    await bot.app.sender.run_once()
    _, body = await readyz(bot)
    assert body["slack"]["consecutive_failures"] == 0


async def test_timer_lag_is_how_late_the_most_overdue_timer_is(bot):
    await bot.command("declare sev2 Search is slow")  # its escalation is due in 1h (ack_within)
    await bot.deliver()
    _, body = await readyz(bot)
    assert body["timers"] == {"lag_s": 0}  # due later: not late
    bot.clock.advance(timedelta(hours=1, minutes=5))  # no timer round ran meanwhile
    _, body = await readyz(bot)
    assert body["timers"]["lag_s"] == 300
