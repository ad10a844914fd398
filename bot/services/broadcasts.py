"""Stakeholder broadcasts to `broadcast_channel`: summaries for support and customers.

What is announced (rows of kind `broadcast`, rendered at send time in plain language):
- a declaration, when the severity is one of `broadcast.declare` (default: the two most
  severe);
- a severity change into or out of those, or of an incident announced before;
- every status update marked "share with stakeholders";
- the resolution or reopening of an incident announced before.

"Announced before" is read from the incident's timeline (its severity at declaration, its
severity changes and shared updates), so nothing extra is stored.

While an incident of an announced severity is open, a digest of all open incidents goes out
every `broadcast.digest_every` (default 2h). Digest timers sit on fixed slots (multiples of
the interval since the Unix epoch, so every 2h on the even UTC hours) keyed by slot, so any
number of declarations or replicas arm each slot once; the first slot is at least half an
interval after the declaration. When a digest falls due and no such incident is open, the
chain ends; after downtime only the latest overdue slot is posted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from bot.core.incident import Event, Status
from bot.store import outbox, timers
from bot.store import reports as queries

if TYPE_CHECKING:  # changes.py calls into this module
    from bot.services.changes import Context

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def announced_before(history: Sequence, severity_now: str, announced: Sequence[str]) -> bool:
    """Whether stakeholders have heard of the incident, from its timeline (oldest first;
    items with `kind` and `data`)."""
    changes = [e for e in history if e.kind == "severity"]
    declared_as = changes[0].data.get("from") if changes else severity_now
    if declared_as in announced:
        return True
    for event in history:
        if event.kind == "severity" and event.data.get("to") in announced:
            return True
        if event.kind == "update" and event.data.get("share"):
            return True
    return False


def worth_telling(kind: str, data: dict, history: Sequence, severity: str, announced) -> bool:
    """Whether a change just recorded (already last in `history`) is broadcast."""
    if kind == "update":
        return bool(data.get("share"))
    if kind == "declared":
        return severity in announced
    if kind == "severity":
        if data.get("to") in announced or data.get("from") in announced:
            return True
        return announced_before(history[:-1], severity, announced)
    if kind in ("resolved", "reopened"):
        return announced_before(history, severity, announced)
    return False


class _Seen:
    """An event as `announced_before` reads it."""

    __slots__ = ("data", "kind")

    def __init__(self, row) -> None:
        self.kind, self.data = row["kind"], row["data"]


def follow(conn: Connection, ctx: Context, row, event_id: int, event: Event, now) -> None:
    """Queue the broadcast a change causes, and arm the digest it may start."""
    config = ctx.config
    channel = config.broadcast_channel
    if not channel:
        return
    announced = config.announced
    kind = event.kind
    open_now = row["status"] != Status.RESOLVED
    if kind == "severity" and not open_now:
        pass  # re-classifying a resolved incident is bookkeeping, not news
    elif kind in ("declared", "update", "severity", "resolved", "reopened"):
        history = []
        if kind != "declared" and not (kind == "update" and event.data.get("share")):
            history = [_Seen(e) for e in queries.timeline(conn, row["id"])]
        if worth_telling(kind, event.data, history, row["severity"], announced):
            outbox.enqueue(
                conn,
                now,
                "broadcast",
                incident_id=row["id"],
                channel=channel,
                payload={"event_id": event_id},
            )
    if kind in ("declared", "severity", "reopened") and open_now and row["severity"] in announced:
        plan_digest(conn, ctx, now)


def slot_after(at: datetime, every: timedelta) -> datetime:
    """The first digest slot strictly after `at`."""
    n = (at - EPOCH) // every
    return EPOCH + (n + 1) * every


def plan_digest(conn: Connection, ctx: Context, now: datetime) -> None:
    every = ctx.config.broadcast.digest_every
    if every is None:
        return
    due = slot_after(now + every / 2, every)
    timers.schedule(conn, now, "digest", due, key=f"digest:{due.isoformat()}")


def fire_digest(conn: Connection, ctx: Context, timer, now: datetime) -> bool:
    """Post a digest of the open incidents while an announced one is open; keep the chain."""
    config = ctx.config
    every = config.broadcast.digest_every
    if not config.broadcast_channel or every is None:
        return False
    if not queries.open_of(conn, config.announced):
        return False  # nothing announced is open: the chain ends here
    upcoming = slot_after(now, every)
    timers.schedule(conn, now, "digest", upcoming, key=f"digest:{upcoming.isoformat()}")
    if queries.pending_between(conn, "digest", timer["due_at"], now):
        return False  # a later slot is overdue too (downtime): only that one is posted
    payload = {"at": timer["due_at"].isoformat()}
    outbox.enqueue(conn, now, "digest", channel=config.broadcast_channel, payload=payload)
    return True
