"""Whether a rendered message or view is one Slack takes and one that pings nobody by accident:
Block Kit within Slack's limits (the stand-in's own rules, `bot.sandbox.standin.limits`),
message text within 40,000 characters, and every `<...>` in mrkdwn one the bot meant (a known
person, the incident channel, a configured group, a date, a web link), never one that came in
with user text (`<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^…>`, `<@U…>`), and no escape
or `<...>` cut in half.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from bot.sandbox.standin import limits

MESSAGE_TEXT = 40_000
TOKEN = re.compile(r"<([^<>]*)>")
ENTITY = re.compile(r"&(amp|lt|gt);")
PINGS = ("<!channel", "<!here", "<!everyone", "<!subteam^S0EVIL", "<@U0EVIL", "<@W0EVIL")


def mrkdwn_texts(payload: Any) -> Iterator[str]:
    """Every mrkdwn string in blocks or a view (text objects of type mrkdwn)."""
    if isinstance(payload, dict):
        if payload.get("type") == "mrkdwn" and isinstance(payload.get("text"), str):
            yield payload["text"]
        for value in payload.values():
            yield from mrkdwn_texts(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from mrkdwn_texts(item)


def mrkdwn_problems(text: str, allowed: dict[str, set[str]]) -> list[str]:
    """What is wrong with one mrkdwn string: a ping from user text, a `<...>` the bot did not
    mean, a `<` or `>` outside one, an `&` that starts no escape."""
    found = [f"pings: {p}" for p in PINGS if p in text]
    for token in TOKEN.findall(text):
        target = token.split("|", 1)[0]
        if target.startswith("@"):
            ok = target[1:] in allowed["users"]
        elif target.startswith("#"):
            ok = target[1:] in allowed["channels"]
        elif target.startswith("!subteam^"):
            ok = target.removeprefix("!subteam^") in allowed["groups"]
        elif target.startswith("!date^"):
            ok = "|" in token
        else:
            ok = target.startswith(("http://", "https://"))
        if not ok:
            found.append(f"unexpected <{token}>")
    rest = TOKEN.sub("", text)
    if "<" in rest or ">" in rest:
        found.append(f"a < or > outside a link: …{_near(rest, '<>')}…")
    if "&" in ENTITY.sub("", rest):
        found.append(f"an & that starts no escape: …{_near(ENTITY.sub('', rest), '&')}…")
    return found


def _near(text: str, chars: str) -> str:
    at = min((text.index(c) for c in chars if c in text), default=0)
    return text[max(at - 20, 0) : at + 20]


def message_problems(
    text: str | None, blocks: list | None, allowed: dict[str, set[str]]
) -> list[str]:
    """Everything Slack would refuse in a message, or that would ping from user text."""
    found: list[str] = []
    if text is not None:
        if len(text) > MESSAGE_TEXT:
            found.append(f"text of {len(text)} characters")
        found += mrkdwn_problems(text, allowed)
    if blocks is not None:
        found += limits.problems(blocks, "message")
        for piece in mrkdwn_texts(blocks):
            found += mrkdwn_problems(piece, allowed)
    return found


def view_problems(view: dict, allowed: dict[str, set[str]]) -> list[str]:
    found = limits.problems(view, "view")
    for piece in mrkdwn_texts(view):
        found += mrkdwn_problems(piece, allowed)
    return found
