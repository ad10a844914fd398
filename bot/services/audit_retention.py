"""Audit log retention: with `audit.keep` set, a daily timer deletes the rows older than that
and appends an `audit.prune` row recording where the log now starts, so the rest of the
chain still checks (`bot.core.audit.verify` accepts a start that a prune row records).

The timer is keyed by its instant (`audit_prune:<when>`, every day at 00:00 UTC) and planned
every timer round, so replicas and restarts arm each day's once. With `keep` off (the
default) nothing is planned, and a timer armed before it was turned off does nothing.

One firing deletes at most `STEP` rows, in the timer round's transaction: the first prune
of a long log (retention turned on after a year) would otherwise hold SQLite's one writer,
and every acknowledgement and alert behind it, for seconds (1.25 s per 432,000 rows in
bench/audit_prune.py; a step of 10,000, at most 74 ms). When old rows remain it arms the
next step due at once (`audit_prune:from:<seq>`, so a step is armed once), and the next
round takes it: writes queued meanwhile go in between. Each step appends its own
`audit.prune` row, so the chain checks after every step.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import Connection

from bot.core import audit as chain
from bot.core.calendar_days import next_utc
from bot.core.durations import format_duration
from bot.services import audit
from bot.services.context import Context
from bot.store import audit as store
from bot.store import timers

KIND = "audit_prune"
ACTOR = "timer"
STEP = 10_000  # rows deleted per firing


def next_run(now: datetime) -> datetime:
    """The next 00:00 UTC after `now`."""
    return next_utc(now, time(0, 0))


def plan(conn: Connection, ctx: Context, now: datetime) -> None:
    """Make sure the next prune has its timer (none while `audit.keep` is off)."""
    if ctx.config.audit.keep is not None:
        due = next_run(now)
        timers.schedule(conn, now, KIND, due, key=f"{KIND}:{due.isoformat()}")


def fire(conn: Connection, ctx: Context, timer, now: datetime) -> bool:
    """Delete the oldest rows older than `now - keep` (one step), record the cut, and arm
    the next step while old rows remain; False (stale) when `keep` was turned off since the
    timer was armed."""
    keep = ctx.config.audit.keep
    if keep is None:
        return False
    store.head(conn, lock=True)  # no append between the cut and its record (replicas queue)
    cut = now - keep
    kept = store.prune(conn, cut, STEP)
    if kept is None:  # nothing that old
        return True
    audit.note(
        conn,
        now,
        ACTOR,
        chain.PRUNE,
        "audit",
        after={
            "first_seq": kept.first_seq,
            "prev_hash": kept.prev_hash,
            "before": cut,
            "deleted": kept.deleted,
            "keep": format_duration(keep),
        },
    )
    if kept.more:
        timers.schedule(conn, now, KIND, now, key=f"{KIND}:from:{kept.first_seq}")
    return True
