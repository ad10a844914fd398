"""Two replicas on one PostgreSQL database pace a shared channel together: posting into a
channel takes that channel's lane, so one replica at a time spends its tokens, and the channel
sees Slack's one post a second (after a burst of 3), not one a second per replica."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import Firebell
from tests.support import database
from tests.support.harness import CHANNEL

pytestmark = pytest.mark.skipif(
    not database.on_postgres(), reason=f"PostgreSQL only: set {database.ENV} to a server"
)
STEP = timedelta(milliseconds=250)


def channel_posts(double) -> int:
    return sum(
        1
        for c in double.calls_to("chat.postMessage")
        if not c.fault and c.params["channel"] == CHANNEL
    )


async def test_two_replicas_post_into_one_channel_at_one_rate(bot, double):
    other = Firebell(bot.settings(), bot.config, bot.clock, run_workers=False)
    await other.start()
    try:
        for n in range(3):
            await bot.command(f"declare sev4 First wave {n}")
        await bot.app.sender.run_once()  # this replica takes those incidents' lanes
        for n in range(3):
            await bot.command(f"declare sev4 Second wave {n}")
        await other.sender.run_once()  # the other replica takes the new incidents' lanes
        assert channel_posts(double) <= 3  # at most one burst for the channel, not one each

        start, total = bot.clock.now(), 12  # six cards and six declaration replies
        for _ in range(400):
            if channel_posts(double) >= total:
                break
            bot.clock.advance(STEP)
            await bot.app.sender.run_once()
            await other.sender.run_once()
        assert channel_posts(double) == total
        # one a second after at most one burst of 3 (two replicas on their own: two a second)
        assert bot.clock.now() - start >= timedelta(seconds=total - 3)
    finally:
        await other.stop()
