"""Adding thread messages to an incident's timeline: the "Add to timeline" message shortcut,
and reacting with the configured emoji (read back with conversations.replies)."""

from __future__ import annotations

from bot.slack.ids import Shortcut
from tests.support import signing
from tests.support.db import rows
from tests.support.harness import CHANNEL, CONFIG, Bot
from tests.support.shortcuts import message_action_body, reaction_event


def db(bot):
    return bot  # its database, SQLite or PostgreSQL


def notes(bot) -> list[tuple]:
    return rows(db(bot), "SELECT incident_id, actor, text FROM events WHERE kind = 'note'")


async def thread_message(bot, double, text: str, user: str = "U0BOB") -> dict:
    """Someone writes in INC-1's thread; the message as Slack stores it."""
    await bot.deliver()
    [card] = double.messages(CHANNEL, top_level_only=True)
    message = double.post_as_user(CHANNEL, user, text, thread_ts=card["ts"])
    return {k: v for k, v in message.items() if v is not None}


async def test_the_shortcut_adds_a_thread_message_once(bot, double):
    await bot.command("declare sev2 Cache stampede")
    message = await thread_message(bot, double, "Saw the spike on <#C0API|api-alerts> at 10:02")
    body = message_action_body(Shortcut.ADD_TO_TIMELINE, message, user_id="U0CAROL")
    assert (await bot.post_signed(body)).status == 200
    assert notes(bot) == [(1, "U0CAROL", "Saw the spike on <#C0API|api-alerts> at 10:02")]
    again = message_action_body(Shortcut.ADD_TO_TIMELINE, message, user_id="U0CAROL")
    assert (await bot.post_signed(again)).status == 200  # used again: nothing more
    assert len(notes(bot)) == 1
    await bot.deliver()
    answers = [c.params["text"] for c in double.calls_to("chat.postEphemeral")]
    assert answers == [
        "Added to the timeline of INC-1.",
        "That message is already on the timeline of INC-1.",
    ]
    [card] = double.messages(CHANNEL, top_level_only=True)
    added = double.thread(CHANNEL, card["ts"])[-1]["text"]
    assert added.startswith(":pushpin: <@U0CAROL> added a message from <@U0BOB> to the timeline")
    shown = await bot.command("show INC-1")
    assert "Saw the spike on" in str(shown["blocks"])


async def test_messages_outside_incident_threads_are_refused(bot, double):
    await bot.command("declare sev2 Somewhere")
    await bot.deliver()
    outside = {"ts": "1700000099.000100", "text": "unrelated", "user": "U0BOB"}
    await bot.post_signed(message_action_body(Shortcut.ADD_TO_TIMELINE, outside))
    empty = await thread_message(bot, double, "")
    await bot.post_signed(message_action_body(Shortcut.ADD_TO_TIMELINE, {**empty, "text": ""}))
    await bot.deliver()
    assert notes(bot) == []
    answers = [c.params["text"] for c in double.calls_to("chat.postEphemeral")]
    assert answers[0].startswith("That message is not in an incident thread.")
    assert answers[1] == "That message has no text to add to the timeline."


async def test_reacting_with_the_timeline_emoji_adds_the_message(bot, double):
    await bot.command("declare sev2 Disk full")
    message = await thread_message(bot, double, "Freed 40 GB by rotating logs")
    event = reaction_event("U0CAROL", "pushpin", CHANNEL, message["ts"])
    assert (await bot.post_signed(signing.event_body(event))).status == 200
    assert double.calls_to("conversations.replies") == []  # read after the ack, by the sender
    await bot.deliver()
    refused, read = double.calls_to("conversations.replies")  # not a member yet: it joins
    assert refused.error == "not_in_channel"
    assert [c.params["channel"] for c in double.calls_to("conversations.join")] == [CHANNEL]
    assert read.params["channel"] == CHANNEL and read.params["ts"] == message["ts"]
    assert notes(bot) == [(1, "U0CAROL", "Freed 40 GB by rotating logs")]
    # another person reacting too adds nothing
    await bot.post_signed(
        signing.event_body(reaction_event("U0DAN", "pushpin", CHANNEL, message["ts"]))
    )
    await bot.deliver()
    assert len(notes(bot)) == 1


async def test_other_emoji_other_channels_and_other_messages_are_ignored(bot, double):
    await bot.command("declare sev2 Noise")
    message = await thread_message(bot, double, "thanks!")
    for event in (
        reaction_event("U0CAROL", "tada", CHANNEL, message["ts"]),
        reaction_event("U0CAROL", "pushpin", "C0RANDOM", message["ts"]),
    ):
        assert (await bot.post_signed(signing.event_body(event))).status == 200
    await bot.deliver()
    assert double.calls_to("conversations.replies") == []
    # the emoji on a message of the incident channel that is no incident's thread
    chatter = double.post_as_user(CHANNEL, "U0BOB", "chatter")
    await bot.post_signed(
        signing.event_body(reaction_event("U0C", "pushpin", CHANNEL, chatter["ts"]))
    )
    await bot.deliver()
    assert [c.error for c in double.calls_to("conversations.replies")] == ["not_in_channel", None]
    assert notes(bot) == []


async def test_the_emoji_is_configurable(tmp_path, double):
    bot = await Bot(tmp_path, double, config=CONFIG + "timeline_emoji: ':memo:'\n").start()
    try:
        await bot.command("declare sev3 Configurable")
        message = await thread_message(bot, double, "noted")
        await bot.post_signed(
            signing.event_body(reaction_event("U0C", "pushpin", CHANNEL, message["ts"]))
        )
        await bot.post_signed(
            signing.event_body(reaction_event("U0C", "memo", CHANNEL, message["ts"]))
        )
        await bot.deliver()
        assert [text for _, _, text in notes(bot)] == ["noted"]
    finally:
        await bot.close()
