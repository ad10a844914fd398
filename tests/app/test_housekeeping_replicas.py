"""Two replicas on one PostgreSQL database run their timer rounds side by side while the
daily housekeeping deletes a long history in steps, and declarations keep coming: each step
fires once, on one replica, nothing old is left and nothing new is lost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.app import Firebell
from bot.services import housekeeping
from bot.store.tables import outbox
from tests.support import database
from tests.support.db import count, delivered_row, rows
from tests.support.harness import CHANNEL

pytestmark = pytest.mark.skipif(
    not database.on_postgres(), reason=f"PostgreSQL only: set {database.ENV} to a server"
)


async def test_two_replicas_share_the_steps_and_declarations_go_in_between(bot):
    seeded = [delivered_row(bot.clock.now(), CHANNEL) for _ in range(2 * housekeeping.STEP + 7)]
    await bot.app.db.write(lambda conn: conn.execute(sa.insert(outbox), seeded))
    await bot.advance(timedelta(days=30, hours=15, minutes=29))  # Thu 2 April 00:29
    bot.clock.set(datetime(2026, 4, 2, 0, 30, tzinfo=UTC))
    other = Firebell(bot.settings(), bot.config, bot.clock, run_workers=False)
    await other.start()
    try:
        for n in range(4):  # three steps, then a round that finds nothing due
            await asyncio.gather(
                bot.app.timers.run_once(),
                other.timers.run_once(),
                bot.command(f"declare sev4 Between steps {n}"),
            )
        assert count(bot, "outbox", "kind = 'handover' AND status = 'sent'") == 0
        steps = rows(
            bot,
            "SELECT status, COUNT(*) FROM timers WHERE kind = 'housekeeping' "
            "AND due_at = '2026-04-02 00:30:00+00' GROUP BY status",
        )
        assert steps == [("fired", 3)]  # the day's run and two more steps, each once
        assert count(bot, "incidents") == 4
        assert count(bot, "outbox", "incident_id IS NOT NULL") >= 4 * 2  # cards, replies
    finally:
        await other.stop()
