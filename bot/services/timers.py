"""Firing due timers: claimed, acted on and recorded in one transaction, so each fires once.

After a restart every overdue timer is due at once and fires once; a timer that fires late
says so in the log with its lateness.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import Connection

from bot.clock import Clock
from bot.services import (
    alerts,
    broadcasts,
    escalation,
    handover,
    maintenance,
    reminders,
    reports,
)
from bot.services.changes import Context
from bot.store import timers as store
from bot.store.db import Database

log = structlog.get_logger("firebell.timers")

Handler = Callable[[Connection, Context, object, datetime], bool]
LATE_SECONDS = 5.0


@dataclass(frozen=True)
class Round:
    fired: int  # acted on
    stale: int  # claimed but out of date: nothing done
    next_due: datetime | None  # the earliest pending timer after this round


class TimerService:
    def __init__(
        self,
        db: Database,
        ctx: Context,
        clock: Clock,
        on_outbox: Callable[[], None] = lambda: None,
        batch: int = 100,
    ) -> None:
        self.db = db
        self.ctx = ctx
        self.clock = clock
        self._on_outbox = on_outbox
        self.batch = batch
        self.telemetry = None  # a Telemetry, set by the container: lateness per kind
        self._healed = False  # open incidents checked for their reminder once per process
        self.handlers: dict[str, Handler] = {
            "escalate": escalation.fire_escalation,
            "page": escalation.fire_page,
            "handover": handover.fire,
            "maintenance_start": maintenance.fire_start,
            "maintenance_end": alerts.fire_maintenance_end,
            "reminder": reminders.fire,
            "eta": reminders.fire_eta,
            "digest": broadcasts.fire_digest,
            "weekly_report": reports.fire,
        }

    async def fire_due(self) -> Round:
        now = self.clock.now()

        def work(conn: Connection) -> tuple[Round, list[tuple]]:
            fired = stale = 0
            lateness = []
            handover.plan(conn, self.ctx, now)
            maintenance.plan(conn, self.ctx, now)  # config windows: post start and end
            reports.plan(conn, self.ctx, now)  # the next weekly report
            if not self._healed:
                reminders.heal(conn, self.ctx, now)
            for timer in store.claim_due(conn, now, self.batch):
                handler = self.handlers.get(timer["kind"])
                acted = handler is not None and handler(conn, self.ctx, timer, now)
                store.finish(conn, timer["id"], "fired" if acted else "stale", now)
                fired, stale = fired + acted, stale + (not acted)
                lateness.append(
                    (
                        timer["id"],
                        timer["kind"],
                        timer["incident_id"],
                        acted,
                        (now - timer["due_at"]).total_seconds(),
                    )
                )
            if fired:
                handover.plan(conn, self.ctx, now)  # the next handoff after one just fired
            return Round(fired, stale, store.next_due(conn)), lateness

        result, lateness = await self.db.write(work)
        self._healed = True
        for timer_id, kind, incident, acted, late in lateness:
            if acted and self.telemetry is not None:
                self.telemetry.timer_fired(kind, late)
            level = log.warning if late > LATE_SECONDS else log.info
            level(
                "timer_fired" if acted else "timer_stale",
                timer=timer_id,
                kind=kind,
                incident=incident,
                lateness_s=round(late, 3),
            )
        if result.fired:
            self._on_outbox()
        return result
