"""The config's `people:` (how to reach each person outside Slack, and their rules) and
`paging:` (the rules of everyone else).

A person's `rules` say which media page them how long after they are paged; without rules,
`paging.default_rules`, which by default page in Slack alone, as Firebell always has.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from bot.config_values import Model, Offset, TargetRef

Medium = Literal["slack", "email", "ntfy", "sms", "voice", "apprise"]
Provider = Literal["twilio", "vonage"]
E_MAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
NTFY_TOPIC = r"^[A-Za-z0-9_-]{1,64}$"  # ntfy's topic names
E164 = r"^\+[1-9][0-9]{6,14}$"
SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]{0,31})://")


def _apprise_url(url: str) -> str:
    """A URL with a scheme and no spaces; an error shows its scheme alone (it may hold a
    token), and whether Apprise knows the scheme is for the page to find out."""
    found = SCHEME.match(url)
    if found and len(url) > found.end() and not any(ch.isspace() for ch in url):
        return url
    shown = f"`{found.group(1)}://…`" if found else "this entry"
    raise ValueError(
        f"{shown} is not an Apprise URL: `scheme://...` without spaces (the rest is not "
        "shown: it may hold a token)"
    )


AppriseUrl = Annotated[str, AfterValidator(_apprise_url)]


class Rule(Model):
    after: Offset  # from the moment the person is paged; 0m: at once
    via: list[Medium] = Field(min_length=1)


class Person(Model):
    user: TargetRef  # a Slack user id or e-mail address, as everywhere
    email: str | None = Field(default=None, pattern=E_MAIL)
    ntfy: str | None = Field(default=None, pattern=NTFY_TOPIC)  # on FIREBELL_NTFY_URL
    phone: str | None = Field(default=None, pattern=E164)  # for `sms` and `voice`, E.164
    apprise: list[AppriseUrl] = Field(default=[], max_length=20)  # `tgram://...`: secrets
    rules: list[Rule] | None = None  # None: `paging.default_rules`


class Paging(Model):
    default_rules: list[Rule] = Field(
        default_factory=lambda: [Rule(after=0, via=["slack"])], min_length=1
    )
    sms: list[Provider] = Field(default=["twilio"], min_length=1)  # tried in order (failover)
    voice: Literal["twilio"] = "twilio"
