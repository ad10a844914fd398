"""Reminders to post a status update, on the same durable timers as escalations.

Each open incident has exactly one pending `reminder` timer, due `update_every` (of its
severity) after the last status update, declaration or reopening; for an incident waiting for
coverage, after coverage resumes. Every re-arm cancels the pending one in the same transaction
that makes the change, so:

- an update resets it (cancel, arm from now),
- a snooze delays it (cancel, arm at the later of its due time and 30 minutes from now),
- resolution stops it (cancel),
- a severity change re-arms it with the new `update_every`, from the same starting point.

The timer carries `since` (the start of the silence it measures) as its fence: when it fires,
a status update newer than `since` makes it stale, and so does resolution. After a reminder,
the next one follows `update_every` later until someone posts. An ETA given with an update
arms an `eta` timer at the ETA; if the incident is still open with the same ETA then, the
thread is told the ETA has passed. Reminders are thread replies that mention the commander,
else whoever acknowledged, else whoever declared, with "Post update" and "Snooze 30m" buttons.

A restart fires an overdue reminder once; on start every open incident without a pending
reminder gets one (incidents from before reminders existed), which never doubles one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import Connection

from bot.clock import Clock
from bot.core.incident import SYSTEM_ACTOR, Event, Status, is_person, ref
from bot.services.records import Outcome
from bot.services.timeline import post
from bot.store import incidents as store
from bot.store import timers
from bot.store.db import Database
from bot.store.incidents import OPEN
from bot.store.tables import incidents
from bot.store.tables import timers as timers_table

if TYPE_CHECKING:  # changes.py calls into this module
    from bot.services.changes import Context

SNOOZE = timedelta(minutes=30)
KINDS = ("reminder", "eta")


def update_every(ctx: Context, severity: str) -> timedelta:
    try:
        return ctx.config.severity(severity).update_every
    except KeyError:  # a severity removed from config since: the least urgent one's
        return ctx.config.severities[-1].update_every


def who_to_remind(row) -> str | None:
    """The commander, else whoever acknowledged, else whoever declared: a person, never
    Firebell or the alert source that opened it (None: the reminder mentions nobody)."""
    for person in (row["commander"], row["acknowledged_by"], row["declared_by"]):
        if is_person(person):
            return person
    return None


def _pending(conn: Connection, number: int, kind: str):
    return next((t for t in timers.pending_for(conn, number) if t["kind"] == kind), None)


def arm(
    conn: Connection,
    ctx: Context,
    row,
    since: datetime,
    now: datetime,
    due: datetime | None = None,
    *,
    first: bool = False,
) -> None:
    """The incident's one pending reminder: due `update_every` after `since` (or at `due`);
    `first` for a new incident, which has none to cancel."""
    if not first:
        timers.cancel(conn, row["id"], ("reminder",))
    if due is None:
        due = max(since + update_every(ctx, row["severity"]), now)
    timers.schedule(
        conn,
        now,
        "reminder",
        due,
        incident_id=row["id"],
        payload={"since": since.isoformat()},
    )


def follow(conn: Connection, ctx: Context, row, event: Event, now: datetime) -> None:
    """Keep the reminder timers in step with a change just recorded on incident `row`."""
    kind, number = event.kind, row["id"]
    if row["status"] == Status.RESOLVED:
        timers.cancel(conn, number, KINDS)
        return
    if kind == "declared":
        arm(conn, ctx, row, row["waiting_until"] or now, now, first=True)
    elif kind == "reopened":
        arm(conn, ctx, row, now, now)
    elif kind == "update":
        arm(conn, ctx, row, now, now)
        if event.data.get("eta") and row["eta_at"]:
            timers.cancel(conn, number, ("eta",))
            timers.schedule(
                conn,
                now,
                "eta",
                row["eta_at"],
                incident_id=number,
                payload={"eta": row["eta_at"].isoformat()},
            )
    elif kind == "severity":
        pending = _pending(conn, number, "reminder")
        since = (
            datetime.fromisoformat(pending["payload"]["since"])
            if pending
            else row["last_update_at"] or row["declared_at"]
        )
        arm(conn, ctx, row, since, now)


def _open(conn: Connection, timer):
    row = store.load(conn, timer["incident_id"], lock=True)
    if row is None or row["status"] == Status.RESOLVED:
        return None
    return row


def fire(conn: Connection, ctx: Context, timer, now: datetime) -> bool:
    """No status update for `update_every`: remind the thread, and arm the next reminder."""
    row = _open(conn, timer)
    if row is None:
        return False
    since = datetime.fromisoformat(timer["payload"]["since"])
    if row["last_update_at"] and row["last_update_at"] > since:  # fenced: updated since
        return False
    every = update_every(ctx, row["severity"])
    data = {
        "since": since.isoformat(),
        "every": int(every.total_seconds()),
        "mention": who_to_remind(row),
    }
    post(conn, row["id"], row["channel_id"], Event("reminder", SYSTEM_ACTOR, data=data), now)
    arm(conn, ctx, row, since, now, due=now + every)
    return True


def fire_eta(conn: Connection, ctx: Context, timer, now: datetime) -> bool:
    """The ETA given with an update has passed and the incident is still open."""
    row = _open(conn, timer)
    if row is None or row["eta_at"] is None:
        return False
    if row["eta_at"] != datetime.fromisoformat(timer["payload"]["eta"]):  # a newer ETA since
        return False
    data = {"eta": row["eta_at"].isoformat(), "mention": who_to_remind(row)}
    post(conn, row["id"], row["channel_id"], Event("eta_passed", SYSTEM_ACTOR, data=data), now)
    return True


def heal(conn: Connection, ctx: Context, now: datetime) -> int:
    """Arm a reminder for every open incident that has none pending; how many were armed."""
    pending = (
        sa.select(timers_table.c.id)
        .where(
            timers_table.c.incident_id == incidents.c.id,
            timers_table.c.kind == "reminder",
            timers_table.c.status == "pending",
        )
        .exists()
    )
    query = sa.select(incidents.c.id).where(incidents.c.status.in_(OPEN), ~pending)
    armed = 0
    for number in conn.execute(query).scalars().all():
        row = store.load(conn, number, lock=True)  # another replica may be healing it too
        if row["status"] == Status.RESOLVED or _pending(conn, number, "reminder"):
            continue
        since = row["last_update_at"] or row["declared_at"]
        if row["waiting_until"]:
            since = max(since, row["waiting_until"])
        arm(conn, ctx, row, since, now)
        armed += 1
    return armed


class ReminderService:
    def __init__(
        self, db: Database, ctx: Context, clock: Clock, on_outbox: Callable[[], None]
    ) -> None:
        self.db = db
        self.ctx = ctx
        self.clock = clock
        self._on_outbox = on_outbox

    async def snooze(self, actor: str, number: int, length: timedelta = SNOOZE) -> Outcome:
        """No reminder for `length` from now (a later one already due stays where it is)."""
        now = self.clock.now()

        def work(conn) -> Outcome:
            row = store.load(conn, number, lock=True)
            if row is None:
                return Outcome(False, f"There is no {ref(number)}. See `/incident list`.")
            if row["status"] == Status.RESOLVED:
                return Outcome(False, f"{ref(number)} is resolved; there is nothing to remind.")
            pending = _pending(conn, number, "reminder")
            if pending:
                since = datetime.fromisoformat(pending["payload"]["since"])
                until = max(pending["due_at"], now + length)
            else:
                since, until = row["last_update_at"] or row["declared_at"], now + length
            arm(conn, self.ctx, row, since, now, due=until)
            event = Event("snoozed", actor, data={"until": until.isoformat()})
            post(conn, number, row["channel_id"], event, now)
            return Outcome(True, None)

        outcome = await self.db.write(work)
        if outcome.ok:
            self._on_outbox()
        return outcome
