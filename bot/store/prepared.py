"""Statements of the write path run without SQLAlchemy's per-execution work.

A cached Core statement still costs about 30 µs of Python a run (the compiled cache's lookup,
an execution context, bind processing, result set-up), against 3-6 µs for SQLite's own work,
and a declaration runs ten. A `Prepared` statement is compiled once per dialect and set of
columns; each run passes its values through that compilation's own bind processors (the
same conversions Core applies: UTC datetimes, JSON) and hands the SQL to the driver with
`exec_driver_sql`. The rows it reads back (`rows`) pass through the compilation's result
processors, as Core's do (UTC datetimes, JSON, booleans). For INSERTs, plain column values
without Python-side defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.engine import CursorResult, Dialect

_MISSING = object()
# per parameter in SQL order: its name, its bind processor, the value written into the
# statement (a literal such as `id == 1`; _MISSING when the caller must give one)
_Order = tuple[tuple[str, Callable[[Any], Any] | None, Any], ...]
# per column read back in order: its key and its result processor
_Reading = tuple[tuple[str, Callable[[Any], Any] | None], ...]
_Compiled = tuple[str, _Order, _Reading]  # the SQL, its parameters, its columns read back


class Prepared:
    """One statement, compiled per (dialect, parameters given) on first use, as Core compiles
    it for those parameters."""

    def __init__(self, statement: sa.Executable) -> None:
        self.statement = statement
        # per dialect (one per engine; tests open many, so held weakly), per columns given
        self._compiled: WeakKeyDictionary[Dialect, dict[tuple[str, ...], _Compiled]] = (
            WeakKeyDictionary()
        )

    def execute(self, conn: Connection, values: Mapping[str, Any]) -> CursorResult:
        """Run it once with these values."""
        sql, order, _ = self._for(conn.dialect, tuple(values))
        return conn.exec_driver_sql(sql, _positional(order, values))

    def rows(self, conn: Connection, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Run it once with these values; the rows it returns, each as a dict of its columns
        converted as Core converts them."""
        sql, order, reading = self._for(conn.dialect, tuple(values))
        found = conn.exec_driver_sql(sql, _positional(order, values)).fetchall()
        return [
            {
                key: value if process is None else process(value)
                for (key, process), value in zip(reading, row, strict=True)
            }
            for row in found
        ]

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert several rows with the same columns, in one executemany."""
        sql, order, _ = self._for(conn.dialect, tuple(rows[0]))
        conn.exec_driver_sql(sql, [_positional(order, row) for row in rows])

    def _for(self, dialect: Dialect, columns: tuple[str, ...]) -> _Compiled:
        known = self._compiled.setdefault(dialect, {})
        if columns not in known:
            compiled = self.statement.compile(dialect=dialect, column_keys=list(columns))
            names = compiled.positiontup
            if names is None:  # both of Firebell's drivers take positional parameters
                raise TypeError(f"{dialect.name}: a prepared statement needs positional ones")
            processors, binds = compiled._bind_processors, compiled.binds
            order = tuple(
                (name, processors.get(name), _fixed(binds[name], columns)) for name in names
            )
            # result processors chosen without the driver's column type code (None): none of
            # the types Firebell reads back (integers, strings, booleans, JSON, UTC datetimes)
            # looks at it
            reading = tuple(
                (column.keyname, column.type._cached_result_processor(dialect, None))
                for column in compiled._result_columns
            )
            known[columns] = (compiled.string, order, reading)
        return known[columns]


def _fixed(bind: sa.BindParameter, given: tuple[str, ...]) -> Any:
    """The value a parameter the caller does not give takes: the literal in the statement."""
    if bind.key in given or bind.required:
        return _MISSING
    return bind.effective_value


def _positional(order: _Order, values: Mapping[str, Any]) -> tuple[Any, ...]:
    found = []
    for name, process, fixed in order:
        value = values[name] if fixed is _MISSING else fixed
        found.append(process(value) if process is not None else value)
    return tuple(found)
