"""Stakeholder broadcasts to each team's broadcast channel: the rows and timers behind them.

What is news and when digests fall is decided in `bot.core.stakeholders`; this module reads
what those decisions need and writes their outcome: rows of kind `broadcast` (rendered at
send time in plain language) and `digest`, and the digest timers, keyed by channel and slot.

An incident is broadcast in its team's `broadcast_channel`, else the top-level one. While an
incident of an announced severity is open, each broadcast channel it reaches gets a digest of
the open incidents of the teams broadcasting there, every `broadcast.digest_every` (default
2h). When a digest falls due and no such incident is open, that channel's chain ends; after
downtime only the latest overdue slot is posted.
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
    row, kind, data = change.row, change.kind, change.event.data
    channel = config.broadcast_channel_of(row["team"])
    if not channel or row["private"]:  # a private incident is never broadcast
        return
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
        _arm_digest(conn, change.now, channel, stakeholders.first_digest(change.now, every))


def _key(channel: str) -> str:
    return f"digest:{channel}:"


def _arm_digest(conn: Connection, now: datetime, channel: str, due: datetime) -> None:
    key = f"{_key(channel)}{due.isoformat()}"
    timers.schedule(conn, now, "digest", due, payload={"channel": channel}, key=key)


def fire_digest(conn: Connection, ctx: Context, timer, now: datetime) -> bool:
    """Post a channel's digest while an announced incident it hears about is open; keep that
    channel's chain. A timer armed before digests were per channel is the top-level one's."""
    config = ctx.config
    every = config.broadcast.digest_every
    channel = timer["payload"].get("channel") or config.broadcast_channel
    teams = config.teams_broadcasting_to(channel) if channel else []
    if not teams or every is None:
        return False  # digests are off, or nobody broadcasts to this channel any more
    if not incidents.open_of(conn, config.announced, teams):
        return False  # nothing announced is open: the chain ends here
    _arm_digest(conn, now, channel, stakeholders.slot_after(now, every))
    if timers.pending_between(conn, "digest", timer["due_at"], now, key_prefix=_key(channel)):
        return False  # a later slot is overdue too (downtime): only that one is posted
    payload = {"at": timer["due_at"].isoformat()}
    outbox.enqueue(conn, now, OutboxKind.DIGEST, channel=channel, payload=payload)
    return True
