"""The outbox under Slack faults: 429 storms, 500s, permanent errors, restarts, bursts."""

from __future__ import annotations

from datetime import timedelta

from bot.core.outbox import OutboxKind
from bot.slack.ids import Action
from bot.store import outbox as outbox_store
from tests.support.db import count, rows
from tests.support.harness import CHANNEL
from tests.support.slack_views import posts


def db(bot):
    return bot


async def test_deliveries_reuse_their_connections_to_slack(bot, double):
    """The sender's calls share a kept-alive session (slack_sdk would open a connection, and
    against Slack a TLS handshake, for every call)."""
    for n in range(3):
        await bot.command(f"declare sev2 Checkout slow {n}")
    await bot.deliver()
    posted = double.calls_to("chat.postMessage")
    assert len(posted) >= 6 and all(c.peer for c in posted)
    assert len({c.peer for c in posted}) < len(posted) / 2


async def test_a_connection_slack_closed_meanwhile_is_opened_again(bot, double):
    """Slack closes an idle kept-alive connection when it likes: the next delivery opens
    another, and no row needs a second attempt."""
    await bot.command("declare sev2 Checkout slow")
    await bot.deliver()
    earlier = double.calls_to("chat.postMessage")
    double.close_connections()
    await bot.command("declare sev2 Payments slow")
    await bot.deliver()
    later = double.calls_to("chat.postMessage")[len(earlier) :]
    assert later and not {c.peer for c in later} & {c.peer for c in earlier}
    assert rows(bot, "SELECT DISTINCT status, attempts, last_error FROM outbox") == [
        ("sent", 1, None)
    ]
    assert len(posts(double)) == 4  # two cards and their replies, each once


async def test_429_is_retried_after_retry_after(bot, double):
    double.inject("chat.postMessage", status=429, retry_after=7, times=1)
    start = bot.clock.now()
    await bot.command("declare sev2 Rate limited")
    await bot.deliver()
    attempts = double.calls_to("chat.postMessage")
    assert attempts[0].fault and not attempts[1].fault
    assert len(posts(double)) == 2  # the card and its one reply, each once
    assert bot.clock.now() - start >= timedelta(seconds=7)


async def test_500s_back_off_then_deliver_once(bot, double):
    await bot.command("declare sev2 Flaky Slack")
    await bot.deliver()  # the card, its reply and the DM to U0AAA
    double.inject("chat.postMessage", status=500, times=3)
    start = bot.clock.now()
    await bot.command("update INC-1 Rolled back")  # the card's update and one reply
    await bot.deliver()
    assert len([c for c in double.calls_to("chat.postMessage") if c.fault]) == 3
    assert len(posts(double)) == 3
    assert bot.clock.now() - start >= timedelta(seconds=1 + 2 + 4)
    assert count(db(bot), "outbox", "status = 'sent'") == 5


async def test_transient_ok_false_is_retried(bot, double):
    double.inject("chat.postMessage", error="internal_error", times=1)
    await bot.command("declare Transient")
    await bot.deliver()
    assert len(posts(double)) == 2


async def test_permanent_error_gives_up_and_shows_in_readyz(bot, double):
    double.missing_channels.add(CHANNEL)
    await bot.command("declare sev1 Nowhere to post")
    await bot.deliver()
    assert double.messages(CHANNEL) == []
    to_channel = [c for c in double.calls_to("chat.postMessage") if c.params["channel"] == CHANNEL]
    assert len(to_channel) == 1  # not retried
    failed = rows(db(bot), "SELECT kind, last_error FROM outbox WHERE status = 'failed'")
    assert ("card", "slack error: channel_not_found") in failed
    assert ("reply", "the incident's card was never posted") in failed
    response = await bot.http.get(f"{bot.base}/readyz")
    body = await response.json()
    errors = [f["error"] for f in body["outbox"]["recent_failures"]]
    assert "slack error: channel_not_found" in errors
    assert body["outbox"]["backlog"] == 0


async def test_429_storm_across_many_incidents_loses_and_doubles_nothing(bot, double):
    double.inject("chat.postMessage", status=429, retry_after=2, times=15)
    for n in range(10):
        await bot.command(f"declare sev2 Storm {n}")
        await bot.command(f"ack INC-{n + 1}")
    await bot.deliver()
    roots = double.messages(CHANNEL, top_level_only=True)
    assert len(roots) == 10
    assert len([c for c in posts(double) if "thread_ts" not in c.params]) == 10
    for root in roots:
        texts = [c.params["text"] for c in posts(double, root["ts"])]
        assert len(texts) == 2
        assert "declared" in texts[0] and "acknowledged" in texts[1]
    assert count(db(bot), "outbox", "status = 'pending'") == 0


async def test_changes_in_a_burst_cost_one_card_render(bot, double):
    await bot.command("declare sev3 Burst")
    await bot.command("ack INC-1")
    await bot.command("sev INC-1 sev2")
    await bot.command("update INC-1 Found it")
    bot.clock.advance(timedelta(seconds=1))  # the sender's round comes after the burst
    await bot.deliver()
    assert len([c for c in posts(double) if "thread_ts" not in c.params]) == 1
    assert double.calls_to("chat.update") == []  # nor is the page DM: rendered acknowledged
    [card] = double.messages(CHANNEL, top_level_only=True)
    assert "Acknowledged by" in str(card["blocks"]) and "SEV2" in str(card["blocks"])
    thread = [m["text"] for m in double.thread(CHANNEL, card["ts"])]
    assert [
        "declared" in thread[0],
        "acknowledged" in thread[1],
        "SEV2" in thread[2],
        "Found it" in thread[3],
    ] == [True] * 4


async def test_posts_are_paced_per_channel(bot, double):
    start = bot.clock.now()
    for n in range(5):
        await bot.command(f"declare Paced {n}")
    await bot.deliver()
    assert len(posts(double)) == 10
    # a burst of 3, then about one a second: 10 posts need at least 7 seconds
    assert bot.clock.now() - start >= timedelta(seconds=7)


async def test_restart_with_rows_pending_delivers_everything_once(bot, double):
    for n in range(3):
        await bot.command(f"declare sev2 Before restart {n}")
    await bot.click(Action.ACK, "2")
    await bot.stop()  # the process goes away with every row still pending
    # card, reply, DM each; the ack: card, reply, and re-rendering the pages sent before it
    assert count(db(bot), "outbox", "status = 'pending'") == 3 * 3 + 3

    await bot.start()
    bot.clock.advance(timedelta(seconds=1))
    await bot.deliver()
    roots = [c for c in posts(double) if "thread_ts" not in c.params]
    assert len(roots) == 3
    assert len(posts(double)) == 3 + 4
    assert len(double.calls_to("chat.update")) == 0
    await bot.deliver()
    assert len(posts(double)) == 7


async def test_crash_after_partial_delivery_resumes_without_duplicates(bot, double):
    await bot.command("declare sev2 Half delivered")
    double.inject("chat.postMessage", status=503, times=1)
    await bot.app.sender.paced.run_once()  # the card post fails; its reply waits behind it
    assert len(double.calls_to("chat.postMessage")) == 1
    await bot.stop()
    await bot.start()
    await bot.deliver()
    assert len(posts(double)) == 2
    [card] = double.messages(CHANNEL, top_level_only=True)
    assert len(double.thread(CHANNEL, card["ts"])) == 1


async def test_a_private_answer_does_not_wait_behind_a_backlog_of_channel_posts(bot, double):
    """More channel posts pending than the sender reads in a round: the answer written after
    them still goes out in the first round (the paced backlog is read apart)."""
    now = bot.clock.now()

    def backlog(conn):
        for n in range(600):
            outbox_store.enqueue(
                conn, now, OutboxKind.ALERT_POST, channel=CHANNEL, payload={"n": n}
            )

    await bot.app.db.write(backlog)
    await bot.app.services.outbox.ephemeral(CHANNEL, "U0AAA", "Only you can see this")
    await bot.app.sender.run_once()  # one round, the clock standing still
    answers = double.calls_to("chat.postEphemeral")
    assert [c.params["text"] for c in answers] == ["Only you can see this"]
    assert count(db(bot), "outbox", "status = 'pending'") > 500  # the backlog goes at its pace
