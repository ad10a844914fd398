"""Each outbox row reaches Slack once, even when Slack took a post but its answer never came
back (a timeout here; a crash in tests/app/test_kill_restart.py): the row stays in flight, and
its retry finds the message by the row id in its metadata instead of posting it again."""

from __future__ import annotations

import pytest

from bot.slack.ids import Action
from tests.support.db import rows
from tests.support.harness import CHANNEL, Bot
from tests.support.slack_views import card_of, replies

TIMEOUT = 1.0  # the sender's wait for Slack; the double answers later than that
LATE = 3.0


@pytest.fixture
async def bot(tmp_path, double):
    running = await Bot(tmp_path, double, slack_timeout=TIMEOUT).start()
    yield running
    await running.close()


def top_level_posts(double) -> list:
    return [
        c
        for c in double.calls_to("chat.postMessage")
        if c.params["channel"] == CHANNEL and not c.params.get("thread_ts")
    ]


async def test_a_card_post_answered_too_late_is_adopted_not_posted_twice(bot, double):
    double.inject("chat.postMessage", delay=LATE, times=1)  # the card: taken, answer late
    await bot.command("declare sev2 Checkout slow")
    await bot.deliver()
    assert len(top_level_posts(double)) == 1
    card = card_of(double)
    assert replies(double) and "declared INC-1" in replies(double)[0]
    history = double.calls_to("conversations.history")  # it joins the channel to read it
    assert history[0].error == "not_in_channel" and double.calls_to("conversations.join")
    assert history[-1].params["include_all_metadata"] in (True, "true", "1")
    assert rows(bot, "SELECT status, sent_ts FROM outbox WHERE kind = 'card'") == [
        ("sent", card["ts"])
    ]
    assert rows(bot, "SELECT thread_ts FROM incidents") == [(card["ts"],)]


async def test_a_thread_reply_answered_too_late_is_found_in_its_thread(bot, double):
    await bot.command("declare sev2 Checkout slow")
    await bot.deliver()
    double.inject("chat.postMessage", delay=LATE, times=1)
    await bot.command("update INC-1 rolling back")
    await bot.deliver()
    assert [r for r in replies(double) if "rolling back" in r] == [
        next(r for r in replies(double) if "rolling back" in r)
    ]
    assert double.calls_to("conversations.replies")
    assert rows(bot, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'") == [(0,)]


async def test_a_page_by_dm_answered_too_late_is_found_in_the_im(bot, double):
    await bot.command("declare sev2 Checkout slow")
    await bot.deliver()
    # escalating posts a thread reply, then pages level 2 by DM: both answers come too late
    double.inject("chat.postMessage", delay=LATE, times=2)
    await bot.command("escalate INC-1")
    await bot.deliver()
    opened = double.calls_to("conversations.open")
    assert opened and {c.params["users"] for c in opened} == {"U0LEAD"}
    lead = double.messages(double.dm_channel("U0LEAD"))
    assert ["You are being paged" in m["text"] for m in lead] == [True]  # once
    assert len([r for r in replies(double) if "escalated" in r.lower()]) == 1
    assert rows(bot, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'") == [(0,)]


async def test_an_update_answered_too_late_is_made_again_without_looking(bot, double):
    """Only posts are marked in flight: an update made twice changes nothing more, so its
    retry looks for nothing (and delivering it wrote no mark)."""
    await bot.command("declare sev2 Checkout slow")
    await bot.deliver()
    double.inject("chat.update", delay=LATE, times=1)  # the card's re-render: answer late
    await bot.command("ack INC-1")
    await bot.deliver()
    updates = double.calls_to("chat.update")
    assert len(updates) >= 2 and updates[0].params["ts"] == updates[-1].params["ts"]
    assert "Acknowledged" in str(card_of(double)["blocks"])
    assert double.calls_to("conversations.history") == []
    posted, *updated = rows(bot, "SELECT in_flight_at FROM outbox WHERE kind = 'card' ORDER BY id")
    assert posted[0] is not None and updated and all(r[0] is None for r in updated)
    assert rows(bot, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'") == [(0,)]


async def test_a_refused_post_is_not_in_flight_and_is_retried_without_looking(bot, double):
    double.inject("chat.postMessage", status=503, times=1)
    await bot.command("declare sev2 Checkout slow")
    await bot.deliver()
    assert len(top_level_posts(double)) == 2  # the refused attempt, then the card
    assert double.calls_to("conversations.history") == []  # Slack said no: nothing to look for


async def test_a_card_slack_refuses_falls_back_to_plain_text_and_keeps_its_thread(bot, double):
    double.inject("chat.postMessage", error="invalid_blocks", times=1)
    await bot.command("declare sev2 Checkout slow")
    await bot.deliver()
    [card] = double.messages(CHANNEL, top_level_only=True)
    assert not card.get("blocks") and card["text"].startswith("INC-1")
    assert "declared INC-1" in double.thread(CHANNEL, card["ts"])[0]["text"]  # the thread lives
    async with bot.http.get(f"{bot.base}/readyz") as response:
        failures = (await response.json())["outbox"]["recent_failures"]
    assert [f["error"] for f in failures] == [
        "card shown as plain text: slack error: invalid_blocks"
    ]
    await bot.command("ack INC-1")
    await bot.deliver()
    assert card_of(double)["blocks"]  # the next render has its blocks again


async def test_a_private_answer_does_not_wait_behind_the_channels_pacing(bot, double):
    for n in range(4):  # 8 posts for the incident channel: more than one round's burst
        await bot.command(f"declare sev4 Slow page {n}")
    await bot.click(Action.ACK, "1", channel_id=CHANNEL)
    await bot.click(Action.ACK, "1", user="U0BOB", channel_id=CHANNEL)  # already acknowledged
    await bot.app.sender.run_once()  # one round, the clock standing still
    [answer] = double.calls_to("chat.postEphemeral")
    assert answer.params["user"] == "U0BOB" and "already acknowledged" in answer.params["text"]
    assert len(top_level_posts(double)) < 4  # the channel itself is still paced


async def test_a_lookup_slack_refuses_for_now_keeps_the_row_in_flight_and_looks_again(bot, double):
    double.inject("chat.postMessage", delay=LATE, times=1)
    double.inject("conversations.history", status=503, times=1)
    await bot.command("declare sev2 Checkout slow")
    await bot.deliver()
    assert len(top_level_posts(double)) == 1  # looked again after the 503: found, not reposted
    assert [c.error or c.fault for c in double.calls_to("conversations.history")][-1] is None


async def test_a_lookup_slack_will_never_answer_posts_again_rather_than_lose_the_card(
    bot, double, capsys
):
    double.inject("chat.postMessage", delay=LATE, times=1)
    double.inject("conversations.history", error="missing_scope", times=10)
    await bot.command("declare sev2 Checkout slow")
    await bot.deliver()
    assert len(top_level_posts(double)) == 2  # at least once: a repeat, never a loss
    assert "outbox_lookup_failed" in capsys.readouterr().out
    assert rows(bot, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'") == [(0,)]


async def test_a_rate_limited_lookup_keeps_the_row_in_flight_and_looks_again(bot, double):
    """A 429 answers the lookup, not the post: the post may still be in Slack (found by the
    crash soak, which posted such rows twice)."""
    double.inject("chat.postMessage", delay=LATE, times=1)
    double.inject("conversations.history", status=429, retry_after=1, times=1)
    await bot.command("declare sev2 Checkout slow")
    await bot.deliver()
    assert len(top_level_posts(double)) == 1
    assert len(double.messages(CHANNEL, top_level_only=True)) == 1


async def test_a_refused_dm_lookup_keeps_the_page_in_flight(bot, double):
    await bot.command("declare sev2 Checkout slow")
    await bot.deliver()
    double.inject("chat.postMessage", delay=LATE, times=2)  # the escalation reply and the page
    double.inject("conversations.open", status=503, times=1)
    await bot.command("escalate INC-1")
    await bot.deliver()
    lead = double.messages(double.dm_channel("U0LEAD"))
    assert ["You are being paged" in m["text"] for m in lead] == [True]


async def test_a_card_adopted_from_an_older_render_is_brought_up_to_date(bot, double):
    """The card landed but its answer came too late; the incident changed before the retry
    found it. The card found shows the older state, so the later change is not taken as
    shown: the card is updated to what the incident is now."""
    double.inject("chat.postMessage", delay=LATE, times=1)
    await bot.command("declare sev2 Checkout slow")
    await bot.app.sender.run_once()  # the card is posted; its answer times out
    assert card_of(double)["text"].startswith("INC-1 [SEV2] declared")
    await bot.command("ack INC-1")
    await bot.deliver()
    assert len(top_level_posts(double)) == 1
    assert card_of(double)["text"].startswith("INC-1 [SEV2] acknowledged")
