"""Every use case, built once by the composition root and handed to the Slack and web layers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Config
from bot.services.alerts import AlertService, open_after_maintenance
from bot.services.handover import HandoverService
from bot.services.incidents import IncidentService
from bot.services.maintenance import MaintenanceService
from bot.services.outbox import OutboxService
from bot.services.overrides import OverrideService
from bot.services.postmortem import PostmortemService
from bot.services.reminders import ReminderService
from bot.services.reports import ReportService
from bot.services.telemetry import Telemetry
from bot.services.timeline import TimelineService
from bot.services.timers import TimerService
from bot.settings import Settings
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
    alerts: AlertService
    maintenance: MaintenanceService
    telemetry: Telemetry
    reminders: ReminderService
    timeline: TimelineService
    reports: ReportService
    postmortems: PostmortemService

    @classmethod
    def build(
        cls,
        db: Database,
        config: Config,
        clock: Clock,
        on_outbox: Callable[[], None],
        settings: Settings | None = None,
    ) -> Services:
        telemetry = Telemetry(config.severity_names)
        incidents = IncidentService(db, config, clock, on_outbox, telemetry)
        timers = TimerService(db, incidents.ctx, clock, on_outbox)
        timers.telemetry = telemetry
        secret = settings.calendar_secret() if settings else None  # postmortem links too
        public_url = settings.public_url() if settings else "http://localhost:3000"
        return cls(
            db=db,
            config=config,
            clock=clock,
            incidents=incidents,
            outbox=OutboxService(db, clock, on_outbox),
            timers=timers,
            handover=HandoverService(db, incidents.ctx, clock, on_outbox),
            overrides=OverrideService(db, incidents.ctx, clock),
            alerts=AlertService(db, config, clock, incidents, on_outbox),
            maintenance=MaintenanceService(
                db, incidents.ctx, clock, on_outbox, after_end=open_after_maintenance
            ),
            telemetry=telemetry,
            reminders=ReminderService(db, incidents.ctx, clock, on_outbox),
            timeline=TimelineService(db, config, clock, on_outbox),
            reports=ReportService(db, config, clock),
            postmortems=PostmortemService(db, config, clock, secret, public_url, on_outbox),
        )
