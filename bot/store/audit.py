"""The audit log's rows: appended in the caller's transaction, read back in `seq` order.

An append moves the one `audit_head` row first, which locks it (PostgreSQL's row lock; SQLite
has one writer), so replicas append one at a time and the chain never forks; the head also
tells a check where the log should end, so rows cut off the end are noticed too.

Two statements an append: this process remembers where it last left the head, so it can hash
the row before reading anything; the head moves only if it is still there (else the update
returns it as it is, locked, and the row is hashed again: one statement more).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from bot.core import audit as chain
from bot.store.prepared import Prepared
from bot.store.tables import UTCDateTime, audit_head, audit_log

_HEAD = sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
_HEAD_LOCKED = _HEAD.with_for_update()
_MOVE_HEAD = Prepared(
    sa.update(audit_head)
    .where(audit_head.c.id == 1)
    .values(seq=sa.bindparam("seq_"), hash=sa.bindparam("hash_"))
)
_STILL = sa.and_(
    audit_head.c.seq == sa.bindparam("was_seq", type_=sa.BigInteger),
    audit_head.c.hash == sa.bindparam("was_hash", type_=sa.String),
)
_MOVE_HEAD_IF_STILL = Prepared(  # the head's values as they end up: ours, or the ones found
    sa.update(audit_head)
    .where(audit_head.c.id == 1)
    .values(
        seq=sa.case((_STILL, sa.bindparam("seq_", type_=sa.BigInteger)), else_=audit_head.c.seq),
        hash=sa.case((_STILL, sa.bindparam("hash_", type_=sa.String)), else_=audit_head.c.hash),
    )
    .returning(audit_head.c.seq, audit_head.c.hash)
)
_INSERT = Prepared(sa.insert(audit_log))
_UNKNOWN = (-1, "")  # no head seen yet: the first append reads it
# where this process last moved the head, per database; another replica's append or a rollback
# makes it stale, which the conditional move notices
_LEFT: WeakKeyDictionary[Engine, tuple[int, str]] = WeakKeyDictionary()
BATCH = 2000  # rows read per round trip when walking the log
_COLUMNS = tuple(column.name for column in audit_log.columns)


def append(
    conn: Connection,
    at: datetime,
    *,
    actor: str,
    source: str,
    action: str,
    target: str,
    outcome: str = "done",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> int:
    """Add one row after the head, in this transaction; returns its `seq`."""
    seq, prev = _LEFT.get(conn.engine, _UNKNOWN)
    row = {
        "seq": seq + 1,
        "at": chain.stamp(at),
        "actor": actor[:64],
        "source": source,
        "action": action,
        "target": target[:128],
        "outcome": outcome,
        "before": chain.plain(before),
        "after": chain.plain(after),
    }
    digest = chain.digest(prev, row)
    moved = {"was_seq": seq, "was_hash": prev, "seq_": seq + 1, "hash_": digest}
    found = tuple(_MOVE_HEAD_IF_STILL.execute(conn, moved).one())
    if found != (seq + 1, digest):  # the head was elsewhere: it is `found`, locked now
        seq, prev = found
        row["seq"] = seq + 1
        digest = chain.digest(prev, row)
        _MOVE_HEAD.execute(conn, {"seq_": seq + 1, "hash_": digest})
    _INSERT.execute(conn, {**row, "at": at, "prev_hash": prev, "hash": digest})
    _LEFT[conn.engine] = (seq + 1, digest)
    return seq + 1


def head(conn: Connection, lock: bool = False) -> tuple[int, str]:
    """Where the chain ends; with `lock`, no other transaction appends until this one ends."""
    seq, digest = conn.execute(_HEAD_LOCKED if lock else _HEAD).one()
    return int(seq), digest


def last_after(conn: Connection, action: str) -> dict[str, Any] | None:
    """The `after` of the newest row of `action`, if any. The action is written into the
    statement, so that a partial index of that action's rows can serve it (config loads
    have one, read at every start); without one, the log is walked back from its end."""
    query = (
        sa.select(audit_log.c.after)
        .where(audit_log.c.action == sa.bindparam("action", action, literal_execute=True))
        .order_by(audit_log.c.seq.desc())
        .limit(1)
    )
    return conn.execute(query).scalar()


def rows(
    conn: Connection,
    since: datetime | None = None,
    until: datetime | None = None,
    target: str | None = None,
    until_seq: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Rows in `seq` order as the log spells them (`at` a stamp): one query, streamed in
    batches, so a walk over millions holds a few thousand rows at a time and sees one
    snapshot (on PostgreSQL too, where each statement of a transaction may see another);
    `since` inclusive, `until` not, `until_seq` inclusive (a check stops at the head it read)."""
    query = sa.select(audit_log).order_by(audit_log.c.seq)
    if since is not None:
        query = query.where(audit_log.c.at >= sa.bindparam("since", since, type_=UTCDateTime))
    if until is not None:
        query = query.where(audit_log.c.at < sa.bindparam("until", until, type_=UTCDateTime))
    if target is not None:
        query = query.where(audit_log.c.target == target)
    if until_seq is not None:
        query = query.where(audit_log.c.seq <= until_seq)
    stamp = chain.stamp
    with conn.execution_options(yield_per=BATCH).execute(query) as result:
        for found in result:  # tuples zipped with the names: a third faster than mappings
            row = dict(zip(_COLUMNS, found, strict=True))
            row["at"] = stamp(row["at"])
            yield row


def latest(conn: Connection, target: str, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` rows about `target`, newest first (`at` an aware datetime)."""
    query = (
        sa.select(audit_log)
        .where(audit_log.c.target == target)
        .order_by(audit_log.c.seq.desc())
        .limit(limit)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def first_seq(conn: Connection) -> int | None:
    """The oldest row's `seq` (None: the log is empty)."""
    return conn.execute(sa.select(sa.func.min(audit_log.c.seq))).scalar()


@dataclass(frozen=True)
class Pruned:
    """What one prune step left: where the log now starts, the hash that row links to, how
    many rows went (seqs run without gaps in a sound log), and whether rows older than the
    cut remain (the next step's)."""

    first_seq: int
    prev_hash: str
    deleted: int
    more: bool


def prune(conn: Connection, before: datetime, most: int) -> Pruned | None:
    """Delete the oldest rows older than `before`, at most `most` of them (one step: a first
    prune of a long log holds the one writer for a bounded time); None when nothing is that
    old. Each read is along an index: the step's rows by `seq`, what remains by `at`."""
    first = first_seq(conn)
    if first is None:
        return None
    old = audit_log.c.at < sa.bindparam("before", before, type_=UTCDateTime)
    cut = conn.execute(
        sa.select(sa.func.max(audit_log.c.seq)).where(audit_log.c.seq < first + most, old)
    ).scalar()
    if cut is None:
        return None
    kept = conn.execute(
        sa.select(audit_log.c.seq, audit_log.c.prev_hash)
        .where(audit_log.c.seq > cut)
        .order_by(audit_log.c.seq)
        .limit(1)
    ).first()
    conn.execute(sa.delete(audit_log).where(audit_log.c.seq <= cut))
    if kept is None:  # everything was old: the next row (the prune record) starts the log
        seq, digest = head(conn)
        return Pruned(seq + 1, digest, seq + 1 - first, more=False)
    more = conn.execute(sa.select(audit_log.c.seq).where(old).limit(1)).first() is not None
    return Pruned(int(kept[0]), kept[1], int(kept[0]) - first, more)
