"""Stakeholder broadcasts to `broadcast_channel`: the rows and timers behind them.

What is news and when digests fall is decided in `bot.core.stakeholders`; this module reads
what those decisions need and writes their outcome: rows of kind `broadcast` (rendered at
send time in plain language) and `digest`, and the digest timers, keyed by slot.

While an incident of an announced severity is open, a digest of all open incidents goes out
every `broadcast.digest_every` (default 2h). When a digest falls due and no such incident is
open, the chain ends; after downtime only the latest overdue slot is posted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from bot.core import stakeholders
from bot.core.incident import Status
from bot.core.outbox import OutboxKind
from bot.core.stakeholders import Seen
from bot.services.context import Context, Recorded
from bot.store import incidents, outbox, timers
from bot.store.timeline import timeline


def follow(conn: Connection, ctx: Context, change: Recorded) -> None:
    """Queue the broadcast a change causes, and arm the digest it may start."""
    config = ctx.config
    channel = config.broadcast_channel
    if not channel:
        return
    row, kind, data = change.row, change.kind, change.event.data
    open_now = row["status"] != Status.RESOLVED
    if stakeholders.may_tell(kind, open_now):
        history = []
        if stakeholders.needs_history(kind, data, open_now):
            history = [Seen(e["kind"], e["data"]) for e in timeline(conn, row["id"])]
        if stakeholders.worth_telling(kind, data, history, row["severity"], config.announced):
            outbox.enqueue(
                conn,
                change.now,
                OutboxKind.BROADCAST,
                incident_id=row["id"],
                channel=channel,
                payload={"event_id": change.event_id},
            )
    starts = stakeholders.starts_digest(kind, open_now, row["severity"], config.announced)
    every = config.broadcast.digest_every
    if starts and every is not None:
        _arm_digest(conn, change.now, stakeholders.first_digest(change.now, every))


def _arm_digest(conn: Connection, now: datetime, due: datetime) -> None:
    timers.schedule(conn, now, "digest", due, key=f"digest:{due.isoformat()}")


def fire_digest(conn: Connection, ctx: Context, timer, now: datetime) -> bool:
    """Post a digest of the open incidents while an announced one is open; keep the chain."""
    config = ctx.config
    every = config.broadcast.digest_every
    if not config.broadcast_channel or every is None:
        return False
    if not incidents.open_of(conn, config.announced):
        return False  # nothing announced is open: the chain ends here
    _arm_digest(conn, now, stakeholders.slot_after(now, every))
    if timers.pending_between(conn, "digest", timer["due_at"], now):
        return False  # a later slot is overdue too (downtime): only that one is posted
    payload = {"at": timer["due_at"].isoformat()}
    outbox.enqueue(conn, now, OutboxKind.DIGEST, channel=config.broadcast_channel, payload=payload)
    return True
