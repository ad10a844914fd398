"""Deleting old rows in bounded steps: each step runs in a write transaction, which on SQLite
holds the one writer (every acknowledgement and alert waits behind it)."""

from __future__ import annotations

from collections.abc import Sequence

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
