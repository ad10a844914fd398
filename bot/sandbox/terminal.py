"""What the sandbox prints to its terminal: one readable line per thing a person does in the
page, stamped with sandbox time, so whoever started it can follow along, e.g.
`14:02:11 Carol Chen /incident declare Database down -> Declared INC-3 (SEV2)`.

Slack's markup in an answer is shown as the page shows it: people and channels by name, links
by their label, dates by their fallback text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

WIDTH = 100  # characters of what was typed or answered, in one line
_MARKUP = re.compile(r"<([^<>]+)>")
_SENTENCE = re.compile(r"(?<=[^.\s])(?:\.\s|;\s|:\s)")  # where an answer's first clause ends
_INCIDENT = re.compile(r"\bINC-\d+\b")

Names = Callable[[str], str | None]  # a user or channel id -> its name, if known


def clip(text: str, width: int = WIDTH) -> str:
    """One line of at most `width` characters."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def plain(text: str, names: Names) -> str:
    """mrkdwn as plain words: `<@U0BOB>` is @Bob Builder, `<#C0X|ops>` is #ops, a link is its
    label, a date its fallback; escapes undone, emphasis and code marks dropped."""

    def one(match: re.Match) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            return "@" + (names(target[1:]) or label or target[1:])
        if target.startswith("#"):
            return "#" + (label or names(target[1:]) or target[1:])
        if target.startswith("!subteam^"):
            return label or "@" + target.removeprefix("!subteam^")
        if target.startswith("!"):
            return label or "@" + target[1:]
        return label or target

    shown = _MARKUP.sub(one, text)
    return html.unescape(shown.replace("`", "").replace("*", ""))


def first_clause(text: str, names: Names) -> str:
    """What an answer says first, plainly: its first line up to the first `.`, `;` or `:`."""
    lines = plain(text, names).strip().splitlines()
    first = lines[0] if lines else ""
    return clip(_SENTENCE.split(first, maxsplit=1)[0].rstrip("."))


def incident_in(text: str) -> str | None:
    """The incident a message is about (its card's header, a reply naming it), if any."""
    found = _INCIDENT.search(text)
    return found.group(0) if found else None


def line(at: datetime, zone: ZoneInfo, who: str, what: str, result: str = "") -> str:
    """`HH:MM:SS who what -> result`, in sandbox time where the sandbox keeps it."""
    said = f"{at.astimezone(zone):%H:%M:%S} {who} {what}"
    return f"{said} -> {result}" if result else said
