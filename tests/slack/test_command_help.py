"""What `/incident help` and a mistyped command answer in Slack: each command with what it is
for, and a suggestion only for a near spelling (signed requests to a served bot)."""

from __future__ import annotations

from bot.core.commands import USAGE
from bot.slack.blocks.answers import ABOUT


def test_every_command_says_what_it_is_for_in_one_line():
    assert list(ABOUT) == list(USAGE)
    for verb, about in ABOUT.items():
        assert about and "\n" not in about and len(about) <= 110, verb


async def test_help_gives_each_command_its_syntax_and_purpose(bot):
    lines = (await bot.command("help"))["text"].splitlines()
    assert lines[0] == "*Firebell* commands:"
    assert "`/incident ack INC-42` · take it: you are on it, and escalation stops" in lines
    assert (
        "`/incident resolve INC-42 [summary]` · mark it resolved; the summary goes on the card "
        "and to stakeholders"
    ) in lines
    for verb, usage in USAGE.items():
        first, *more = usage.replace("<", "&lt;").replace(">", "&gt;").splitlines()
        assert f"`{first}` · {ABOUT[verb]}" in lines
        assert all(f"`{line}`" in lines for line in more)  # further forms, without repeating


async def test_a_word_far_from_every_command_lists_them_and_suggests_none(bot):
    text = (await bot.command("frobnicate INC-1"))["text"]
    assert text.startswith("`frobnicate` is not a command.\nUsage:\n")
    assert "Did you mean" not in text
    assert "`/incident oncall [team|rotation]`" in text and "`/incident help`" in text


async def test_a_typo_suggests_the_command_meant(bot):
    text = (await bot.command("resolv INC-1"))["text"]
    assert text == (
        "`resolv` is not a command. Did you mean `resolve`?\nUsage:\n"
        "`/incident resolve INC-42 [summary]`"
    )
