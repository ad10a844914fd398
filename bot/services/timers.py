"""Firing due timers: claimed, acted on and recorded in one transaction, so each fires once.

After a restart every overdue timer is due at once and fires once; a timer that fires late
says so in the log with its lateness.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from sqlalchemy import Connection

from bot.services import (
    after_maintenance,
    audit,
    audit_retention,
    broadcasts,
    escalation,
    handover,
    heartbeats,
    housekeeping,
    maintenance,
    paging,
    reminders,
    reports,
)
from bot.services.context import Context, UseCase
from bot.store import timers as store

log = structlog.get_logger("firebell.timers")

Handler = Callable[[Connection, Context, object, datetime], bool]
LATE_SECONDS = 5.0


@dataclass(frozen=True)
class Round:
    fired: int  # acted on
    stale: int  # claimed but out of date: nothing done
    next_due: datetime | None  # the earliest pending timer after this round


# what each kind of timer does when it falls due; each says whether it acted (False: stale)
HANDLERS: dict[str, Handler] = {
    "escalate": escalation.fire_escalation,
    "page": escalation.fire_page,
    "handover": handover.fire,
    "maintenance_start": maintenance.fire_start,
    "maintenance_end": after_maintenance.fire_maintenance_end,
    "reminder": reminders.fire,
    "eta": reminders.fire_eta,
    "digest": broadcasts.fire_digest,
    "weekly_report": reports.fire,
    "page_step": paging.fire,
    "audit_prune": audit_retention.fire,
    housekeeping.KIND: housekeeping.fire,
    heartbeats.KIND: heartbeats.fire,
}


@dataclass(eq=False)
class TimerService(UseCase):
    batch: int = 100  # timers claimed per transaction
    _healed: bool = field(default=False, init=False)  # open incidents checked once per process

    async def fire_due(self) -> Round:
        now = self.clock.now()

        def work(conn: Connection) -> tuple[Round, list[tuple]]:
            fired = stale = 0
            lateness = []
            handover.plan(conn, self.ctx, now)
            maintenance.plan(conn, self.ctx, now)  # config windows: post start and end
            reports.plan(conn, self.ctx, now)  # the next weekly report
            audit_retention.plan(conn, self.ctx, now)  # the next audit log prune (audit.keep)
            housekeeping.plan(conn, self.ctx, now)  # the next delete of old bookkeeping rows
            if not self._healed:
                reminders.heal(conn, self.ctx, now)
                heartbeats.plan(conn, self.ctx, now)  # their rows and deadlines, once a start
            for timer in store.claim_due(conn, now, self.batch):
                handler = HANDLERS.get(timer["kind"])
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

        with audit.origin("timer"):
            result, lateness = await self.write(work, wakes=lambda done: done[0].fired > 0)
        self._healed = True
        for timer_id, kind, incident, acted, late in lateness:
            if acted:
                self.ctx.telemetry.timer_fired(kind, late)
            level = log.warning if late > LATE_SECONDS else log.info
            level(
                "timer_fired" if acted else "timer_stale",
                timer=timer_id,
                kind=kind,
                incident=incident,
                lateness_s=round(late, 3),
            )
        return result
