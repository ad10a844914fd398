"""The config's `people:` (how to reach each person outside Slack, and their rules) and
`paging:` (the rules of everyone else).

A person's `rules` say which media page them how long after they are paged; without rules,
`paging.default_rules`, which by default page in Slack alone, as Firebell always has.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field

from bot.config_values import Model, Offset, TargetRef
from bot.core.durations import format_duration

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


MEDIA: tuple[str, ...] = get_args(Medium)
MOST_RULES = 10  # lines of a person's own rules (My paging)
RULE_LINE = re.compile(r"^\s*([^:]+?)\s*:\s*(.*?)\s*$")


def parse_rules(text: str) -> list[Rule]:
    """A person's rules as My paging's form takes them, one a line: `0m: slack, ntfy`,
    `5m: sms voice`. Blank lines are skipped; ValueError names the first line that is not a
    rule and why (no rules at all is an empty list)."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if len(lines) > MOST_RULES:
        raise ValueError(f"At most {MOST_RULES} rules, one a line ({len(lines)} given).")
    return [_rule(number, line) for number, line in lines]


def _rule(number: int, line: str) -> Rule:
    where = f"Line {number} (`{line.strip()[:40]}`)"
    found = RULE_LINE.match(line)
    if not found:
        raise ValueError(f"{where}: write `<after>: <media>`, e.g. `5m: sms, voice`.")
    after, media = found.group(1), [m for m in re.split(r"[\s,]+", found.group(2)) if m]
    unknown = [m for m in media if m.lower() not in MEDIA]
    if not media or unknown:
        named = f"`{unknown[0]}` is not a medium" if unknown else "no medium"
        raise ValueError(f"{where}: {named}; use {', '.join(MEDIA)}.")
    try:
        return Rule(after=after, via=list(dict.fromkeys(m.lower() for m in media)))
    except ValueError:
        raise ValueError(
            f"{where}: `{after[:20]}` is not a time after the page (`0m`, `90s`, `5m`, `1h`)."
        ) from None


def rule_lines(rules: list[Rule]) -> list[str]:
    """Rules as `parse_rules` reads them back: `0m: slack, ntfy`."""
    return [
        f"{format_duration(rule.after) if rule.after else '0m'}: {', '.join(rule.via)}"
        for rule in rules
    ]


def contact_problem(field: str, value: str) -> str | None:
    """Why `value` cannot be this person's `email`, `phone` (E.164) or `ntfy` topic."""
    pattern, example = {
        "email": (E_MAIL, "an e-mail address like alice@example.com"),
        "phone": (E164, "a number in international form, like +4915112345678"),
        "ntfy": (NTFY_TOPIC, "1 to 64 letters, digits, `-` or `_`"),
    }[field]
    if re.match(pattern, value) and len(value) <= 254:
        return None
    return f"Not {example}."


def phone_typed(text: str) -> str:
    """A phone number as typed, without the spaces, dots, dashes and brackets people write
    (`+49 151 1234-5678`); `00` in front becomes `+`."""
    number = re.sub(r"[\s().-]", "", text)
    return "+" + number[2:] if number.startswith("00") else number
