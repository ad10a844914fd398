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

from datetime import datetime, timedelta

from sqlalchemy import Connection

from bot.core.incident import SYSTEM_ACTOR, Event, Status, ref
from bot.core.reminders import (
    SNOOZE,
    reminder_due,
    silence_since,
    snoozed_until,
    updated_since,
    who_to_remind,
)
from bot.services.context import Context, Recorded, UseCase
from bot.services.models import Outcome
from bot.services.timeline import post
from bot.store import incidents as store
from bot.store import timers

KINDS = ("reminder", "eta")
FOLLOWS = frozenset({"declared", "update", "severity", "resolved", "reopened"})


def update_every(ctx: Context, severity: str) -> timedelta:
    return ctx.level(severity).update_every


def _mention(row) -> str | None:
    return who_to_remind(row["commander"], row["acknowledged_by"], row["declared_by"])


def _pending(conn: Connection, number: int, kind: str):
    return next((t for t in timers.pending_for(conn, number) if t["kind"] == kind), None)


def _pending_since(conn: Connection, row) -> tuple[datetime, datetime | None]:
    """The silence the pending reminder measures and when it is due (no reminder pending:
    the silence since the last update or declaration, and None)."""
    pending = _pending(conn, row["id"], "reminder")
    if pending is None:
        return silence_since(row["last_update_at"], row["declared_at"], None), None
    return datetime.fromisoformat(pending["payload"]["since"]), pending["due_at"]


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
        due = reminder_due(since, update_every(ctx, row["severity"]), now)
    timers.schedule(
        conn,
        now,
        "reminder",
        due,
        incident_id=row["id"],
        payload={"since": since.isoformat()},
    )


def follow(conn: Connection, ctx: Context, change: Recorded) -> None:
    """Keep the reminder timers in step with a change just recorded."""
    row, kind, now = change.row, change.kind, change.now
    if kind not in FOLLOWS:
        return
    number = row["id"]
    if row["status"] == Status.RESOLVED:
        timers.cancel(conn, number, KINDS)
        return
    if kind == "declared":
        arm(conn, ctx, row, row["waiting_until"] or now, now, first=True)
    elif kind == "reopened":
        arm(conn, ctx, row, now, now)
    elif kind == "update":
        arm(conn, ctx, row, now, now)
        if change.event.data.get("eta") and row["eta_at"]:
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
        since, _ = _pending_since(conn, row)
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
    if updated_since(row["last_update_at"], since):  # fenced: updated since
        return False
    every = update_every(ctx, row["severity"])
    data = {
        "since": since.isoformat(),
        "every": int(every.total_seconds()),
        "mention": _mention(row),
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
    data = {"eta": row["eta_at"].isoformat(), "mention": _mention(row)}
    post(conn, row["id"], row["channel_id"], Event("eta_passed", SYSTEM_ACTOR, data=data), now)
    return True


def heal(conn: Connection, ctx: Context, now: datetime) -> int:
    """Arm a reminder for every open incident that has none pending; how many were armed."""
    armed = 0
    for number in timers.open_without(conn, "reminder"):
        row = store.load(conn, number, lock=True)  # another replica may be healing it too
        if row["status"] == Status.RESOLVED or _pending(conn, number, "reminder"):
            continue
        since = silence_since(row["last_update_at"], row["declared_at"], row["waiting_until"])
        arm(conn, ctx, row, since, now)
        armed += 1
    return armed


class ReminderService(UseCase):
    async def snooze(self, actor: str, number: int, length: timedelta = SNOOZE) -> Outcome:
        """No reminder for `length` from now (a later one already due stays where it is)."""
        now = self.clock.now()

        def work(conn) -> Outcome:
            row = store.load(conn, number, lock=True)
            if row is None:
                return Outcome(False, f"There is no {ref(number)}. See `/incident list`.")
            if row["status"] == Status.RESOLVED:
                return Outcome(False, f"{ref(number)} is resolved; there is nothing to remind.")
            since, pending_due = _pending_since(conn, row)
            until = snoozed_until(pending_due, now, length)
            arm(conn, self.ctx, row, since, now, due=until)
            event = Event("snoozed", actor, data={"until": until.isoformat()})
            post(conn, number, row["channel_id"], event, now)
            return Outcome(True, None)

        return await self.write(work, wakes=lambda outcome: outcome.ok)
