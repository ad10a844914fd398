"""Every use case, built once by `Services.build` (the one place services are constructed) and
handed to the Slack and web layers, the worker and the command line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Config
from bot.services.after_maintenance import open_after_maintenance
from bot.services.alerts import AlertService
from bot.services.audit_trail import AuditTrailService
from bot.services.calendar import CalendarService
from bot.services.context import Context
from bot.services.groups import Groups
from bot.services.handled import HandledRequests
from bot.services.handover import HandoverService
from bot.services.health import HealthService
from bot.services.heartbeats import HeartbeatService
from bot.services.incidents import IncidentService
from bot.services.maintenance import MaintenanceService
from bot.services.my_paging import MyPagingService
from bot.services.outbox import OutboxService
from bot.services.overrides import OverrideService
from bot.services.page_links import PageLinkService
from bot.services.paging import PagingService
from bot.services.people import PeopleService
from bot.services.phone_pages import PhonePageService
from bot.services.postmortem import PostmortemService
from bot.services.reminders import ReminderService
from bot.services.reports import ReportService
from bot.services.telemetry import Telemetry
from bot.services.timeline import TimelineService
from bot.services.timers import TimerService
from bot.settings import Settings
from bot.store.db import Database

DEFAULT_PUBLIC_URL = "http://localhost:3000"


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
    paging: PagingService  # records the pages that left outside Slack
    phone_pages: PhonePageService  # SMS and calls: receipts, failover, replies
    reports: ReportService
    postmortems: PostmortemService
    calendars: CalendarService
    people: PeopleService
    health: HealthService
    handled: HandledRequests  # Slack requests already handled (replays, retries)
    groups: Groups  # user-group members, as Slack last listed them
    audit_trail: AuditTrailService
    page_links: PageLinkService  # the acknowledge links pages carry (/p/<token>)
    my_paging: MyPagingService  # what people set for themselves in App Home
    heartbeats: HeartbeatService  # dead man's switches: beats, and what their silence opens

    @classmethod
    def build(
        cls,
        db: Database,
        config: Config,
        clock: Clock,
        on_outbox: Callable[[], None] = lambda: None,
        settings: Settings | None = None,
    ) -> Services:
        """`on_outbox` wakes the sender after a transaction wrote outbox rows; `settings`
        give the link secret (calendar feeds, postmortem drafts) and the public address."""
        ctx = Context.of(config)
        secret = settings.calendar_secret() if settings else None
        public_url = settings.public_url() if settings else DEFAULT_PUBLIC_URL
        outbox = OutboxService(db, clock, on_outbox)
        incidents = IncidentService(db, ctx, clock, on_outbox)
        return cls(
            db=db,
            config=config,
            clock=clock,
            incidents=incidents,
            outbox=outbox,
            timers=TimerService(db, ctx, clock, on_outbox),
            handover=HandoverService(db, ctx, clock, on_outbox),
            overrides=OverrideService(db, ctx, clock),
            alerts=AlertService(db, ctx, clock, on_outbox),
            maintenance=MaintenanceService(db, ctx, clock, on_outbox, open_after_maintenance),
            telemetry=ctx.telemetry,
            reminders=ReminderService(db, ctx, clock, on_outbox),
            timeline=TimelineService(db, ctx, clock, on_outbox),
            paging=PagingService(db, ctx, clock, on_outbox),
            phone_pages=PhonePageService(db, ctx, clock, on_outbox, incidents),
            reports=ReportService(db, ctx, clock),
            postmortems=PostmortemService(db, ctx, clock, on_outbox, secret, public_url),
            calendars=CalendarService(db, ctx, clock, secret=secret),
            people=PeopleService(db, config, clock),
            health=HealthService(db, outbox),
            handled=HandledRequests(db),
            groups=ctx.groups,
            audit_trail=AuditTrailService(db, ctx, clock),
            page_links=PageLinkService(db, ctx, clock, on_outbox, incidents, secret, public_url),
            my_paging=MyPagingService(db, ctx, clock, on_outbox),
            heartbeats=HeartbeatService(db, ctx, clock, on_outbox),
        )
