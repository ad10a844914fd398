"""The Block Kit elements every surface is made of, and Slack's size limits on them, so each
surface builds text, buttons and inputs one way."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def text(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit] or " ", "emoji": True}


def button(label: str, action_id: str, value: str, style: str | None = None, confirm=None):
    button = {"type": "button", "text": plain(label), "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def input(block_id: str, label: str, element: dict, optional: bool = False, hint: str = ""):
    block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def sections(lines: Sequence[str], heading: str = "", limit: int = 3000) -> list[dict]:
    """Lines packed into as few sections as Slack's 3,000-character limit allows."""
    blocks, chunk = [], heading
    for line in lines:
        line = fit(line, limit)
        candidate = f"{chunk}\n{line}" if chunk else line
        if len(candidate) > limit and chunk:
            blocks.append({"type": "section", "text": text(chunk)})
            candidate = line
        chunk = candidate
    if chunk:
        blocks.append({"type": "section", "text": text(chunk)})
    return blocks


def fit(text: str, limit: int = 3000) -> str:
    """Slack refuses a section over 3,000 characters: cut at a line, say so."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 40].rsplit("\n", 1)[0]
    return cut + "\n_…more than fits here._"
