"""Queries on the transactional outbox: rows written with the change that causes them."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import Connection

from bot.core.outbox import OutboxKind
from bot.store.incidents import resolved_before
from bot.store.prepared import Kept, Prepared
from bot.store.retention import delete_oldest, first_id_since
from bot.store.tables import UTCDateTime, incidents, outbox

T = TypeVar("T")

_INSERT = Prepared(sa.insert(outbox))  # every change writes rows: run without Core's overhead
_INSERT_ONE = Prepared(sa.insert(outbox).returning(outbox.c.id))
_ANY_OF_KIND = Prepared(
    sa.select(outbox.c.id)
    .where(
        outbox.c.incident_id == sa.bindparam("incident_id"), outbox.c.kind == sa.bindparam("kind")
    )
    .limit(1)
)
# every delivery runs these (a row closed, a post marked in flight)
_FINISH = Prepared(
    sa.update(outbox)
    .where(outbox.c.id == sa.bindparam("row_id"), outbox.c.status == "pending")
    .values(attempts=outbox.c.attempts + sa.bindparam("tried"))
)
_IN_FLIGHT = Prepared(sa.update(outbox).where(outbox.c.id == sa.bindparam("row_id")))
# what the deliveries of page DMs read back: an incident's sent rows, one message's rows
_SENT_OF = Prepared(
    sa.select(outbox)
    .where(
        outbox.c.incident_id == sa.bindparam("incident_id"),
        outbox.c.kind == sa.bindparam("kind"),
        outbox.c.sent_ts.is_not(None),
    )
    .order_by(outbox.c.id)
)
_SENT_IN = Prepared(
    sa.select(outbox)
    .where(
        outbox.c.kind == sa.bindparam("kind"),
        outbox.c.sent_channel == sa.bindparam("channel"),
        outbox.c.sent_ts == sa.bindparam("ts"),
    )
    .order_by(outbox.c.id)
)


def _row(
    now: datetime,
    kind: str,
    incident_id: int | None,
    channel: str | None,
    payload: Mapping[str, Any] | None,
) -> dict[str, Any]:
    return {
        "incident_id": incident_id,
        "kind": kind,
        "channel": channel,
        "payload": dict(payload or {}),
        "status": "pending",
        "attempts": 0,
        "not_before": now,
        "created_at": now,
    }


def enqueue(
    conn: Connection,
    now: datetime,
    kind: str,
    *,
    incident_id: int | None = None,
    channel: str | None = None,
    payload: Mapping[str, Any] | None = None,
) -> int:
    return int(
        _INSERT_ONE.execute(conn, _row(now, kind, incident_id, channel, payload)).scalar_one()
    )


def any_of(conn: Connection, incident_id: int, kind: str) -> bool:
    """Whether the incident has a row of `kind`, in any state."""
    return _ANY_OF_KIND.first(conn, {"incident_id": incident_id, "kind": kind}) is not None


def enqueue_about(
    conn: Connection, now: datetime, kind: str, incident_id: int, channel: str, event_id: int
) -> int:
    """A row about one timeline event of an incident (a thread reply, a page)."""
    payload = {"event_id": event_id}
    return enqueue(conn, now, kind, incident_id=incident_id, channel=channel, payload=payload)


def enqueue_card_and(
    conn: Connection, now: datetime, kind: str, incident_id: int, channel: str, event_id: int
) -> None:
    """The incident's card re-rendered, then a row about one of its events: a change's usual
    pair, written by one statement."""
    card = _row(now, OutboxKind.CARD, incident_id, channel, None)
    _INSERT.execute_many(
        conn, [card, _row(now, kind, incident_id, channel, {"event_id": event_id})]
    )


def sent_since(conn: Connection, channel: str | None, since: datetime) -> int:
    """Rows delivered into `channel` since `since`, along the partial index of sent rows by
    channel and time: a channel's history is long (PostgreSQL scanned the whole outbox, 69 ms
    per 300,000 rows). The status is written into the statement: a plan made for any status
    (PostgreSQL's generic plan of a prepared statement) could not use that index."""
    sent = sa.bindparam("status", "sent", literal_execute=True)
    query = (
        sa.select(sa.func.count())
        .select_from(outbox)
        .where(outbox.c.channel == channel, outbox.c.status == sent, outbox.c.finished_at >= since)
    )
    return int(conn.execute(query).scalar_one())


def made_for(conn: Connection, incident_id: int, kind: str, channel: str) -> bool:
    """Whether a row of `kind` to `channel` was ever made for this incident (any status)."""
    query = sa.select(outbox.c.id).where(
        outbox.c.incident_id == incident_id, outbox.c.kind == kind, outbox.c.channel == channel
    )
    return conn.execute(query.limit(1)).first() is not None


def sent_of(conn: Connection, incident_id: int, kind: str):
    """The messages rows of `kind` made for an incident, oldest first (rows delivered before
    Firebell recorded where a message landed are not among them). Only a sent row has a
    `sent_ts`; asking for the status too would let SQLite walk every sent row along
    (status, id) instead of the incident's own."""
    return _SENT_OF.rows(conn, {"incident_id": incident_id, "kind": kind})


def pending(
    conn: Connection,
    limit: int,
    kinds: Collection[str] = (),
    *,
    among: bool = True,
    skip: Collection[str] = (),
    free: Collection[str] = (),
    make: Callable[[dict[str, Any]], T] = dict,
    kept: Kept[T] | None = None,
) -> list[T]:
    """The oldest pending rows, due or not (a lane is blocked by its first row's wait): of
    `kinds` (`among`), or of any kind but those (not `among`; no `kinds`: of any kind), and
    none in the channels of `skip` but those of `free` kinds (which no pace holds). Each with
    its incident's severity (None without one), by which a storm's posts are ordered. Each
    as `make` builds it from its columns; with `kept` (what the reader's earlier reads made,
    `Prepared.made`), only rows new or changed since are made again."""
    kinds, skip = tuple(sorted(kinds)), sorted(skip)
    read = _read(conn.dialect.name, kinds, among, len(skip), tuple(sorted(free)))
    values = {"limit": limit, **{f"rest_{i}": name for i, name in enumerate(skip)}}
    return read.made(conn, values, make, Kept(limit) if kept is None else kept)


@functools.lru_cache(maxsize=256)
def _read(
    dialect: str, kinds: tuple[str, ...], among: bool, resting: int, free: tuple[str, ...]
) -> Prepared:
    """`pending`'s statement for these kinds, this many resting channels (`rest_0`… in
    order) and free kinds, built once: the senders read several times a second, and Core
    would hash and expand its kind lists on every run."""
    query = sa.select(outbox, incidents.c.severity).select_from(
        outbox.outerjoin(incidents, incidents.c.id == outbox.c.incident_id)
    )
    if among and kinds or resting:  # a read past a backlog: see `_wanted`
        query = query.where(outbox.c.id.in_(_wanted(dialect, kinds, among, resting, free)))
    else:  # the oldest first along (status, id): it stops at `limit`
        query = query.where(outbox.c.status == "pending", _of_kinds(kinds, among))
    return Prepared(query.order_by(outbox.c.id).limit(sa.bindparam("limit")))


def _of_kinds(kinds: Sequence[str], among: bool) -> sa.ColumnElement[bool]:
    """Rows of `kinds` (`among`) or of none of them; each kind a literal sent with the
    statement (an equality each: SQLite reads `kind = a OR kind = b` as an IN)."""
    if not kinds:
        return sa.true()
    if among:
        return sa.or_(*(outbox.c.kind == kind for kind in kinds))
    return sa.and_(*(outbox.c.kind != kind for kind in kinds))


def _wanted(
    dialect: str, kinds: Sequence[str], among: bool, resting: int, free: Collection[str]
) -> sa.Select:
    """The ids `pending` reads, found along the indexes on (status, kind, channel, id) and
    (status, channel, kind, id), never by walking every pending row: in a storm thousands
    wait in a resting channel (or for a person's bundled DM) while the senders read several
    times a second. The kinds filter is read from the index; free kinds' rows are read
    anywhere, from their own entries."""
    waiting = [outbox.c.status == "pending", _of_kinds(kinds, among)]
    if not resting:
        return sa.select(outbox.c.id).where(*waiting)
    found = [sa.select(outbox.c.id).where(*waiting, part) for part in _outside(dialect, resting)]
    unpaced = set(free) & set(kinds) if among and kinds else set(free) - set(kinds)
    if unpaced:
        found.append(
            sa.select(outbox.c.id).where(waiting[0], _of_kinds(sorted(unpaced), among=True))
        )
    return sa.union_all(*found)


def _outside(dialect: str, resting: int) -> list[sa.ColumnElement[bool]]:
    """Rows in no resting channel (`rest_0`… bound in sorted order). On SQLite, the ranges
    between their names, one index range each: it compares strings by code point, as
    `sorted` does. PostgreSQL's collation need not, and its planner chooses by statistics."""
    channel = outbox.c.channel
    names = [sa.bindparam(f"rest_{i}", type_=channel.type) for i in range(resting)]
    if dialect != "sqlite":
        return [channel.is_(None), sa.and_(*(channel != name for name in names))]
    outside = [channel.is_(None), channel < names[0], channel > names[-1]]
    return outside + [sa.and_(channel > a, channel < b) for a, b in itertools.pairwise(names)]


def finish(
    conn: Connection,
    row_id: int,
    status: str,
    now: datetime,
    error: str | None = None,
    *,
    sent_channel: str | None = None,
    sent_ts: str | None = None,
) -> bool:
    """Close a pending row (with where its message landed); False when someone else already
    closed it."""
    values = {
        "row_id": row_id,
        "status": status,
        "finished_at": now,
        "last_error": error,
        "tried": 0 if status == "superseded" else 1,
        "sent_channel": sent_channel,
        "sent_ts": sent_ts,
    }
    return _FINISH.execute(conn, values).rowcount == 1


def mark_in_flight(conn: Connection, row_id: int, now: datetime) -> None:
    """Slack is about to be called for this row: until its answer is recorded, a retry must
    first look for the message in Slack instead of posting it again."""
    _IN_FLIGHT.execute(conn, {"row_id": row_id, "in_flight_at": now})


def carried(conn: Connection, row_ids: Sequence[int], now: datetime, channel: str, ts: str) -> None:
    """Rows delivered in another row's message (a bundle of pages): sent, where it landed."""
    if row_ids:
        conn.execute(
            sa.update(outbox)
            .where(outbox.c.id.in_(list(row_ids)), outbox.c.status == "pending")
            .values(
                status="sent",
                finished_at=now,
                attempts=outbox.c.attempts + 1,
                sent_channel=channel,
                sent_ts=ts,
            )
        )


def sent_in(conn: Connection, kind: str, channel: str, ts: str):
    """The rows of `kind` one message delivered (a bundle's: several), oldest first."""
    return _SENT_IN.rows(conn, {"kind": kind, "channel": channel, "ts": ts})


def supersede(conn: Connection, row_ids: Sequence[int], now: datetime) -> int:
    """Rows covered by a delivery just made (a newer card render, a coalesced post)."""
    if not row_ids:
        return 0
    result = conn.execute(
        sa.update(outbox)
        .where(outbox.c.id.in_(list(row_ids)), outbox.c.status == "pending")
        .values(status="superseded", finished_at=now)
    )
    return result.rowcount


def lane_after(
    conn: Connection, row_id: int, incident_id: int | None, channel: str | None, limit: int = 1000
):
    """The pending rows behind row `row_id` in its lane, oldest first."""
    lane = (
        outbox.c.incident_id == incident_id
        if incident_id is not None
        else sa.and_(outbox.c.incident_id.is_(None), outbox.c.channel == channel)
    )
    query = (
        sa.select(outbox)
        .where(lane, outbox.c.status == "pending", outbox.c.id > row_id)
        .order_by(outbox.c.id)
        .limit(limit)
    )
    return conn.execute(query).mappings().all()


def postpone(
    conn: Connection, row_id: int, not_before: datetime, error: str, *, answered: bool
) -> None:
    """Try again at `not_before`; `answered`: Slack refused the call, so nothing was posted
    and the row is no longer in flight."""
    values: dict[str, Any] = {"not_before": not_before, "last_error": error}
    if answered:
        values["in_flight_at"] = None
    conn.execute(
        sa.update(outbox)
        .where(outbox.c.id == row_id)
        .values(attempts=outbox.c.attempts + 1, **values)
    )


# what retention deletes: rows delivered, or covered by a later delivery; a row given up on
# stays, the record of something that never reached Slack (and the failed-rows gauge)
DONE = ("sent", "superseded")


def prune(conn: Connection, before: datetime, most: int) -> int:
    """Delete the oldest rows finished before `before`, at most `most` of them (one step: a
    first prune of a long history holds the one writer for a bounded time), of no incident
    or of one resolved before `before` too: an open incident's rows stay, its page DMs
    are edited when it is acknowledged or resolved. How many went. Each status is read
    along (status, id) apart (both at once would sort every delivered row at each step),
    only below the first row made since `before` (else each day's run would walk the
    month of rows it keeps)."""
    cut = sa.bindparam("before", before, type_=UTCDateTime)
    resolved = resolved_before(outbox.c.incident_id, cut)
    # rows made since the cut cannot have finished before it: a bound on the walk
    bound = first_id_since(conn, outbox, outbox.c.created_at, before)
    deleted = 0
    for status in DONE:
        old = sa.and_(
            outbox.c.status == status,
            outbox.c.id < bound,
            outbox.c.finished_at < cut,
            sa.or_(outbox.c.incident_id.is_(None), resolved),
        )
        deleted += delete_oldest(conn, outbox, old, (outbox.c.id,), most - deleted)
    return deleted


def backlog(conn: Connection) -> int:
    query = sa.select(sa.func.count()).select_from(outbox).where(outbox.c.status == "pending")
    return int((conn.execute(query)).scalar_one())


def oldest_pending_at(conn: Connection) -> datetime | None:
    """When the oldest row still waiting to be delivered was written (None: none waits)."""
    query = sa.select(sa.func.min(outbox.c.created_at)).where(outbox.c.status == "pending")
    return conn.execute(query).scalar_one_or_none()


def failed_count(conn: Connection) -> int:
    """Rows given up on (the metrics gauge)."""
    query = sa.select(sa.func.count()).select_from(outbox).where(outbox.c.status == "failed")
    return int(conn.execute(query).scalar_one())


def recent_failures(conn: Connection, limit: int = 10):
    """Rows given up on, and rows delivered short of what was asked (a card Slack refused,
    shown as plain text): both carry their `last_error`."""
    # A failed row always has its error, so both are among the rows ix_outbox_erred_id holds,
    # newest first along it; the status is compared through an expression, else SQLite would
    # walk (status, id) over every sent row the outbox keeps.
    status = sa.func.coalesce(outbox.c.status, "")
    query = (
        sa.select(outbox)
        .where(outbox.c.last_error.is_not(None), status.in_(["failed", "sent"]))
        .order_by(outbox.c.id.desc())
        .limit(limit)
    )
    return (conn.execute(query)).mappings().all()
