"""Pages outside Slack: what one page says (`Page`), and a person's rules as steps in time.

A person's `rules` say which media reach them how long after they are paged (`Step`);
`due_steps` turns them into (when, media) from the moment of the page. Each medium renders a
`Page` in its own words (e-mail, ntfy, SMS, voice): the incident as `INC-42`, its severity,
title and owning team, and the acknowledge link; a test page says `test_text` instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

MEDIA = ("slack", "email", "ntfy", "sms", "voice", "apprise")
_NAMES = {
    "slack": "Slack",
    "email": "E-mail",
    "ntfy": "ntfy push",
    "sms": "SMS",
    "voice": "Voice call",
    "apprise": "Apprise",
}


def medium_name(medium: str | None) -> str:
    """A medium as a line in the thread or the postmortem says it: `E-mail`, `ntfy push`."""
    return _NAMES.get(medium or "", medium or "page")


TEST_TITLE = "Firebell test page"


def test_text(medium: str) -> str:
    """What a test page says through `medium` (My paging's "Send me a test page"): it names
    no incident, and says so."""
    return (
        f"{TEST_TITLE} ({medium_name(medium)}): this is how Firebell pages you here. "
        "There is no incident and nothing to do."
    )


def receipt_words(data: dict) -> str:
    """What a provider's receipt says, after "SMS page to <person>": `delivered`,
    `failed (twilio); trying vonage`, `no answer`."""
    words = str(data.get("status", "")).replace("-", " ")
    if data.get("status") in ("failed", "undelivered", "expired", "rejected"):
        words += f" ({data.get('provider')})"
    if data.get("next"):
        words += f"; trying {data['next']}"
    return words


@dataclass(frozen=True)
class Step:
    after: timedelta  # from the moment the person is paged
    via: tuple[str, ...]  # MEDIA


@dataclass(frozen=True)
class Page:
    """One page to one person, as every medium renders it."""

    number: int
    severity: str
    most_severe: bool  # the config's first severity: ntfy priority 5, else 4
    title: str
    team: str
    status: str
    link: str  # the acknowledge link, FIREBELL_PUBLIC_URL/p/<token>
    user: str  # the Slack user id paged

    @property
    def ref(self) -> str:
        return f"INC-{self.number}"


def due_steps(rules: Sequence[Step], paged_at: datetime) -> list[tuple[datetime, tuple[str, ...]]]:
    """When each step of a person's rules is due, in order (steps at the same moment merged,
    each medium once)."""
    merged: dict[datetime, list[str]] = {}
    for step in sorted(rules, key=lambda s: s.after):
        media = merged.setdefault(paged_at + step.after, [])
        media += [m for m in step.via if m not in media]
    return [(at, tuple(media)) for at, media in merged.items()]
