"""A request is acted on once: an exact replay of a signed request is refused with 409, even
sent many times at once (to one replica or, on PostgreSQL, through a shared database), and
Slack's retries of an event already handled (`X-Slack-Retry-Num`) are answered 200 without
acting again."""

from __future__ import annotations

import asyncio
import time

from bot.slack.ids import Action, View
from tests.support import signing
from tests.support.db import count
from tests.support.harness import CHANNEL, SECRET, modal_values
from tests.support.shortcuts import reaction_event


def db(bot):
    return bot  # its database, SQLite or PostgreSQL


async def post(bot, body: str, stamp: int, **extra: str) -> tuple[int, str]:
    headers = {**signing.sign(SECRET, body, stamp), **extra}
    response = await bot.http.post(f"{bot.base}/slack/events", data=body, headers=headers)
    return response.status, await response.text()


def stored(bot) -> dict[str, int]:
    return {t: count(db(bot), t) for t in ("incidents", "events", "outbox", "timers")}


REPLAYED = (409, '{"error": "request already handled"}')


async def test_a_slash_command_sent_twice_declares_one_incident(bot, double, capsys):
    body = signing.slash_command_body("declare sev2 Sent twice")
    stamp = int(time.time())
    status, answer = await post(bot, body, stamp)
    assert status == 200 and "Declared INC-1" in answer
    after_one = stored(bot)
    assert await post(bot, body, stamp) == REPLAYED
    assert stored(bot) == after_one and after_one["incidents"] == 1
    out = capsys.readouterr().out
    assert out.count("slack_request_replayed") == 1
    assert "outcome=already_handled" in out  # the request line says what became of the copy
    assert "[error" not in out and "Traceback" not in out  # a replay is no failure
    assert signing.sign(SECRET, body, stamp)["X-Slack-Signature"][3:] not in out
    # the same command used again is a new request (Slack gives it a trigger_id of its own)
    again = await bot.command("declare sev2 Sent twice")
    assert "Declared INC-2" in again["text"]


async def test_a_request_that_writes_nothing_replayed_is_refused_too(bot, double):
    await bot.command("declare sev2 Shown")
    body = signing.slash_command_body("show INC-1")
    stamp = int(time.time())
    status, answer = await post(bot, body, stamp)
    assert status == 200 and "INC-1" in answer
    assert await post(bot, body, stamp) == REPLAYED  # the answer does not go out again


async def test_copies_sent_at_once_act_once(bot, double):
    body = signing.slash_command_body("declare sev1 Raced")
    stamp = int(time.time())
    answers = await asyncio.gather(*(post(bot, body, stamp) for _ in range(6)))
    assert sorted(status for status, _ in answers) == [200, 409, 409, 409, 409, 409]
    assert count(db(bot), "incidents") == 1
    await bot.deliver()
    assert len(double.messages(CHANNEL, top_level_only=True)) == 1  # one card


async def test_a_click_and_a_modal_submit_replayed_are_refused(bot, double):
    await bot.command("declare sev2 Clicked")
    await bot.deliver()
    [card] = double.messages(CHANNEL, top_level_only=True)
    click = signing.block_actions_body(Action.ACK, value="1", message_ts=card["ts"])
    stamp = int(time.time())
    assert (await post(bot, click, stamp))[0] == 200
    assert await post(bot, click, stamp) == REPLAYED
    assert count(db(bot), "events", "kind = 'acknowledged'") == 1
    await bot.deliver()
    assert double.calls_to("chat.postEphemeral") == []  # no "already acknowledged" answer

    values = modal_values(title="Submitted twice", severity="SEV3")
    submit = signing.view_submission_body(View.DECLARE, values, private_metadata=CHANNEL)
    assert await post(bot, submit, stamp) == (200, "")
    assert await post(bot, submit, stamp) == REPLAYED
    assert count(db(bot), "incidents") == 2


async def test_slacks_retry_of_a_handled_event_is_answered_without_acting(bot, double, capsys):
    await bot.command("declare sev2 Retried")
    await bot.deliver()
    [card] = double.messages(CHANNEL, top_level_only=True)
    message = double.post_as_user(CHANNEL, "U0BOB", "rolled back", thread_ts=card["ts"])
    event = signing.event_body(reaction_event("U0CAROL", "pushpin", CHANNEL, message["ts"]))
    stamp = int(time.time())
    assert await post(bot, event, stamp - 4) == (200, "")
    fetches = "kind = 'timeline_fetch'"
    assert count(db(bot), "outbox", fetches) == 1
    # Slack did not see the answer in time: it sends the event again, signed anew
    for retry in ("1", "2"):
        retried = {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"}
        assert await post(bot, event, stamp - 2 + int(retry), **retried) == (200, "")
    assert count(db(bot), "outbox", fetches) == 1
    assert await post(bot, event, stamp - 4) == REPLAYED  # the first delivery, replayed
    # a retry of an event whose first delivery never arrived is acted on
    missed = signing.event_body(reaction_event("U0DAN", "pushpin", CHANNEL, message["ts"]))
    retried = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "connection_failed"}
    assert await post(bot, missed, stamp, **retried) == (200, "")
    assert count(db(bot), "outbox", fetches) == 2
    out = capsys.readouterr().out
    assert out.count("slack_retry_skipped") == 2 and "reason=http_timeout" in out
