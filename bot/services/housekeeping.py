"""Housekeeping: the bookkeeping rows older than `KEEP` are deleted by a daily timer, so the
database stops growing by a few kilobytes an incident (and by a row per repeat of a
long-firing group): outbox rows delivered, timers finished, alert notifications that
changed nothing, and the phone pages (`page_sends`, each with a number) of resolved
incidents.

None of them is the record: an incident's timeline, its audit rows and the notifications
that led somewhere stay. What stays of the outbox: rows still waiting, rows given up on
(what never reached Slack, counted by `firebell_outbox_failed`), and every row of an
incident that is open or was resolved within `KEEP` (acknowledging or resolving it edits the
page DMs those rows name). What stays of the timers: pending ones, and the starts of config
maintenance windows (`maintenance.plan` arms the start of the occurrence under way, however
long ago it began: its row is what says the start was posted). What stays of the
notifications: each that opened, updated, reopened or was posted (what a group led to).
What stays of the phone pages: those of incidents open or resolved within `KEEP` (receipts
and replies find them).

The timer is keyed by its instant (`housekeeping:<when>`, every day at 00:30 UTC, half an
hour after the audit log's prune) and planned every timer round, so replicas and restarts
arm each day's once. One firing deletes at most `STEP` rows of each table, in the timer
round's transaction (the first run on a year of history would otherwise hold SQLite's one
writer for seconds; bench/housekeeping.py times a step). When a table filled its step it
arms the next step due at once (`housekeeping:after:<this timer's id>`, so a step is armed
once), taken by the next round: writes queued meanwhile go in between.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import structlog
from sqlalchemy import Connection

from bot.core.calendar_days import next_utc
from bot.services.context import Context
from bot.store import alerts, outbox, page_sends, timers

log = structlog.get_logger("firebell.housekeeping")

KIND = "housekeeping"
KEEP = timedelta(days=30)  # longer than any retry, pacing window or postmortem's first week
STEP = 2_500  # rows of each table deleted per firing
AT = time(0, 30)  # UTC
KEPT_TIMERS = ("maintenance_start",)


def plan(conn: Connection, ctx: Context, now: datetime) -> None:
    """Make sure the next daily run has its timer."""
    due = next_utc(now, AT)
    timers.schedule(conn, now, KIND, due, key=f"{KIND}:{due.isoformat()}")


def fire(conn: Connection, ctx: Context, timer, now: datetime) -> bool:
    """Delete one step of what is older than `KEEP`; when a table filled its step, arm the
    next step (which may find nothing left)."""
    before = now - KEEP
    rows = outbox.prune(conn, before, STEP)
    done = timers.prune(conn, before, STEP, KEPT_TIMERS)
    repeats = alerts.prune_notifications(conn, before, STEP)
    phoned = page_sends.prune(conn, before, STEP)
    more = STEP in (rows, done, repeats, phoned)
    if more:
        timers.schedule(conn, now, KIND, now, key=f"{KIND}:after:{timer['id']}")
    log.info(
        "housekeeping",
        before=before.isoformat(),
        outbox_deleted=rows,
        timers_deleted=done,
        notifications_deleted=repeats,
        phone_pages_deleted=phoned,
        more=more,
    )
    return True
