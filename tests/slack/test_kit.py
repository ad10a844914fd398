"""The shared Block Kit elements keep to Slack's limits the same way on every surface."""

from __future__ import annotations

from bot.slack.blocks import kit
from bot.slack.ids import Action


def test_fit_cuts_at_a_line_and_says_so():
    assert kit.fit("short") == "short"
    text = "\n".join(f"line {n:04}" for n in range(1000))
    cut = kit.fit(text)
    assert len(cut) <= 3000 and cut.endswith("\n_…more than fits here._")
    assert cut.split("\n")[-2] in text.split("\n")  # whole lines only


def test_sections_pack_lines_under_the_limit():
    lines = [f"• item {n} " + "x" * 80 for n in range(100)]
    blocks = kit.sections(lines, "*Heading*")
    assert len(blocks) > 1
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks)
    assert blocks[0]["text"]["text"].startswith("*Heading*\n")
    assert "\n".join(b["text"]["text"] for b in blocks) == "\n".join(["*Heading*", *lines])
    assert kit.sections([]) == []


def test_plain_text_is_never_empty_and_is_clipped():
    assert kit.plain("")["text"] == " "
    assert len(kit.plain("x" * 500)["text"]) == 150


def test_button_carries_its_action_and_value():
    button = kit.button("Acknowledge", Action.ACK, "42", "primary")
    assert button == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Acknowledge", "emoji": True},
        "action_id": "incident_ack",
        "value": "42",
        "style": "primary",
    }
