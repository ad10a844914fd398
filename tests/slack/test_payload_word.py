"""A slash command whose form holds the word "payload" (in its text, or in the name of the
channel it was used in) is read as the form it is, by the listener that answers it and by the
one that runs after the ack (Bolt rebuilds that one's request from the raw body)."""

from __future__ import annotations

import logging

from tests.support.harness import CHANNEL


def errors(capsys, caplog) -> list[str]:
    """Error lines, from our log (stdout) and from libraries' (Bolt logs through `logging`)."""
    out = capsys.readouterr()
    ours = [line for line in (out.out + out.err).splitlines() if "[error" in line]
    theirs = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    return ours + theirs + [line for line in out.err.splitlines() if "Traceback" in line]


async def test_payload_in_the_text_is_answered_and_logs_no_error(bot, double, capsys, caplog):
    answer = await bot.command("declare sev2 payload service down")
    assert "Declared INC-1" in answer["text"]
    answer = await bot.command("update INC-1 payload queue drained")
    assert "Update posted to INC-1" in answer["text"]
    # what runs after each ack runs in order: once the declare form of the bare command
    # below is open, whatever ran after the two commands above has finished too
    await bot.command("")
    await double.wait_for("views.open", within=10)
    assert errors(capsys, caplog) == []
    await bot.deliver()
    [card] = double.messages(CHANNEL, top_level_only=True)
    assert card["blocks"][0]["text"]["text"] == "INC-1 · payload service down"


async def test_the_declare_form_opens_from_a_channel_named_payloads(bot, double, capsys, caplog):
    answer = await bot.command("", channel="C0PAYLOADS")  # its name: #c0payloads
    assert answer["text"] == "Opening the declare form…"
    [opened] = await double.wait_for("views.open", within=10)
    assert opened.params["view"]["private_metadata"] == "C0PAYLOADS"
    assert errors(capsys, caplog) == []
