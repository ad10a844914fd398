"""Audit log retention: with `audit.keep` set, a daily timer deletes the rows older than that
and appends an `audit.prune` row recording where the log now starts, so the rest of the
chain still checks (`bot.core.audit.verify` accepts a start that a prune row records).

The timer is keyed by its instant (`audit_prune:<when>`, every day at 00:00 UTC) and planned
every timer round, so replicas and restarts arm each day's once. With `keep` off (the
default) nothing is planned, and a timer armed before it was turned off does nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Connection

from bot.core import audit as chain
from bot.core.durations import format_duration
from bot.services import audit
from bot.services.context import Context
from bot.store import audit as store
from bot.store import timers

KIND = "audit_prune"
ACTOR = "timer"


def next_run(now: datetime) -> datetime:
    """The next 00:00 UTC after `now`."""
    day = now.astimezone(UTC).date() + timedelta(days=1)
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def plan(conn: Connection, ctx: Context, now: datetime) -> None:
    """Make sure the next prune has its timer (none while `audit.keep` is off)."""
    if ctx.config.audit.keep is not None:
        due = next_run(now)
        timers.schedule(conn, now, KIND, due, key=f"{KIND}:{due.isoformat()}")


def fire(conn: Connection, ctx: Context, timer, now: datetime) -> bool:
    """Delete the rows older than `now - keep`, then record the cut; False (stale) when
    `keep` was turned off since the timer was armed."""
    keep = ctx.config.audit.keep
    if keep is None:
        return False
    store.head(conn, lock=True)  # no append between the cut and its record (replicas queue)
    first = store.first_seq(conn)
    cut = now - keep
    kept = store.prune(conn, cut)
    if kept is None or first is None:  # nothing that old
        return True
    first_seq, prev_hash = kept
    audit.note(
        conn,
        now,
        ACTOR,
        chain.PRUNE,
        "audit",
        after={
            "first_seq": first_seq,
            "prev_hash": prev_hash,
            "before": cut,
            "deleted": first_seq - first,  # seqs run without gaps in a sound log
            "keep": format_duration(keep),
        },
    )
    return True
