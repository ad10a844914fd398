"""Two clicks at once, many declarations at once: one outcome each, nothing doubled."""

from __future__ import annotations

import asyncio

from bot.slack.ids import Action
from tests.support.db import count, rows
from tests.support.harness import CHANNEL


def db(bot):
    return bot


async def test_double_click_on_acknowledge_acknowledges_once(bot, double):
    await bot.command("declare sev1 Double click")
    await bot.deliver()
    first, second = await asyncio.gather(
        bot.click(Action.ACK, "1", user="U0BOB"),
        bot.click(Action.ACK, "1", user="U0CAROL"),
    )
    assert first.status == second.status == 200
    assert count(db(bot), "events", "kind = 'acknowledged'") == 1
    await bot.deliver()
    [card] = double.messages(CHANNEL, top_level_only=True)
    thread = [m["text"] for m in double.thread(CHANNEL, card["ts"])]
    assert len([t for t in thread if "acknowledged INC-1" in t]) == 1
    [denial] = double.calls_to("chat.postEphemeral")
    [(winner,)] = rows(db(bot), "SELECT acknowledged_by FROM incidents")
    loser = "U0CAROL" if winner == "U0BOB" else "U0BOB"
    assert denial.params["user"] == loser
    assert f"already acknowledged by <@{winner}>" in denial.params["text"]


async def test_concurrent_declarations_get_distinct_numbers(bot, double):
    answers = await asyncio.gather(*(bot.command(f"declare Parallel {n}") for n in range(25)))
    numbers = sorted(int(a["text"].split("INC-")[1].split(" ")[0]) for a in answers)
    assert numbers == list(range(1, 26))
    assert count(db(bot), "incidents") == 25
    await bot.deliver()
    roots = [m for m in double.messages(CHANNEL, top_level_only=True)]
    assert len(roots) == 25
