"""Two replicas on one PostgreSQL database run one person's paging rules together: every step
of every page leaves exactly once, whichever replica's timer loop claims it and whichever
replica's sender holds the row's lane.

U0AAA (level 1) is paged by ntfy at once, by e-mail after 2 minutes and by ntfy again after
5; both replicas fire timers and deliver in the same rounds, on one injected clock.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import timedelta

import pytest

from bot.app import Firebell
from tests.support import database
from tests.support.db import rows
from tests.support.harness import CONFIG
from tests.support.paging import started

pytestmark = pytest.mark.skipif(
    not database.on_postgres(), reason=f"PostgreSQL only: set {database.ENV} to a server"
)
PEOPLE = """
people:
  - user: U0AAA
    email: alice@example.com
    ntfy: alice-pager-7f3a
    rules:
      - {after: 0m, via: [slack, ntfy]}
      - {after: 2m, via: [email]}
      - {after: 5m, via: [ntfy]}
"""
INCIDENTS = 8
STEP = timedelta(seconds=15)


def number(text: str) -> str:
    return re.search(r"INC-\d+", text).group(0)


@pytest.fixture
async def bot(tmp_path, double):
    async with started(tmp_path, double, CONFIG + PEOPLE) as running:
        yield running


async def test_each_step_of_each_page_leaves_once_from_two_replicas(bot):
    other = Firebell(bot.settings(), bot.config, bot.clock, run_workers=False)
    await other.start()
    replicas = (bot.app, other)
    try:
        for n in range(INCIDENTS):
            await bot.command(f"declare sev2 Checkout failing {n}")
        for _ in range(6 * 60 // STEP.seconds):  # six minutes: every step falls due
            await asyncio.gather(*(app.timers.run_once() for app in replicas))
            await asyncio.gather(*(app.sender.run_once() for app in replicas))
            bot.clock.advance(STEP)
        await bot.deliver(other, max_rounds=20)  # what is still pending goes now
    finally:
        await other.stop()

    pushes = Counter(number(r.json["title"]) for r in bot.ntfy.requests)
    mails = Counter(number(m.message["Subject"]) for m in bot.mail.received)
    numbers = {f"INC-{n + 1}" for n in range(INCIDENTS)}
    assert pushes == {number: 2 for number in numbers}  # at once, and after 5 minutes
    assert mails == {number: 1 for number in numbers}
    assert rows(bot, "SELECT status, count(*) FROM timers WHERE kind = 'page_step' GROUP BY 1") == [
        ("fired", 2 * INCIDENTS)
    ]
    assert rows(bot, "SELECT count(*) FROM outbox WHERE status = 'pending'") == [(0,)]
