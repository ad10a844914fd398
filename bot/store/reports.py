"""The incident report's queries: one period's incidents as plain numbers, fast at any size.

Each is served by an index: incidents by `declared_at` (a report's period), events by
`(kind, incident_id)` (when coverage resumed).

A report reads its period's incidents as plain numbers: the database turns each time into
seconds since the epoch (`Epoch`), and services and tenants are counted by the database, so
tens of thousands of incidents cost no datetime, JSON or object per incident in Python.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from bot.store.incidents import of_teams
from bot.store.tables import UTCDateTime, events, incidents


class Epoch(FunctionElement):
    """A stored time as seconds since the Unix epoch (a float), computed by the database:
    `julianday` on SQLite, `EXTRACT(EPOCH ...)` on PostgreSQL. NULL stays NULL."""

    type = sa.Float()
    inherit_cache = True
    name = "epoch"


@compiles(Epoch, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    # exact to about 50 microseconds for present-day times, plenty for a report
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(Epoch, "postgresql")
def _epoch_postgresql(element, compiler, **kw):
    return (
        f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"
    )


_IN_PERIOD = sa.and_(
    incidents.c.declared_at >= sa.bindparam("start", type_=UTCDateTime),
    incidents.c.declared_at < sa.bindparam("end", type_=UTCDateTime),
)
_PERIOD = sa.select(
    incidents.c.id.label("number"),
    # reports go to broadcast channels: a private incident counts, but not by its title
    sa.case((incidents.c.private, sa.literal("(private)")), else_=incidents.c.title).label("title"),
    incidents.c.severity,
    Epoch(incidents.c.declared_at).label("declared"),
    Epoch(incidents.c.waiting_until).label("waiting_until"),
    Epoch(incidents.c.acknowledged_at).label("acknowledged"),
    Epoch(incidents.c.resolved_at).label("resolved"),
    incidents.c.team,
).where(_IN_PERIOD)
# when coverage resumed (level 1 paged) for the incidents that waited, from the period's
# first incident on
_RESUMED = (
    sa.select(events.c.incident_id, Epoch(sa.func.min(events.c.at)))
    .where(
        events.c.kind == "paged",
        events.c.incident_id
        >= sa.select(sa.func.min(incidents.c.id)).where(_IN_PERIOD).scalar_subquery(),
    )
    .group_by(events.c.incident_id)
)
_COUNTS = (  # one row per distinct (service, tenant list), counted up in Python
    sa.select(
        incidents.c.service, sa.cast(incidents.c.tenants, sa.Text).label("tenants"), sa.func.count()
    )
    .where(_IN_PERIOD, incidents.c.private.is_(False))  # nor by its service or tenants
    .group_by(incidents.c.service, sa.cast(incidents.c.tenants, sa.Text))
)


def timings(conn: Connection, start: datetime, end: datetime, teams: Collection[str] | None = None):
    """Incidents declared in [start, end) (of `teams`; None: of all): an iterable of
    `bot.core.metrics.Timing` rows (epoch seconds; read it inside the transaction), and when
    coverage resumed for those that waited."""
    values = {"start": start, "end": end}
    resumed = dict(conn.execute(_RESUMED, values).all())
    query = _PERIOD if teams is None else _PERIOD.where(of_teams(teams))
    # streamed, not fetched whole: each row is gone once counted, so a long period builds no
    # pile of objects for the garbage collector to walk
    return conn.execute(query, values), resumed


def period(conn: Connection, start: datetime, end: datetime, teams: Collection[str] | None = None):
    """What `timings` reads, and counts per service and per tenant of the same incidents."""
    values = {"start": start, "end": end}
    services: dict[str, int] = {}
    tenants: dict[str, int] = {}
    counts = _COUNTS if teams is None else _COUNTS.where(of_teams(teams))
    for service, listed, count in conn.execute(counts, values):
        if service:
            services[service] = services.get(service, 0) + count
        for tenant in set(json.loads(listed or "[]")):
            tenants[tenant] = tenants.get(tenant, 0) + count
    rows, resumed = timings(conn, start, end, teams)
    return rows, resumed, services, tenants
