"""Timers: every deadline is a row with `due_at`; the database is the timer.

Due rows are claimed inside the transaction that acts on them, with FOR UPDATE SKIP LOCKED on
PostgreSQL (each replica gets different rows) and under SQLite's single writer elsewhere, so a
timer fires once. A fence value set with the timer lets the handler recognise a stale one.

Inside `together`, unkeyed timers are held and written by one executemany INSERT (a
declaration's escalation and reminder timers; SQLAlchemy 2.0 would compile a multi-VALUES
INSERT anew each time); any other query on timers writes the held ones first, so nothing
reads around them and ids keep the order they were scheduled in.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from bot.store.incidents import OPEN
from bot.store.prepared import Prepared
from bot.store.races import may_lose
from bot.store.retention import delete_oldest
from bot.store.tables import UTCDateTime, incidents, timers

_INSERT = Prepared(sa.insert(timers))  # a declaration's timers: run without Core's overhead
_INSERT_ONE = Prepared(sa.insert(timers).returning(timers.c.id))
_BY_KEY = Prepared(sa.select(timers.c.id).where(timers.c.key == sa.bindparam("key")))
_HELD = "firebell.timers.held"  # in the connection's info: the rows `together` holds


@contextmanager
def together(conn: Connection) -> Iterator[None]:
    """Write the unkeyed timers scheduled inside with one statement, when the block ends (a
    block inside another joins it). Rows held are dropped if the block fails: the
    transaction is rolled back anyway."""
    if _HELD in conn.info:
        yield
        return
    conn.info[_HELD] = []
    try:
        yield
        _write_held(conn)
    finally:
        conn.info.pop(_HELD, None)


def _write_held(conn: Connection) -> None:
    """Write what `together` holds, before any other statement on timers."""
    held = conn.info.get(_HELD)
    if not held:
        return
    _INSERT.execute_many(conn, held)
    held.clear()


def schedule(
    conn: Connection,
    now: datetime,
    kind: str,
    due_at: datetime,
    *,
    incident_id: int | None = None,
    fence: int = 0,
    payload: Mapping[str, Any] | None = None,
    key: str | None = None,
) -> int | None:
    """Add a timer; with a `key`, a second identical schedule is a no-op (returns None);
    inside `together`, an unkeyed one is held (returns None)."""
    values = {
        "incident_id": incident_id,
        "kind": kind,
        "due_at": due_at,
        "fence": fence,
        "status": "pending",
        "payload": dict(payload or {}),
        "created_at": now,
        "key": key,
    }
    if key is None and _HELD in conn.info:
        conn.info[_HELD].append(values)
        return None
    _write_held(conn)
    if key is None:
        return int(_INSERT_ONE.execute(conn, values).scalar_one())
    if _BY_KEY.first(conn, {"key": key}):  # a digest's slot: most declarations find it
        return None
    try:
        with may_lose(conn):
            made = int(_INSERT_ONE.execute(conn, values).scalar_one())
    except IntegrityError:  # another replica scheduled it first
        return None
    return made


def arm(
    conn: Connection,
    now: datetime,
    kind: str,
    due_at: datetime,
    *,
    key: str,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Set the one timer of `key` to fire at `due_at`, whether it is pending, has fired or is
    new: a deadline that moves (a heartbeat's, with every beat) re-arms one row in place."""
    _write_held(conn)
    move = (
        sa.update(timers)
        .where(timers.c.key == key)
        .values(kind=kind, due_at=due_at, status="pending", fired_at=None, created_at=now)
    )
    if conn.execute(move).rowcount:
        return
    if schedule(conn, now, kind, due_at, payload=payload, key=key) is None:
        conn.execute(move)  # another replica made the row first: this deadline is the later


def cancel(conn: Connection, incident_id: int, kinds: Sequence[str]) -> int:
    """Cancel an incident's pending timers of these kinds. A timer another transaction holds
    (a replica's timer round firing it) is left to that round: waiting for it would invert
    the lock order (the round locks timers, then the incident), and the fence the caller
    bumps makes the round find it stale."""
    _write_held(conn)
    return _cancel(tuple(kinds)).execute(conn, {"of_incident": incident_id}).rowcount


@functools.cache
def _cancel(kinds: tuple[str, ...]) -> Prepared:
    """The cancel of these kinds, built once (every acknowledgement and resolution runs it):
    an incident's pending timers of the kinds that no other transaction holds."""
    unlocked = (
        sa.select(timers.c.id)
        .where(
            timers.c.incident_id == sa.bindparam("of_incident"),
            timers.c.status == "pending",
            sa.or_(*(timers.c.kind == kind for kind in kinds)),
        )
        .with_for_update(skip_locked=True)
    )
    return Prepared(
        sa.update(timers)
        .where(timers.c.id.in_(unlocked.scalar_subquery()))
        .values(status="cancelled")
    )


def claim_due(conn: Connection, now: datetime, limit: int):
    _write_held(conn)
    query = (
        sa.select(timers)
        .where(timers.c.status == "pending", timers.c.due_at <= now)
        .order_by(timers.c.due_at, timers.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (conn.execute(query)).mappings().all()


def finish(conn: Connection, timer_id: int, status: str, now: datetime) -> None:
    _write_held(conn)
    conn.execute(
        sa.update(timers).where(timers.c.id == timer_id).values(status=status, fired_at=now)
    )


def next_due(conn: Connection) -> datetime | None:
    _write_held(conn)
    query = sa.select(sa.func.min(timers.c.due_at)).where(timers.c.status == "pending")
    return (conn.execute(query)).scalar_one_or_none()


def pending_for(conn: Connection, incident_id: int):
    _write_held(conn)
    query = (
        sa.select(timers)
        .where(timers.c.incident_id == incident_id, timers.c.status == "pending")
        .order_by(timers.c.due_at)
    )
    return (conn.execute(query)).mappings().all()


def pending_between(
    conn: Connection, kind: str, after: datetime, until: datetime, key_prefix: str = ""
) -> bool:
    """Whether a pending timer of `kind` (keyed `key_prefix…`, when given) is due in
    (after, until]."""
    _write_held(conn)
    query = sa.select(timers.c.id).where(
        timers.c.status == "pending",
        timers.c.kind == kind,
        timers.c.due_at > after,
        timers.c.due_at <= until,
    )
    if key_prefix:
        query = query.where(timers.c.key.startswith(key_prefix, autoescape=True))
    return conn.execute(query.limit(1)).first() is not None


def open_without(conn: Connection, kind: str) -> list[int]:
    """The open incidents that have no pending timer of `kind`."""
    _write_held(conn)
    pending = (
        sa.select(timers.c.id)
        .where(
            timers.c.incident_id == incidents.c.id,
            timers.c.kind == kind,
            timers.c.status == "pending",
        )
        .exists()
    )
    query = sa.select(incidents.c.id).where(incidents.c.status.in_(OPEN), ~pending)
    return list(conn.execute(query).scalars().all())


def prune(conn: Connection, before: datetime, most: int, kept: Sequence[str] = ()) -> int:
    """Delete the timers that fired, went stale or were cancelled, due and finished before
    `before`, the earliest due first, at most `most` of them, none of the `kept` kinds.
    Nothing reads a finished timer; a keyed one's row only stops its key being scheduled
    again, which matters for kinds a planner may arm for an instant that long past: those
    are `kept`. How many went. Each status is read along (status, due_at) apart."""
    _write_held(conn)
    cut = sa.bindparam("before", before, type_=UTCDateTime)
    deleted = 0
    for status in ("fired", "stale", "cancelled"):
        old = sa.and_(
            timers.c.status == status,
            timers.c.due_at < cut,
            sa.or_(timers.c.fired_at.is_(None), timers.c.fired_at < cut),
            timers.c.kind.not_in(kept) if kept else sa.true(),
        )
        deleted += delete_oldest(conn, timers, old, (timers.c.due_at,), most - deleted)
    return deleted
