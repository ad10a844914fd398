"""Odd and hostile input through the whole HTTP stack: always a clear answer, never a 5xx."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.slack.ids import Action
from tests.support import signing
from tests.support.db import count
from tests.support.harness import CHANNEL


def db(bot):
    return bot


async def test_five_thousand_character_title_is_refused_with_reason(bot, double):
    answer = await bot.command("declare sev2 " + "x" * 5000)
    assert "5000 characters" in answer["text"] and "under 150" in answer["text"]
    assert count(db(bot), "incidents") == 0


async def test_long_update_is_refused_and_the_incident_is_untouched(bot, double):
    await bot.command("declare Stable")
    answer = await bot.command("update INC-1 " + "y" * 5000)
    assert "5000 characters" in answer["text"]
    assert count(db(bot), "events") == 1


async def test_empty_and_whitespace_input(bot, double):
    assert "needs a title" in (await bot.command("declare"))["text"]
    assert "needs a title" in (await bot.command("declare sev1"))["text"]
    assert "needs some text" in (await bot.command("update INC-1"))["text"]
    assert "Which incident?" in (await bot.command("ack"))["text"]
    assert count(db(bot), "incidents") == 0


async def test_unicode_and_emoji_survive(bot, double):
    title = "Zahlungen schlagen fehl 💳🔥 — 決済エラー"
    await bot.command(f"declare sev2 {title}")
    await bot.deliver()
    [card] = double.messages(CHANNEL, top_level_only=True)
    assert card["blocks"][0]["text"]["text"] == f"INC-1 · {title}"


async def test_unknown_subcommand_suggests_the_nearest(bot, double):
    answer = await bot.command("acknowlege INC-1")
    assert "Did you mean `ack`?" in answer["text"]
    assert "`/incident ack INC-42`" in answer["text"]


async def test_unknown_incident_by_command_and_button(bot, double):
    assert (await bot.command("ack INC-404"))[
        "text"
    ] == "There is no INC-404. See `/incident list`."
    response = await bot.click(Action.RESOLVE, "404")
    assert response.status == 200
    response = await bot.click(Action.ESCALATE, "not-a-number")
    assert response.status == 200
    await bot.deliver()
    texts = [c.params["text"] for c in double.calls_to("chat.postEphemeral")]
    assert texts[0] == "There is no INC-404. See `/incident list`."
    assert "does not name an incident" in texts[1]
    assert count(db(bot), "incidents") == 0


async def test_a_bystander_may_acknowledge_but_not_resolve_and_is_attributed(bot, double):
    await bot.command("declare Declared by Alice", user="U0ALICE")
    answer = await bot.command("resolve INC-1 fixed by a bystander", user="U0MALLORY")
    assert answer["text"] == (
        "Only INC-1's responders, the default team's members or admins may resolve INC-1. "
        "Nothing was changed."
    )
    assert (await bot.command("ack INC-1", user="U0MALLORY"))["text"] == "Acknowledged INC-1."
    answer = await bot.command("resolve INC-1 fixed by a bystander", user="U0MALLORY")
    assert answer["text"] == "Resolved INC-1."  # acknowledging made them a responder
    await bot.deliver()
    [card] = double.messages(CHANNEL, top_level_only=True)
    assert "Resolved by <@U0MALLORY>" in json.dumps(card["blocks"])
    assert "<@U0MALLORY> resolved INC-1" in double.thread(CHANNEL, card["ts"])[-1]["text"]


async def test_usage_answers_escape_what_the_user_typed(bot, double):
    answer = await bot.command("<!channel>")
    assert "<!channel>" not in answer["text"]
    assert "&lt;!channel&gt;" in answer["text"]


@settings(
    max_examples=75,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=200))
async def test_any_command_text_gets_a_clear_answer(bot, double, text):
    body = signing.slash_command_body(text)
    response = await bot.post_signed(body)
    assert response.status == 200
    answer = json.loads(await response.text())
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].strip()
    assert "went wrong" not in answer["text"]
