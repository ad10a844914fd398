"""User-group members from Slack (`usergroups.users.list`, scope `usergroups:read`) for the
permission checks (`services.groups.Groups`).

`fetcher` is how a refused check asks again (quickly: the person is waiting for Slack's
3-second answer); `GroupRefresher` reads every group the config names at start and every
`REFRESH` after. A group Slack does not answer for keeps what was known of it; errors are
logged without the token.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.config import Config
from bot.services.groups import REFRESH, Fetch, Groups
from bot.slack.errors import classify

log = structlog.get_logger("firebell.usergroups")

ASK_TIMEOUT = 1.5  # seconds a refused check waits for Slack before refusing
REFRESH_TIMEOUT = 30.0


def fetcher(client: AsyncWebClient, timeout: float = ASK_TIMEOUT) -> Fetch:
    """Members of each group, as Slack lists them; groups it did not answer for are left out."""

    async def fetch(groups: Collection[str]) -> dict[str, frozenset[str]]:
        found: dict[str, frozenset[str]] = {}
        for group in groups:
            try:
                async with asyncio.timeout(timeout):
                    response = await client.usergroups_users_list(usergroup=group)
            except Exception as exc:
                failure = classify(exc)
                if failure is None:
                    raise
                log.warning("usergroup_read_failed", group=group, error=failure.describe())
                continue
            found[group] = frozenset(str(u) for u in response.get("users") or ())
        return found

    return fetch


def named_groups(config: Config) -> list[str]:
    """Every user group the config names, each once."""
    return list(dict.fromkeys(t.value for t in config.targets() if t.kind == "group"))


class GroupRefresher:
    """The background task keeping `Groups` current."""

    def __init__(self, client: AsyncWebClient, groups: Groups, config: Config, clock: Clock):
        self.fetch = fetcher(client, REFRESH_TIMEOUT)
        self.groups, self.named, self.clock = groups, named_groups(config), clock
        self._stop = asyncio.Event()

    async def refresh(self) -> None:
        if self.named:
            self.groups.learn(await self.fetch(self.named), self.named, self.clock.now())

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.refresh()
            except Exception as exc:  # a background task must not die of one bad round
                log.error("usergroups_refresh_failed", error=type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), REFRESH.total_seconds())

    def stop(self) -> None:
        self._stop.set()
