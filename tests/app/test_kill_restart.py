"""A real crash: `python -m bot serve` is SIGKILLed while Slack is down, then restarted on
the same database. Every acknowledged command's card and thread reply must arrive exactly once:
the outbox loses nothing and sends nothing twice."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter

import aiohttp

from bot.sandbox.standin.server import SlackDouble
from tests.support import database, signing
from tests.support.db import rows
from tests.support.harness import CHANNEL, SECRET
from tests.support.serve import Serve, serve_env

INCIDENTS = 5
DELIVER_WITHIN = 90.0  # backoff left over from the outage, then ~1 message/s per channel


async def declare(http: aiohttp.ClientSession, base: str, title: str) -> str:
    body = signing.slash_command_body(f"declare sev2 {title}")
    headers = signing.sign(SECRET, body, int(time.time()))
    async with http.post(f"{base}/slack/events", data=body, headers=headers) as response:
        text = await response.text()
        assert response.status == 200, (response.status, text)
        return json.loads(text)["text"]


def cards_attempted(double: SlackDouble) -> set[str]:
    """Incidents whose card post reached the double (and failed)."""
    return {
        str(call.params.get("text", "")).split(" ", 1)[0]
        for call in double.calls_to("chat.postMessage")
        if call.fault and not call.params.get("thread_ts")
    }


async def test_sigkill_while_slack_is_down_loses_nothing_and_posts_nothing_twice(tmp_path, double):
    env = serve_env(tmp_path, double)
    first = Serve(env, tmp_path, tmp_path / "first.stderr")
    second = Serve(env, tmp_path, tmp_path / "second.stderr")
    refs = [f"INC-{n}" for n in range(1, INCIDENTS + 1)]
    try:
        # Slack answers 503 to every post: the commands are acked, the posts wait in the outbox.
        double.inject("chat.postMessage", status=503, times=1_000_000)
        await first.start()
        async with aiohttp.ClientSession() as http:
            for n, ref in enumerate(refs, start=1):
                answer = await declare(http, first.base, f"Outage number {n}")
                assert f"Declared {ref} (SEV2)" in answer
        # Every card was tried and refused before the crash, so the rows are mid-retry.
        await double.wait_until(
            lambda: cards_attempted(double) >= set(refs),
            within=30,
            what="a failed card post for every incident",
        )
        assert double.messages(CHANNEL) == []
        assert await first.kill() == -signal.SIGKILL
        assert not first.events("firebell_stopped")  # no graceful shutdown ran

        # What the crash left behind: every row the five declarations queued, none sent.
        queued = dict(
            rows(
                database.url_for(tmp_path),
                "SELECT kind, COUNT(*) FROM outbox WHERE status = 'pending' GROUP BY kind",
            )
        )
        assert queued.get("card") == INCIDENTS and queued.get("reply") == INCIDENTS, queued
        assert rows(database.url_for(tmp_path), "SELECT COUNT(*) FROM outbox") == [
            (sum(queued.values()),)
        ]

        # Slack recovers; a new process takes over the same database.
        double.clear_faults()
        double.reset_calls()
        await second.start()
        # one post a card, one a reply; the five pages to U0AAA, all due, go as one DM
        expected = {**queued, "dm": 1}
        await double.wait_for("chat.postMessage", 2 * INCIDENTS, within=DELIVER_WITHIN)
        delivered = await second.wait_for_event(
            "slack_delivered", sum(expected.values()), within=DELIVER_WITHIN
        )
        assert Counter(r["kind"] for r in delivered) == expected
        assert rows(
            database.url_for(tmp_path),
            "SELECT COUNT(DISTINCT sent_ts), COUNT(*) FROM outbox WHERE kind = 'dm' AND status = 'sent'",
        ) == [(1, queued["dm"])]

        async with aiohttp.ClientSession() as http, http.get(f"{second.base}/readyz") as response:
            ready = await response.json()
        assert response.status == 200, ready
        assert ready["outbox"] == {"backlog": 0, "recent_failures": [], "oldest_age_s": 0}
        assert ready["slack"]["consecutive_failures"] == 0 and ready["slack"]["last_success_at"]

        # Exactly once: one card per incident, one reply (the declaration) in each thread.
        cards = double.messages(CHANNEL, top_level_only=True)
        assert sorted(c["blocks"][0]["text"]["text"] for c in cards) == sorted(
            f"{ref} · Outage number {n}" for n, ref in enumerate(refs, start=1)
        )
        for card in cards:
            ref = card["text"].split(" ", 1)[0]
            [reply] = double.thread(CHANNEL, card["ts"])
            assert f"declared {ref} (SEV2)" in reply["text"], reply["text"]
        assert len(double.messages(CHANNEL)) == 2 * INCIDENTS
        # ... and nothing else went out twice either (e.g. the pages sent by DM):
        # every delivery is one chat.postMessage, each with its own content.
        posts = double.calls_to("chat.postMessage")
        assert all(c.fault is None for c in posts)
        assert len(posts) == sum(expected.values())
        contents = Counter(
            (c.params.get("channel"), c.params.get("thread_ts"), c.params.get("text"))
            for c in posts
        )
        assert [content for content, n in contents.items() if n > 1] == []

        assert await second.terminate() == 0
        assert second.events("firebell_stopped")
    finally:
        await first.cleanup()
        await second.cleanup()


async def test_sigkill_after_slack_took_a_post_but_before_it_was_recorded_posts_it_once(
    tmp_path, double
):
    """Slack takes each card post at once but holds its answer: the process dies with the
    card in Slack and its row still pending. The next process finds the card by the row id
    in its metadata and adopts it: one card per incident, and its thread goes on under it."""
    env = serve_env(tmp_path, double)
    first = Serve(env, tmp_path, tmp_path / "first.stderr")
    second = Serve(env, tmp_path, tmp_path / "second.stderr")
    try:
        double.inject("chat.postMessage", delay=8, times=1_000_000)  # killed long before
        await first.start()
        async with aiohttp.ClientSession() as http:
            assert "Declared INC-1 (SEV2)" in await declare(http, first.base, "Held answer")
        await double.wait_until(
            lambda: double.messages(CHANNEL, top_level_only=True),
            within=30,
            what="the card in Slack, its answer held",
        )
        assert await first.kill() == -signal.SIGKILL
        in_flight = rows(
            database.url_for(tmp_path),
            "SELECT kind FROM outbox WHERE status = 'pending' AND in_flight_at IS NOT NULL",
        )
        assert ("card",) in in_flight

        double.clear_faults()
        double.reset_calls()
        await second.start()
        await double.wait_until(
            lambda: any(double.thread(CHANNEL, c["ts"]) for c in double.messages(CHANNEL)),
            within=DELIVER_WITHIN,
            what="the declaration's reply in the card's thread",
        )
        [card] = double.messages(CHANNEL, top_level_only=True)
        assert card["text"].startswith("INC-1")
        [reply] = double.thread(CHANNEL, card["ts"])
        assert "declared INC-1 (SEV2)" in reply["text"]
        again = [
            c
            for c in double.calls_to("chat.postMessage")
            if c.params["channel"] == CHANNEL and not c.params.get("thread_ts")
        ]
        assert again == []  # the card was not posted a second time
        assert second.events("outbox_row_adopted")
        assert rows(
            database.url_for(tmp_path),
            "SELECT sent_ts FROM outbox WHERE kind = 'card' AND status = 'sent'",
        ) == [(card["ts"],)]
    finally:
        await first.cleanup()
        await second.cleanup()
