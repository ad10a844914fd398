"""What a piece of store code asks the database, and SQLite's plan for it: the tests that
hold a read to an index ask here (a read that walks history gets slower every week)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection


@contextmanager
def statements(conn: Connection, about: str = "") -> Iterator[list[tuple[str, Any]]]:
    """The statements run on `conn` inside the block (those whose SQL contains `about`),
    with their parameters."""
    seen: list[tuple[str, Any]] = []

    def listen(_conn, _cursor, statement, parameters, _context, _many):
        if about in statement:
            seen.append((statement, parameters))

    sa.event.listen(conn, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        sa.event.remove(conn, "before_cursor_execute", listen)


def plan(conn: Connection, statement: str, parameters: Any) -> list[str] | None:
    """SQLite's EXPLAIN QUERY PLAN steps for a statement; None on PostgreSQL, whose planner
    chooses by its statistics."""
    if conn.dialect.name != "sqlite":
        return None
    return [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
