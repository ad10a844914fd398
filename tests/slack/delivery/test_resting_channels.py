"""A channel whose pace lets nothing out rests: the sender does not read its backlog again
until the pace allows a post, so one team's storm neither costs a rescan on every write nor
keeps another channel's posts out of the sender's read. Nothing in the resting channel is
lost: every card goes up once its turn comes."""

from __future__ import annotations

import pytest

from bot.slack.delivery.sender import OutboxSender
from bot.store.db import LaneLocks
from tests.support.alerts import AlertBot
from tests.support.slack_views import cards
from tests.support.teams import CONFIG, PAYMENTS, PLATFORM


@pytest.fixture
async def bot(tmp_path, double):
    running = await AlertBot(tmp_path, double, config=CONFIG).start()
    yield running
    await running.close()


@pytest.fixture
async def small_sender(bot):
    """A paced sender like the app's, reading `batch` rows a round; its lanes let go after."""
    made: list[OutboxSender] = []

    def build(batch: int) -> OutboxSender:
        paced = bot.app.sender.paced
        sender = OutboxSender(
            paced.outbox,
            paced.table,
            paced.deliveries,
            paced.clock,
            paced.telemetry,
            kinds=paced.kinds,
            among=False,
            batch=batch,
        )
        made.append(sender)
        return sender

    yield build
    for sender in made:
        await sender.lanes.close()


async def test_a_paced_backlog_does_not_hide_another_channels_card(bot, double, small_sender):
    sender = small_sender(batch=8)
    for n in range(12):
        await bot.command(f"declare sev3 Storm {n} team:platform")
    await bot.command("declare sev3 Billing slow team:payments")

    for _ in range(3):  # rounds at one instant: the clock does not move
        await sender.run_once()
    assert len(cards(double, channel=PLATFORM)) == 3  # the channel's burst, then its pace
    assert len(cards(double, channel=PAYMENTS)) == 1  # read past the backlog at once

    while (next_at := await sender.run_once()) is not None:  # the pace's turns come
        bot.clock.set(max(next_at, bot.clock.now()))
    headers = [c["blocks"][0]["text"]["text"] for c in cards(double, channel=PLATFORM)]
    assert sorted(headers) == sorted(f"INC-{n + 1} · Storm {n}" for n in range(12))
    assert len(cards(double, channel=PAYMENTS)) == 1


async def test_a_resting_channel_is_not_read_until_its_pace_allows(bot, double, small_sender):
    sender = small_sender(batch=500)
    for n in range(5):
        await bot.command(f"declare sev3 Storm {n} team:platform")
    first = await sender.run_once()
    assert first is not None and first > bot.clock.now()  # the burst is spent
    read: list[int] = []
    pending = sender.outbox.pending

    async def counting(*args, **kwargs):
        rows = await pending(*args, **kwargs)
        read.append(len(rows))
        return rows

    sender.outbox.pending = counting
    await bot.command("declare sev3 Storm 5 team:platform")  # a write wakes the sender
    assert await sender.run_once() == first  # still resting: told when to look again
    assert read == [0]  # and none of the channel's rows read
    if not bot.app.db.is_sqlite:  # and this replica keeps pacing it: its lane stays held
        assert LaneLocks.key(("channel", PLATFORM)) in sender.lanes.held
    bot.clock.set(first)
    await sender.run_once()
    assert read[-1] > 0 and len(cards(double, channel=PLATFORM)) == 4
