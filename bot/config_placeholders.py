"""The example config's placeholder ids, found in a config copied from it and not yet edited:
`firebell check` names each key that still holds one and says what to put there instead.

The ids are those `config/firebell.example.yml` uses, its commented keys' too (a test keeps
this list in step with the file); e-mail addresses at the domains reserved for examples
(RFC 2606) are placeholders wherever they appear. A sandbox config is never checked: its ids
belong to the pretend workspace.
"""

from __future__ import annotations

from pydantic import BaseModel

from bot import config_keys
from bot.config_source import KeyPath

CHANNELS = frozenset({"C0INCIDENTS", "C0STATUS", "C0PLATFORM", "G0SECURITY"})
USERS = frozenset({"U0AAA", "U0BBB", "U0CCC", "U0DDD", "U0LEAD"})
GROUPS = frozenset({"S0PRODUCT", "S0PLATFORM"})
EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")

CHANNEL_HINT = (
    "put the id of a channel in your workspace here: in Slack, open the channel, click its "
    "name at the top, and copy the Channel ID at the bottom of the About tab"
)
USER_HINT = (
    "put a real user id here: in Slack, open the person's profile, click ⋮ (More) and Copy "
    "member ID; or write their e-mail address"
)
GROUP_HINT = "put the id of a user group in your workspace here (group:S…), or remove it"
EMAIL_HINT = "put the e-mail address of the person's Slack account here, or their user id"


def placeholders(config: BaseModel) -> list[tuple[KeyPath, str]]:
    """(key path, what to do) for each key still holding one of the example's placeholders:
    the channels first, then the people and groups."""
    found = [
        (path, f"{channel} is the example's placeholder: {CHANNEL_HINT}")
        for path, channel in config_keys.channels(config)
        if channel in CHANNELS
    ]
    for path, target in config_keys.targets(config):
        if target.kind == "user" and target.value in USERS:
            found.append((path, f"{target.value} is the example's placeholder: {USER_HINT}"))
        elif target.kind == "group" and target.value in GROUPS:
            found.append((path, f"group:{target.value} is the example's placeholder: {GROUP_HINT}"))
        elif target.kind == "email" and target.value.endswith(EXAMPLE_DOMAINS):
            domain = target.value.rpartition("@")[2]
            found.append(
                (path, f"{target.value} is an example address ({domain} is nobody's): {EMAIL_HINT}")
            )
    return found
