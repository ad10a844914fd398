"""The Block Kit elements every surface is made of, fitted to Slack's documented limits after
escaping: the one place text is cut, so each surface builds text, buttons, inputs, messages and
views one way and none of them is refused (`invalid_blocks`, `msg_too_long`).

Cutting never splits an escape (`&amp;`) or a link, mention or date (`<...>`), and says where
the whole text is (`where`): the timeline in `/incident show INC-n`, the postmortem draft.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

# Slack's limits, in characters of what is sent (docs.slack.dev/reference/block-kit)
SECTION_TEXT = 3000
HEADER_TEXT = 150
FIELD_TEXT = 2000
FIELDS = 10
CONTEXT_TEXT = 2000
CONTEXT_ELEMENTS = 10
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
OPTION_TEXT = 75
OPTION_VALUE = 150
OPTIONS = 100
LABEL_TEXT = 2000
VIEW_TITLE = 24
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_TEXT = 40_000
PRIVATE_METADATA = 3000

ELLIPSIS = "…"
_UNCLOSED = re.compile(r"<[^>]*$")  # a link, mention or date begun and not closed
_HALF_ESCAPE = re.compile(r"&[a-z]{0,3}$")  # `&amp;`, `&lt;`, `&gt;` begun and not finished


def show(ref: str) -> str:
    """Where an incident's timeline is, in full."""
    return f"the timeline in `/incident show {ref}`"


def postmortem(ref: str) -> str:
    """Where everything about an incident is, in full."""
    return f"the postmortem draft, `/incident postmortem {ref}`"


def _whole(cut: str) -> str:
    """`cut` without a trailing half of an escape or of `<...>`."""
    cut = _UNCLOSED.sub("", cut)
    return _HALF_ESCAPE.sub("", cut)


def clip(text: str, limit: int, where: str = "") -> str:
    """mrkdwn `text` within `limit` characters: cut with "…" and, given `where`, where the
    whole text is; never inside an escape or a `<...>`."""
    if len(text) <= limit:
        return text
    tail = ELLIPSIS + (f" _(all of it: {where})_" if where else "")
    if len(tail) > limit // 2:
        tail = ELLIPSIS
    return _whole(text[: limit - len(tail)]).rstrip() + tail


def fit(text: str, limit: int = SECTION_TEXT, where: str = "") -> str:
    """mrkdwn lines within `limit`: cut after the last whole line that fits (or inside a line
    too long for that), saying that more did not fit and where it is."""
    if len(text) <= limit:
        return text
    tail = "\n_" + ELLIPSIS + (f"the rest is in {where}._" if where else "more than fits here._")
    if len(tail) > limit // 2:
        return clip(text, limit)
    room = limit - len(tail)
    cut = text[:room]
    lines = _whole(cut.rsplit("\n", 1)[0]) if "\n" in cut else ""  # a link may span lines
    if len(lines) < room // 2:  # one long line: cut inside it instead
        lines = _whole(cut).rstrip()
    return lines + tail


def excerpt(text: str, size: int) -> str:
    """Raw user text shortened to `size` characters, "…" last, before it is escaped: a
    glimpse of a long text in a line that has more to say."""
    return text if len(text) <= size else text[: size - 1] + ELLIPSIS


def text(content: str, limit: int = SECTION_TEXT, where: str = "") -> dict[str, Any]:
    """A mrkdwn text object, cut to `limit` (a section's 3,000 unless told)."""
    return {"type": "mrkdwn", "text": clip(content, limit, where) or " "}


def plain(content: str, limit: int = HEADER_TEXT) -> dict[str, Any]:
    """A plain_text object: never empty, cut to `limit` with "…"."""
    if len(content) > limit:
        content = content[: limit - 1] + ELLIPSIS
    return {"type": "plain_text", "text": content or " ", "emoji": True}


def section(content: str, where: str = "") -> dict[str, Any]:
    """A section of mrkdwn lines, cut to Slack's 3,000 characters at a line."""
    return {"type": "section", "text": text(fit(content, SECTION_TEXT, where))}


def fields(contents: Sequence[str], where: str = "") -> dict[str, Any]:
    """A section of up to 10 two-column fields, each cut to 2,000 characters."""
    return {
        "type": "section",
        "fields": [text(c, FIELD_TEXT, where) for c in contents[:FIELDS]],
    }


def header(content: str) -> dict[str, Any]:
    return {"type": "header", "text": plain(content, HEADER_TEXT)}


def context(*contents: str, where: str = "") -> dict[str, Any]:
    """A context block: up to 10 mrkdwn elements, each cut to 2,000 characters."""
    return {
        "type": "context",
        "elements": [text(c, CONTEXT_TEXT, where) for c in contents[:CONTEXT_ELEMENTS]],
    }


def button(label: str, action_id: str, value: str, style: str | None = None, confirm=None):
    if len(value) > BUTTON_VALUE:  # values are ids the code makes, never user text
        raise ValueError(f"a button value is at most {BUTTON_VALUE} characters")
    button = {
        "type": "button",
        "text": plain(label, BUTTON_TEXT),
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def option(label: str, value: str, description: str = "") -> dict[str, Any] | None:
    """A select's or checkbox's option; None when `value` is over Slack's 150 characters
    (it could not be sent back whole)."""
    if len(value) > OPTION_VALUE:
        return None
    found: dict[str, Any] = {"text": plain(label, OPTION_TEXT), "value": value}
    if description:
        found["description"] = plain(description, OPTION_TEXT)
    return found


def options(pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """Options from (label, value) pairs, as many as a select takes (100)."""
    made = (option(label, value) for label, value in pairs)
    return [o for o in made if o is not None][:OPTIONS]


def input(block_id: str, label: str, element: dict, optional: bool = False, hint: str = ""):
    block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, LABEL_TEXT),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, LABEL_TEXT)
    return block


def sections(
    lines: Sequence[str], heading: str = "", limit: int = SECTION_TEXT, where: str = ""
) -> list[dict]:
    """Lines packed into as few sections as Slack's 3,000-character limit allows; a line
    too long for one section is cut, saying `where` it is whole."""
    blocks, chunk = [], heading
    for line in lines:
        line = fit(line, limit, where)
        candidate = f"{chunk}\n{line}" if chunk else line
        if len(candidate) > limit and chunk:
            blocks.append({"type": "section", "text": text(chunk, limit)})
            candidate = line
        chunk = candidate
    if chunk:
        blocks.append({"type": "section", "text": text(chunk, limit)})
    return blocks


def capped(blocks: list[dict], most: int, where: str = "") -> list[dict]:
    """At most `most` blocks: the last one kept says how many more there were and where."""
    if len(blocks) <= most:
        return blocks
    more = len(blocks) - most + 1
    note = f"_{ELLIPSIS}and {more} more blocks" + (f": {where}_" if where else "_")
    return [*blocks[: most - 1], context(note)]


def message_text(content: str, where: str = "") -> str:
    """A message's `text` (a thread reply, an answer) within Slack's 40,000 characters."""
    return fit(content, MESSAGE_TEXT, where)


def message(content: str, blocks: list[dict], where: str = "") -> tuple[str, list[dict[str, Any]]]:
    """A message as sent: its `text` within 40,000 characters and at most 50 blocks."""
    return message_text(content, where), capped(blocks, MESSAGE_BLOCKS, where)


def view(built: dict[str, Any], where: str = "") -> dict[str, Any]:
    """A modal or Home view as sent: at most 100 blocks, a short enough title and metadata."""
    fitted = {**built, "blocks": capped(list(built.get("blocks", [])), VIEW_BLOCKS, where)}
    for key in ("title", "submit", "close"):
        if key in fitted:
            fitted[key] = plain(fitted[key]["text"], VIEW_TITLE)
    if len(fitted.get("private_metadata", "")) > PRIVATE_METADATA:
        raise ValueError(f"private_metadata is at most {PRIVATE_METADATA} characters")
    return fitted
