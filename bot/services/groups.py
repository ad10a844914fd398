"""User-group members as Slack last listed them (`usergroups.users.list`), kept per replica.

The Slack layer (`bot/slack/usergroups.py`) installs `fetch`, reads every group the config
names at start and every `REFRESH` after. A permission check refused while a group it
consulted might by now include the person asks for that group once more (`reread`), at most
once per `REREAD_EVERY` per group, so a stream of refused clicks cannot hammer Slack.
Without `fetch` (no Slack), groups have no members and grant nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

Fetch = Callable[[Collection[str]], Awaitable[dict[str, frozenset[str]]]]
REFRESH = timedelta(minutes=10)
REREAD_EVERY = timedelta(seconds=30)


@dataclass(eq=False)
class Groups:
    members: dict[str, frozenset[str]] = field(default_factory=dict)
    read_at: dict[str, datetime] = field(default_factory=dict)
    fetch: Fetch | None = None

    def has(self, group: str, user: str) -> bool:
        return user in self.members.get(group, ())

    def stale(self, groups: Iterable[str], now: datetime) -> list[str]:
        """Of `groups`, those worth asking Slack about again before refusing."""
        if self.fetch is None:
            return []
        return [
            g
            for g in dict.fromkeys(groups)
            if g not in self.read_at or now - self.read_at[g] >= REREAD_EVERY
        ]

    async def reread(self, groups: Collection[str], now: datetime) -> None:
        """Ask Slack for `groups` now; a group Slack did not answer for keeps what it had."""
        if self.fetch is None or not groups:
            return
        self.learn(await self.fetch(groups), groups, now)

    def learn(
        self, found: dict[str, frozenset[str]], asked: Collection[str], now: datetime
    ) -> None:
        """What Slack said of the groups `asked` (answered or not: not asked again within
        REREAD_EVERY)."""
        for group in asked:
            self.read_at[group] = now
        self.members.update(found)


@dataclass(frozen=True)
class Reread:
    """A use case's answer instead of a refusal when `groups` might grant the permission if
    read again: nothing was written; `UseCase.write_checked` reads them and runs it again."""

    groups: tuple[str, ...]
