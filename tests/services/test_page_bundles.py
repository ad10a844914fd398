"""A storm pages a person with a few DMs, not one per incident: the pages due when a DM goes
out share it (most severe first, each with its Acknowledge button), at most one DM per person
per 5 s; nothing is lost and nothing is sent twice."""

from __future__ import annotations

from datetime import timedelta

from bot.slack.delivery.incident import MOST
from bot.slack.delivery.sender import BUNDLE_EVERY
from bot.slack.ids import Action
from tests.support.db import rows
from tests.support.harness import Bot
from tests.support.slack_views import ack_buttons


def pages(double, user: str = "U0AAA") -> list[dict]:
    return double.messages(double.dm_channel(user))


def listed(message: dict) -> list[int]:
    """The incidents a page DM lists, in order (one `page:<id>` block each)."""
    return [
        int(b["block_id"].split(":")[1])
        for b in message.get("blocks") or []
        if str(b.get("block_id", "")).startswith("page:")
    ]


def unsettled(bot) -> list:
    return rows(bot, "SELECT id, status FROM outbox WHERE kind = 'dm' AND status != 'sent'")


async def test_thirty_pages_due_at_once_are_one_dm_listing_every_incident(bot, double):
    for n in range(30):
        await bot.command(f"declare sev2 Storm {n}")
    await bot.deliver()
    [page] = pages(double)
    assert "30 incidents" in page["text"]
    assert sorted(listed(page)) == list(range(1, 31))
    assert sorted(int(v) for v in ack_buttons(page)) == list(range(1, 31))
    assert unsettled(bot) == []  # every page row sent, in that one message
    [(ts,)] = rows(bot, "SELECT DISTINCT sent_ts FROM outbox WHERE kind = 'dm'")
    assert ts == page["ts"]


async def test_more_than_one_dm_holds_go_five_seconds_apart_none_twice(bot, double):
    for n in range(MOST + 10):
        await bot.command(f"declare sev2 Storm {n}")
    start = bot.clock.now()
    await bot.deliver()
    first, second = pages(double)
    assert len(listed(first)) == MOST and len(listed(second)) == 10
    assert sorted(listed(first) + listed(second)) == list(range(1, MOST + 11))
    assert bot.clock.now() - start >= timedelta(seconds=BUNDLE_EVERY)
    assert unsettled(bot) == []


async def test_the_first_page_goes_alone_and_the_next_ones_wait_for_one_dm(bot, double):
    await bot.command("declare sev2 First")
    await bot.app.sender.run_once()
    [alone] = pages(double)
    assert listed(alone) == [1] and "You are being paged for *INC-1*" in alone["text"]
    for n in range(5):
        await bot.command(f"declare sev2 Next {n}")
    await bot.app.sender.run_once()
    assert len(pages(double)) == 1  # within 5 s of the first: they wait
    await bot.deliver()
    [_, bundled] = pages(double)
    assert listed(bundled) == [2, 3, 4, 5, 6]


async def test_the_most_severe_comes_first_and_an_ack_re_renders_the_bundle(bot, double):
    for n in range(3):
        await bot.command(f"declare sev2 Minor {n}")
    await bot.command("declare sev1 Everything is down")  # pages U0AAA (rotation) too
    await bot.deliver()
    [page] = pages(double)
    assert listed(page) == [4, 1, 2, 3]
    await bot.click(Action.ACK, "2", user="U0AAA")
    await bot.deliver()
    [page] = pages(double)  # the same message, updated
    assert listed(page) == [4, 1, 2, 3] and sorted(ack_buttons(page)) == ["1", "3", "4"]
    assert "Acknowledged by <@U0AAA>" in str(page["blocks"][3])


async def test_a_rate_limited_bundle_waits_for_retry_after_and_goes_once(bot, double):
    for n in range(3):
        await bot.command(f"declare sev2 Storm {n}")
    await bot.app.sender.paced.run_once()  # the channel posts first, as Slack allows
    double.inject("chat.postMessage", status=429, retry_after=7, times=1)
    start = bot.clock.now()
    await bot.app.sender.quick.run_once()  # the DM: refused
    await bot.deliver()
    [page] = pages(double)
    assert sorted(listed(page)) == [1, 2, 3]
    assert bot.clock.now() - start >= timedelta(seconds=7)
    assert unsettled(bot) == []


async def test_a_bundle_whose_answer_never_came_is_adopted_with_exactly_what_it_carried(
    tmp_path, double
):
    """Slack took the bundle's post but its answer came too late (as after a crash): the
    next round finds the message by its metadata and settles the rows it lists, posting
    nothing again."""
    bot = await Bot(tmp_path, double, slack_timeout=1.0).start()
    try:
        await bot.command("declare sev2 First")
        await bot.deliver()
        for n in range(5):
            await bot.command(f"declare sev2 Next {n}")
        while (at := await bot.app.sender.paced.run_once()) is not None:  # the channel first
            bot.clock.set(max(at, bot.clock.now()))
        double.inject("chat.postMessage", delay=3.0, times=1)  # the bundle: taken, answer late
        await bot.deliver()
        first, bundled = pages(double)
        assert listed(first) == [1] and listed(bundled) == [2, 3, 4, 5, 6]
        posted = [
            c
            for c in double.calls_to("chat.postMessage")
            if c.params["channel"] in ("U0AAA", double.dm_channel("U0AAA"))
        ]
        assert len(posted) == 2  # looked up, not posted again
        assert double.calls_to("conversations.history")
        assert unsettled(bot) == []
        sent = rows(bot, "SELECT incident_id, sent_ts FROM outbox WHERE kind = 'dm' ORDER BY id")
        assert sent == [(1, first["ts"])] + [(n, bundled["ts"]) for n in range(2, 7)]
    finally:
        await bot.close()
