"""Deleting old rows in bounded steps: each step runs in a write transaction, which on SQLite
holds the one writer (every acknowledgement and alert waits behind it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Connection


def delete_oldest(
    conn: Connection,
    table: sa.Table,
    old: sa.ColumnElement[bool],
    order: Sequence[sa.ColumnElement],
    most: int,
) -> int:
    """Delete the first `most` rows of `table` in `order` that `old` holds for; how many
    went. Give an `old` and an `order` that one index serves (an equality on its leading
    column, then its order): the read stops after `most` rows, where a sort would read
    every row `old` holds for at every step."""
    if most <= 0:
        return 0
    picked = sa.select(table.c.id).where(old).order_by(*order).limit(most)
    return conn.execute(sa.delete(table).where(table.c.id.in_(picked))).rowcount


def first_id_since(conn: Connection, table: sa.Table, written: sa.Column, since: datetime) -> int:
    """The id that splits `table` at `since`: the rows below it written before, the rest
    at `since` or later (past the last row when none is; 0 in an empty table). Found by
    bisecting the primary key: a score of index probes however long the table, where a
    walk would read every older row. A time written as its row is inserted grows with the
    id, so the rows below the id are the older ones; where two transactions' clocks crossed
    by a moment, a row or two may be on the wrong side of it. Use it as a bound beside the
    time's own test: a row it leaves above is taken the next day."""
    # apart: SQLite reads min() or max() of a key from its index only when alone
    low = conn.execute(sa.select(sa.func.min(table.c.id))).scalar()
    high = conn.execute(sa.select(sa.func.max(table.c.id))).scalar()
    if low is None:
        return 0
    probe = (
        sa.select(table.c.id, written)
        .where(table.c.id >= sa.bindparam("at"))
        .order_by(table.c.id)
        .limit(1)
    )
    high += 1  # no row at or past it: counts as recent
    while low < high:
        middle = (low + high) // 2
        found = conn.execute(probe, {"at": middle}).first()
        if found is None or found[1] >= since:
            high = middle
        else:
            low = found[0] + 1
    return low
