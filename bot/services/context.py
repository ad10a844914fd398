"""What every use case shares: the config with its rotations and the metrics (`Context`), the
database, clock and sender wake-up (`UseCase`), and the change a follower is handed
(`Recorded`). Its own module so the write path and its followers all import it, not each other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection

from bot.clock import Clock
from bot.config import Config, Severity
from bot.core.incident import Event
from bot.services.groups import Groups, Reread
from bot.services.oncall import Rotations
from bot.services.telemetry import Telemetry
from bot.store.db import Database

T = TypeVar("T")


@dataclass(frozen=True)
class Context:
    """The config as every use case reads it, converted once."""

    config: Config
    rotations: Rotations
    telemetry: Telemetry  # this app's own metrics registry
    groups: Groups = field(default_factory=Groups)  # user-group members as Slack listed them

    @classmethod
    def of(cls, config: Config) -> Context:
        """A context with its own metrics registry (every app keeps separate figures)."""
        names = [beat.name for beat in config.heartbeats]
        telemetry = Telemetry(config.severity_names, config.team_names, names)
        return cls(config, Rotations(config), telemetry)

    def level(self, severity: str) -> Severity:
        """The config's entry for `severity`; for a severity removed from the config since,
        the least urgent one's."""
        try:
            return self.config.severity(severity)
        except KeyError:
            return self.config.severities[-1]


@dataclass(frozen=True)
class Recorded:
    """A change just recorded on an incident: `row` is the incident as now written."""

    row: Mapping[str, Any]
    event_id: int
    event: Event
    now: datetime

    @property
    def kind(self) -> str:
        return self.event.kind


@dataclass(eq=False)
class UseCase:
    """A service's means: one transaction at a time, then wake the outbox sender. Services
    are dataclasses on it, adding only what they need besides."""

    db: Database
    ctx: Context
    clock: Clock
    on_outbox: Callable[[], None] = lambda: None  # wakes the sender when rows were written

    @property
    def config(self) -> Config:
        return self.ctx.config

    async def write(
        self, work: Callable[[Connection], T], wakes: Callable[[T], bool] = lambda _: True
    ) -> T:
        """Run `work` in one transaction; once committed, wake the sender if `wakes` says
        the result wrote outbox rows."""
        result = await self.db.write(work)
        if wakes(result):
            self.on_outbox()
        return result

    async def write_checked(
        self, work: Callable[[Connection], T | Reread], wakes: Callable[[T], bool] = lambda _: True
    ) -> T:
        """`write`, for work that checks a permission first: when it was refused while a
        user group it consulted may be out of date (`Reread`, nothing written), read those
        groups from Slack once and run it again (this time a refusal is final)."""
        result = await self.write(work, lambda r: not isinstance(r, Reread) and wakes(r))
        if isinstance(result, Reread):
            await self.ctx.groups.reread(result.groups, self.clock.now())
            result = await self.write(work, lambda r: not isinstance(r, Reread) and wakes(r))
        return result  # groups just read are not stale: this time a refusal is written
