"""Queries on alert groups, their alerts, the notifications received, and maintenance windows.

A group is unique per (source, hash of its key): the first notification of a group inserts it
(`races.may_lose`: inside a SAVEPOINT on PostgreSQL), and a concurrent one that lost the race
(PostgreSQL) reads the winner's row, locked. Every later step of a notification runs under that group's row lock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from bot.core.alerts import grouping
from bot.store.prepared import Prepared
from bot.store.races import may_lose
from bot.store.retention import delete_oldest, first_id_since
from bot.store.tables import (
    UTCDateTime,
    alert_groups,
    alert_notifications,
    alerts,
    maintenance_windows,
)

# Statements built once, run without Core's per-execution work (`prepared`): a storm of
# notifications runs each thousands of times.
# what intake decides with of a group: not its labels, annotations or links (JSON to decode)
_GROUP_STATE = tuple(
    alert_groups.c[name]
    for name in ("id", "incident_id", "status", "severity", "service", "title", "notifications")
)
_GROUP_LOCKED = Prepared(
    sa.select(*_GROUP_STATE)
    .where(
        alert_groups.c.source == sa.bindparam("source"),
        alert_groups.c.key_hash == sa.bindparam("key_hash"),
    )
    .with_for_update()
)
_GROUP_BY_ID = Prepared(
    sa.select(alert_groups).where(alert_groups.c.id == sa.bindparam("group_id"))
)
_INSERT_GROUP = Prepared(sa.insert(alert_groups).returning(*_GROUP_STATE))  # no read after
_UPDATE_GROUP = Prepared(
    sa.update(alert_groups).where(alert_groups.c.id == sa.bindparam("group_id_"))
)
_ALERTS = Prepared(
    sa.select(alerts)
    .where(alerts.c.group_id == sa.bindparam("group_id"))
    .order_by(alerts.c.first_seen_at, alerts.c.id)
)
# what intake compares and counts of a group's alerts: no labels, annotations or links to
# decode (a storm's groups hold dozens of alerts, and Alertmanager repeats each group)
_STATE = (alerts.c.id, alerts.c.fingerprint, alerts.c.status, alerts.c.severity, alerts.c.starts_at)
_STATES = Prepared(sa.select(*_STATE).where(alerts.c.group_id == sa.bindparam("group_id")))
_INSERT_ALERT = Prepared(sa.insert(alerts))
_UPDATE_ALERT = Prepared(sa.update(alerts).where(alerts.c.id == sa.bindparam("alert_id")))
_INSERT_NOTIFICATION = Prepared(sa.insert(alert_notifications).returning(alert_notifications.c.id))
_TOLD = Prepared(
    sa.select(alert_notifications.c.id)
    .where(
        alert_notifications.c.group_id == sa.bindparam("group_id"),
        sa.or_(*(alert_notifications.c.outcome == told for told in ("post", "maintenance"))),
    )
    .limit(1)
)


def lock_group(conn: Connection, source: str, key_hash: str) -> dict[str, Any] | None:
    """The group as intake decides with it (`_GROUP_STATE`), locked; None: never seen."""
    return _GROUP_LOCKED.first(conn, {"source": source, "key_hash": key_hash})


def load_group(conn: Connection, group_id: int) -> dict[str, Any] | None:
    return _GROUP_BY_ID.first(conn, {"group_id": group_id})


def insert_group(conn: Connection, values: Mapping[str, Any]) -> dict[str, Any] | None:
    """A new group as `lock_group` reads it; None when another transaction inserted the same
    (source, key) first."""
    try:
        with may_lose(conn):
            (made,) = _INSERT_GROUP.rows(conn, values)
    except IntegrityError:
        return None
    return made


def update_group(conn: Connection, group_id: int, fields: Mapping[str, Any]) -> None:
    _UPDATE_GROUP.execute(conn, {**fields, "group_id_": group_id})


def group_alerts(conn: Connection, group_id: int) -> list[dict[str, Any]]:
    return _ALERTS.rows(conn, {"group_id": group_id})


def alert_states(conn: Connection, group_id: int) -> list[dict[str, Any]]:
    """A group's alerts as intake compares and counts them: id, fingerprint, status,
    severity and start, in no particular order (none is needed: no sort)."""
    return _STATES.rows(conn, {"group_id": group_id})


def insert_alerts(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """New alerts of one group, in one statement (each row with the same columns)."""
    _INSERT_ALERT.execute_many(conn, rows)


def update_alerts(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Alerts that moved on, in one statement: each row its new values and its `alert_id`
    (each with the same columns)."""
    _UPDATE_ALERT.execute_many(conn, rows)


def add_notification(conn: Connection, values: Mapping[str, Any]) -> int:
    return int(_INSERT_NOTIFICATION.execute(conn, values).scalar_one())


def told(conn: Connection, group_id: int) -> bool:
    """Whether anything about this group was posted quietly before."""
    return _TOLD.first(conn, {"group_id": group_id}) is not None


def firing_groups(conn: Connection, service: str | None):
    """Groups with an alert firing, of one service (None: of every service), locked, read
    along the partial index of firing groups (every group ever seen is kept: a scan costs
    28 ms per 200,000). The status is written into the statement: a plan made for any
    status (PostgreSQL's generic plan of a prepared statement) could not use that index."""
    firing = sa.bindparam("status", "firing", literal_execute=True)
    query = sa.select(alert_groups).where(alert_groups.c.status == firing)
    if service is not None:
        query = query.where(alert_groups.c.service == service)
    return conn.execute(query.order_by(alert_groups.c.id).with_for_update()).mappings().all()


def last_outcome(conn: Connection, group_id: int) -> str | None:
    """What the latest notification of a group that changed anything led to."""
    query = (
        sa.select(alert_notifications.c.outcome)
        .where(
            alert_notifications.c.group_id == group_id,
            alert_notifications.c.outcome.not_in(("unchanged", "record")),
        )
        .order_by(alert_notifications.c.id.desc())
        .limit(1)
    )
    return conn.execute(query).scalar_one_or_none()


def notification(conn: Connection, notification_id: int):
    query = sa.select(alert_notifications).where(alert_notifications.c.id == notification_id)
    return conn.execute(query).mappings().first()


def group_of_incident(conn: Connection, incident_id: int):
    """The group whose alerts an incident is about (the latest, if the group moved on)."""
    row = (
        conn.execute(sa.select(alert_groups).where(alert_groups.c.incident_id == incident_id))
        .mappings()
        .first()
    )
    if row is not None:
        return row
    group_id = conn.execute(
        sa.select(alert_notifications.c.group_id)
        .where(alert_notifications.c.incident_id == incident_id)
        .order_by(alert_notifications.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return load_group(conn, group_id) if group_id is not None else None


# -- maintenance windows set with `/incident maintenance` --------------------------------------


def insert_window(conn: Connection, values: Mapping[str, Any]) -> int:
    result = conn.execute(sa.insert(maintenance_windows).values(**values))
    return int(result.inserted_primary_key[0])


def load_window(conn: Connection, window_id: int, *, lock: bool = False):
    query = sa.select(maintenance_windows).where(maintenance_windows.c.id == window_id)
    if lock:
        query = query.with_for_update()
    return conn.execute(query).mappings().first()


_LIVE_WINDOWS = Prepared(  # read by every notification that can change something
    sa.select(maintenance_windows)
    .where(
        maintenance_windows.c.ended_at.is_(None),
        maintenance_windows.c.ends_at
        > sa.bindparam("at", type_=maintenance_windows.c.ends_at.type),
        maintenance_windows.c.starts_at
        <= sa.bindparam("until", type_=maintenance_windows.c.starts_at.type),
    )
    .order_by(maintenance_windows.c.id)
)


def live_windows(conn: Connection, at: datetime, *, until: datetime | None = None):
    """Windows not ended early that are running at `at` (or start before `until`)."""
    return _LIVE_WINDOWS.rows(conn, {"at": at, "until": until or at})


def end_window(conn: Connection, window_id: int, by: str, at: datetime) -> bool:
    result = conn.execute(
        sa.update(maintenance_windows)
        .where(maintenance_windows.c.id == window_id, maintenance_windows.c.ended_at.is_(None))
        .values(ended_by=by, ended_at=at)
    )
    return result.rowcount == 1


def prune_notifications(conn: Connection, before: datetime, most: int) -> int:
    """Delete the oldest notifications received before `before` that nothing reads again, at
    most `most`: repeats that changed nothing (a firing group's, every few hours) and resolved
    alerts nobody was told about (`record`). The others say what a group led to
    (`last_outcome`, `_TOLD`) or are what a channel post shows (`notification`). How many
    went. Read along the primary key below the first notification received since `before`."""
    notes = alert_notifications
    bound = first_id_since(conn, notes, notes.c.received_at, before)
    old = sa.and_(
        notes.c.id < bound,
        notes.c.outcome.in_((grouping.UNCHANGED, grouping.RECORD)),
        notes.c.received_at < sa.bindparam("before", before, type_=UTCDateTime),
    )
    return delete_oldest(conn, notes, old, (notes.c.id,), most)
