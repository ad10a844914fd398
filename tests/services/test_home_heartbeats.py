"""App Home's heartbeats over the real app with the injected clock: each heartbeat with its
state, its last beat (a date Slack shows in the reader's zone) and the incident its silence
opened, the silent ones first; no section at all without heartbeats."""

from __future__ import annotations

from datetime import timedelta

from tests.support.alerts import ALERTS_CONFIG, TOKEN, AlertBot
from tests.support.home import open_home, section_under

HEARTBEATS = """
heartbeats:
  - {name: fresh-check, every: 1h, grace: 10m}
  - {name: steady-cron, every: 10m, grace: 5m}
  - {name: slow-export, every: 10m, grace: 10m}
  - {name: nightly-backup, every: 5m, grace: 1m}
"""


async def beat(bot, name: str) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with bot.http.post(f"{bot.base}/heartbeat/{name}", headers=headers) as answer:
        assert answer.status == 204


async def test_home_lists_each_heartbeat_with_its_state_last_beat_and_incident(tmp_path, double):
    bot = AlertBot(tmp_path, double, config=ALERTS_CONFIG + HEARTBEATS)
    await bot.start()
    try:
        await bot.tick()  # the first round: the heartbeats' rows, first seen now
        await bot.advance(timedelta(minutes=15))  # nightly-backup missed at 6m: INC-1
        await beat(bot, "slow-export")
        late_beat = bot.clock.now()
        await bot.advance(timedelta(minutes=10))
        await beat(bot, "steady-cron")
        await bot.advance(timedelta(minutes=5))  # slow-export 15m silent: past 10m, in grace

        shown = section_under(await open_home(bot, double, "U0AAA"), "Heartbeats").splitlines()
        assert [line.split("`")[1] for line in shown] == [
            "nightly-backup",
            "slow-export",
            "fresh-check",
            "steady-cron",
        ]  # the silent and the late first
        missing, late, waiting, beating = shown
        assert missing == (
            "`nightly-backup` :broken_heart: missing: last beat never, expected every 5m, "
            "*INC-1* open"
        )
        stamp = int(late_beat.timestamp())
        assert late.startswith(
            f"`slow-export` :yellow_heart: late: last beat <!date^{stamp}^"
            "{date_short_pretty} {time}|Mon 02 Mar 10:15 CET>"
        )
        assert "INC-" not in late
        assert waiting == (
            "`fresh-check` :hourglass: waiting for its first beat: last beat never, "
            "expected every 1h"
        )
        assert beating.startswith("`steady-cron` :green_heart: beating: last beat <!date^")

        await beat(bot, "nightly-backup")  # back: its incident resolves, the link goes
        await bot.advance(timedelta(seconds=1))
        shown = section_under(await open_home(bot, double, "U0AAA"), "Heartbeats")
        assert "`nightly-backup` :green_heart: beating" in shown
        assert "INC-1" not in shown
    finally:
        await bot.close()


async def test_no_heartbeats_no_section(bot, double):
    blocks = await open_home(bot, double, "U0AAA")
    assert "Heartbeats" not in [b["text"]["text"] for b in blocks if b["type"] == "header"]
