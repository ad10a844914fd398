"""Escaping and formatting for Slack's mrkdwn.

Only `&`, `<` and `>` are control characters in Slack text: escaping them makes a title like
`<!channel> db down` show literally and ping nobody, and stops `<http://evil|bank>` links.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.core.alert_sources import actor_name
from bot.core.incident import SYSTEM_ACTOR
from bot.core.metrics import span
from bot.core.targets import Target, parse_target

_USER_ID = re.compile(r"[UW][A-Z0-9]{1,20}")
_WEB = re.compile(r"https?://", re.IGNORECASE)


def escape(text: str | None) -> str:
    if not text:
        return ""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def user(user_id: str | None) -> str:
    if user_id == SYSTEM_ACTOR:
        return "Firebell"
    if source := actor_name(user_id):  # an alert source acted: "Alertmanager"
        return source
    if not user_id:
        return "_nobody_"
    if _USER_ID.fullmatch(user_id):
        return f"<@{user_id}>"
    return escape(user_id)  # an e-mail Slack could not resolve to a user, or not an id at all


def target(value: Target | str, on_call: dict[str, str] | None = None) -> str:
    """How a page target reads in a thread: a real mention wherever Slack can notify.

    `on_call` maps rotations to whoever was on call when the page went out."""
    item = value if isinstance(value, Target) else parse_target(value)
    if item.kind == "user":
        return f"<@{item.value}>"
    if item.kind == "group":
        return f"<!subteam^{item.value}>"
    if item.kind == "rotation":
        person = (on_call or {}).get(item.value)
        named = f"rotation *{escape(item.value)}*"
        return f"{user(person)} ({named})" if person else named
    return escape(item.value)


def targets(values, on_call: dict[str, str] | None = None) -> str:
    return ", ".join(target(v, on_call) for v in values) or "_nobody configured_"


def local(at: datetime, zone) -> str:
    """A time spelled in a named zone, for promises like "no response until Mon 09:00"."""
    shown = at.astimezone(zone)
    return f"{shown.strftime('%a %d %b %H:%M')} ({zone.key})"


def wall(at: datetime, zone) -> str:
    """A local time without the zone name, as `local` spells it."""
    return local(at, zone).rsplit(" (", 1)[0]


DAY_TIME = "{date_short_pretty} {time}"  # a `when` format: "today 14:05", "Feb 3 09:00"


def when(at: datetime, fallback_zone, fmt: str = "{time}") -> str:
    """A time each reader sees in their own zone; the fallback uses the config's zone."""
    local = at.astimezone(fallback_zone)
    fallback = local.strftime("%a %d %b %H:%M %Z")
    return f"<!date^{int(at.timestamp())}^{fmt}|{fallback}>"


def duration(seconds: float) -> str:
    """`45s`, `12m`, `1h 30m`, `2d 4h`: one spelling of a length of time everywhere."""
    return span(seconds)


def link(url: str, label: str) -> str:
    """A link whose label cannot break out of the <url|label> syntax; anything but a web
    address (`@U1`, `!here`, `#C1`) is shown as its label, never as a mention."""
    if not _WEB.match(url or ""):
        return escape(label)
    safe_url = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    return f"<{safe_url}|{escape(label)}>"


_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def plain(text: str | None) -> str:
    """User text for people outside the response (stakeholder broadcasts): Slack markup is
    reduced to what it shows, so nobody is pinged and no link target is kept (`<@U1|ann>` ->
    `@ann`, `<!here>` -> nothing, `<https://x|docs>` -> `docs`); then escaped."""

    def unwrap(match: re.Match) -> str:
        target, label = match.group(1), (match.group(2) or "").strip()
        if target.startswith("@"):
            return "@" + label.lstrip("@") if label else "someone"
        if target.startswith("#"):
            return "#" + label.lstrip("#") if label else "a channel"
        if target.startswith("!subteam"):
            return "@" + label.lstrip("@") if label else "a team"
        if target.startswith("!"):
            return label if target.startswith("!date") else ""
        return label or "a link"

    return escape(_MARKUP.sub(unwrap, text or ""))
