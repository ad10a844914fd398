"""A page DM on its way to Slack when its incident is acknowledged still loses its button,
when another replica re-renders the incident's pages.

Replica B holds the incident's lane (it posted the card) and edits the page DMs recorded as
sent; replica A holds the person's lane and is posting the DM, Slack answering late. B finds
no DM to edit (A has not recorded it yet), so A must notice, once its DM is recorded, that
the incident changed meanwhile, and have it re-rendered.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.app import Firebell
from bot.slack.delivery.sender import BUNDLE_EVERY
from bot.slack.ids import Action
from tests.support import database
from tests.support.db import rows
from tests.support.harness import Bot
from tests.support.slack_views import buttons

pytestmark = pytest.mark.skipif(
    not database.on_postgres(), reason=f"PostgreSQL only: set {database.ENV} to a server"
)
LATE = 3.0  # seconds Slack takes to answer the DM's post: the window the acknowledgement hits
DM_SENT = "SELECT status FROM outbox WHERE kind = 'dm' AND incident_id = 2"
PENDING = "SELECT kind, incident_id FROM outbox WHERE status = 'pending' ORDER BY id"


@pytest.fixture
async def bot(tmp_path, double):
    running = Bot(tmp_path, double)
    await running.start()
    yield running
    await running.close()


async def test_a_page_in_flight_when_its_incident_is_taken_ends_without_its_button(bot, double):
    a = bot.app
    b = Firebell(bot.settings(), bot.config, bot.clock, run_workers=False)
    await b.start()
    try:
        await bot.command("declare sev2 Checkout slow")
        await a.sender.run_once()  # A: INC-1's card, reply and DM; holds U0AAA's lane
        await bot.command("declare sev2 Search slow")
        await b.sender.run_once()  # B: takes INC-2's lane (U0AAA's and the channel's are A's)
        assert ("dm", 2) in rows(bot, PENDING)
        bot.clock.advance(timedelta(seconds=BUNDLE_EVERY))  # U0AAA may get a DM again
        double.inject("chat.postMessage", delay=LATE)
        posting = asyncio.create_task(a.sender.run_once())  # A: only INC-2's DM, answered late
        await double.wait_until(lambda: len(double.messages(double.dm_channel("U0AAA"))) == 2)
        await bot.click(Action.ACK, "2", user="U0BOB")
        await b.sender.run_once()  # B: INC-2's pages re-rendered: none recorded as sent yet
        assert rows(bot, DM_SENT) != [("sent",)], f"Slack answered within {LATE}s"
        await posting
        await bot.deliver(b)
    finally:
        await b.stop()
    first, second = double.messages(double.dm_channel("U0AAA"))
    assert Action.ACK in buttons(first)  # INC-1 was not taken
    assert buttons(second) == {}
    assert "Acknowledged by <@U0BOB>" in second["blocks"][0]["text"]["text"]
    assert rows(bot, PENDING) == []
