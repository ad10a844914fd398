"""INSERTs of the write path run without SQLAlchemy's per-execution work.

A cached Core statement still costs about 30 µs of Python a run (the compiled cache's lookup,
an execution context, bind processing, result set-up), against 3-6 µs for SQLite's own work,
and a declaration runs ten. A `Prepared` statement is compiled once per dialect and set of
columns; each run passes its values through that compilation's own bind processors (the
same conversions Core applies: UTC datetimes, JSON) and hands the SQL to the driver with
`exec_driver_sql`. Only for INSERTs of plain column values: no SQL expressions, no Python-side
defaults, nothing read back but an integer id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.engine import CursorResult, Dialect

_Order = tuple[tuple[str, Callable[[Any], Any] | None], ...]


class Prepared:
    """One INSERT, compiled per (dialect, columns given) on first use."""

    def __init__(self, statement: sa.Insert) -> None:
        self.statement = statement
        self._compiled: dict[tuple[Dialect, tuple[str, ...]], tuple[str, _Order] | None] = {}

    def execute(self, conn: Connection, values: Mapping[str, Any]) -> CursorResult:
        """Insert one row."""
        found = self._for(conn.dialect, tuple(values))
        if found is None:  # a named paramstyle: Core's usual path
            return conn.execute(self.statement, dict(values))
        sql, order = found
        return conn.exec_driver_sql(sql, _positional(order, values))

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert several rows with the same columns, in one executemany."""
        found = self._for(conn.dialect, tuple(rows[0]))
        if found is None:
            conn.execute(self.statement, [dict(row) for row in rows])
            return
        sql, order = found
        conn.exec_driver_sql(sql, [_positional(order, row) for row in rows])

    def _for(self, dialect: Dialect, columns: tuple[str, ...]) -> tuple[str, _Order] | None:
        key = (dialect, columns)
        if key not in self._compiled:
            compiled = self.statement.compile(dialect=dialect, column_keys=list(columns))
            names = compiled.positiontup
            if names is None:
                self._compiled[key] = None
            else:
                processors = compiled._bind_processors
                order = tuple((name, processors.get(name)) for name in names)
                self._compiled[key] = (compiled.string, order)
        return self._compiled[key]


def _positional(order: _Order, values: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(
        process(values[name]) if process is not None else values[name] for name, process in order
    )
