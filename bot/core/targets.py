"""Who a page or an escalation level reaches, as written in config: users, groups, rotations."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["user", "email", "group", "rotation"]

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROTATION_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
CACHED_LENGTH = 200  # texts kept parsed at most this long; a config's targets are far shorter


@dataclass(frozen=True)
class Target:
    kind: Kind
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


def parse_target(text: str) -> Target:
    """`rotation:primary`, `group:S0PRODUCT`, `@U0LEAD`, `U0LEAD`, `@lead@example.com`, ...

    Each text is parsed once (a `Target` is immutable): every change to an incident reads
    its escalation snapshot back into targets, the same few texts again and again. A text
    longer than `CACHED_LENGTH` is parsed each time: a stream of long ones (commands) cannot
    fill the memory."""
    text = str(text)
    return _parsed(text) if len(text) <= CACHED_LENGTH else _parse(text)


def _parse(text: str) -> Target:
    raw = text.strip()
    if raw.startswith("rotation:"):
        name = raw.removeprefix("rotation:").strip()
        if not ROTATION_NAME.match(name):
            raise ValueError(f"{raw!r}: rotation names are lower-case letters, digits, - and _")
        return Target("rotation", name)
    if raw.startswith("group:"):
        group = raw.removeprefix("group:").strip()
        if not GROUP_ID.match(group):
            raise ValueError(f"{raw!r}: a group is a Slack user-group id like S0PRODUCT")
        return Target("group", group)
    prefix, _, rest = raw.partition(":")
    if prefix in ("user", "email") and rest:
        target = parse_target(rest.strip())
        if target.kind not in ("user", "email"):
            raise ValueError(f"{raw!r}: after {prefix}: give a user id or an e-mail address")
        return target
    bare = raw.removeprefix("@")
    if USER_ID.match(bare):
        return Target("user", bare)
    if EMAIL.match(bare):
        return Target("email", bare.lower())
    raise ValueError(
        f"{raw!r} is not a target: use a Slack user id (U0ABC), an e-mail address, "
        "group:<user-group id> or rotation:<name>"
    )


_parsed = functools.lru_cache(maxsize=4096)(_parse)


def in_slack(person: str) -> bool:
    """Whether Slack can message `person`, who is a Slack user id or else an e-mail address
    no Slack user was found by (a page names the one or the other)."""
    return "@" not in person
