"""Queries on incidents and their timeline."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from bot.store.prepared import Prepared
from bot.store.tables import events, incidents

OPEN = ("declared", "acknowledged")

# Statements built once; values travel as parameters, so each call skips building and
# hashing a new statement (most of the cost of a small write in SQLAlchemy). Those of every
# declaration and acknowledgement run `Prepared`.
_INSERT = Prepared(sa.insert(incidents).returning(*incidents.c))  # as stored: no read after
_LOAD = sa.select(incidents).where(incidents.c.id == sa.bindparam("number"))
_LOADS = {False: Prepared(_LOAD), True: Prepared(_LOAD.with_for_update())}
_UPDATE = Prepared(
    sa.update(incidents)
    .where(incidents.c.id == sa.bindparam("number_"))
    .values(version=incidents.c.version + 1)
    .returning(*incidents.c)  # the row as now written: no read after
)
_INSERT_EVENT = Prepared(sa.insert(events).returning(events.c.id))  # every change adds one
_OPEN_BY_SEVERITY_AND_TEAM = (
    sa.select(incidents.c.severity, incidents.c.team, sa.func.count())
    .where(incidents.c.status.in_(OPEN))
    .group_by(incidents.c.severity, incidents.c.team)
)


def resolved_before(incident_id: sa.ColumnElement, cut: sa.BindParameter) -> sa.Exists:
    """Whether the incident `incident_id` names was resolved before `cut` and is still
    resolved (reopening clears `resolved_at`): what retention asks of the rows about it."""
    return (
        sa.select(incidents.c.id)
        .where(
            incidents.c.id == incident_id,
            incidents.c.status.not_in(OPEN),
            incidents.c.resolved_at < cut,
        )
        .exists()
    )


def insert(conn: Connection, fields: Mapping[str, Any]) -> Mapping[str, Any]:
    """The new incident's row, as `load` would read it."""
    (row,) = _INSERT.rows(conn, {**fields, "version": 1})
    return row


def load(conn: Connection, number: int, *, lock: bool = False) -> Mapping[str, Any] | None:
    """One incident row; with `lock`, held until the transaction ends (PostgreSQL)."""
    return _LOADS[lock].first(conn, {"number": number})


def update(conn: Connection, number: int, fields: Mapping[str, Any]) -> Mapping[str, Any]:
    """Change these fields; the row as `load` would now read it."""
    row = _UPDATE.first(conn, {**fields, "number_": number})
    if row is None:
        raise sa.exc.NoResultFound(f"no incident {number}")
    return row


def of_teams(teams: Collection[str] | None):
    """Incidents of some teams (None: of every team); the default team's include those
    declared before teams existed (no team stored)."""
    if teams is None:
        return sa.true()
    chosen = incidents.c.team.in_(list(teams))
    return sa.or_(incidents.c.team.is_(None), chosen) if "default" in teams else chosen


def _seen(public: bool):
    """Every incident, or (`public`) only those that are not private."""
    return incidents.c.private.is_(False) if public else sa.true()


def list_open(
    conn: Connection, limit: int, teams: Collection[str] | None = None, public: bool = False
):
    query = (
        sa.select(incidents)
        .where(incidents.c.status.in_(OPEN), of_teams(teams), _seen(public))
        .order_by(incidents.c.id.desc())
        .limit(limit)
    )
    return (conn.execute(query)).mappings().all()


def count_open(conn: Connection, teams: Collection[str] | None = None, public: bool = False) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(incidents)
        .where(incidents.c.status.in_(OPEN), of_teams(teams), _seen(public))
    )
    return int((conn.execute(query)).scalar_one())


def open_by_severity_and_team(conn: Connection) -> dict[tuple[str, str | None], int]:
    """How many incidents are open, per severity and stored team (the metrics gauge); team
    None for those declared before teams existed."""
    return {(severity, team): n for severity, team, n in conn.execute(_OPEN_BY_SEVERITY_AND_TEAM)}


def open_of(
    conn: Connection, severities: Sequence[str], teams: Collection[str] | None = None
) -> int:
    """How many open incidents that are not private (of `teams`, None: of any) have one
    of `severities` (the digest's subject)."""
    query = (
        sa.select(sa.func.count())
        .select_from(incidents)
        .where(
            incidents.c.status.in_(OPEN),
            incidents.c.severity.in_(list(severities)),
            of_teams(teams),
            _seen(public=True),
        )
    )
    return int(conn.execute(query).scalar_one())


def add_event(
    conn: Connection,
    number: int,
    at: datetime,
    actor: str,
    kind: str,
    text: str,
    data: Mapping[str, Any],
) -> int:
    result = _INSERT_EVENT.execute(
        conn,
        {
            "incident_id": number,
            "at": at,
            "actor": actor,
            "kind": kind,
            "text": text,
            "data": dict(data),
        },
    )
    return int(result.scalar_one())


def get_event(conn: Connection, event_id: int):
    query = sa.select(events).where(events.c.id == event_id)
    return (conn.execute(query)).mappings().first()


def recent_events(conn: Connection, number: int, limit: int):
    query = (
        sa.select(events)
        .where(events.c.incident_id == number)
        .order_by(events.c.id.desc())
        .limit(limit)
    )
    rows = (conn.execute(query)).mappings().all()
    return list(reversed(rows))


def paged(conn: Connection, number: int) -> set[str]:
    """Everyone a page of this incident reached (the `notified` of its events)."""
    query = sa.select(events.c.data).where(events.c.incident_id == number)
    return {user for (data,) in conn.execute(query) for user in data.get("notified") or ()}


def update_card(conn: Connection, number: int, ts: str) -> None:
    """Record where the card lives; not a state change, so the version stays."""
    conn.execute(sa.update(incidents).where(incidents.c.id == number).values(thread_ts=ts))


def last_updates(conn: Connection, numbers: list[int]) -> dict[int, tuple[datetime, str]]:
    """The newest status update of each incident: (when, text)."""
    if not numbers:
        return {}
    newest = (
        sa.select(sa.func.max(events.c.id))
        .where(events.c.kind == "update", events.c.incident_id.in_(numbers))
        .group_by(events.c.incident_id)
    )
    query = sa.select(events.c.incident_id, events.c.at, events.c.text).where(
        events.c.id.in_(newest)
    )
    return {row.incident_id: (row.at, row.text) for row in conn.execute(query)}
