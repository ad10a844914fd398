"""Every use case, built once by the composition root and handed to the Slack and web layers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Config
from bot.services.handover import HandoverService
from bot.services.incidents import IncidentService
from bot.services.outbox import OutboxService
from bot.services.overrides import OverrideService
from bot.services.timers import TimerService
from bot.store.db import Database


@dataclass
class Services:
    db: Database
    config: Config
    clock: Clock
    incidents: IncidentService
    outbox: OutboxService
    timers: TimerService
    handover: HandoverService
    overrides: OverrideService

    @classmethod
    def build(
        cls, db: Database, config: Config, clock: Clock, on_outbox: Callable[[], None]
    ) -> Services:
        incidents = IncidentService(db, config, clock, on_outbox)
        return cls(
            db=db,
            config=config,
            clock=clock,
            incidents=incidents,
            outbox=OutboxService(db, clock, on_outbox),
            timers=TimerService(db, incidents.ctx, clock, on_outbox),
            handover=HandoverService(db, incidents.ctx, clock, on_outbox),
            overrides=OverrideService(db, incidents.ctx, clock),
        )
