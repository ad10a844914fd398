"""Statements of the write path run without SQLAlchemy's per-execution work.

A cached Core statement still costs about 30 µs of Python a run (the compiled cache's lookup,
an execution context, bind processing, result set-up), against 3-6 µs for SQLite's own work,
and a declaration runs ten. A `Prepared` statement is compiled once per dialect and set of
columns; each run passes its values through that compilation's own bind processors (the
same conversions Core applies: UTC datetimes, JSON) and hands the SQL to the driver. The
rows it reads back (`rows`) pass through the compilation's result processors, as Core's do
(UTC datetimes, JSON, booleans). For INSERTs, plain column values without Python-side
defaults.

On SQLite the SQL goes to sqlite3's own cursor: even `exec_driver_sql` costs 6 µs an INSERT
and 18 µs a SELECT of Python (an execution context, a result's metadata) against SQLite's 2,
and a declaration runs a dozen. Its errors are raised as SQLAlchemy raises them (an
`IntegrityError` stays one). While anything listens to the statements a connection runs (a
test counting them), the statement goes through `exec_driver_sql`, which tells them; so
does every statement on PostgreSQL, whose driver SQLAlchemy adapts.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.engine import Dialect

T = TypeVar("T")
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

    def execute(self, conn: Connection, values: Mapping[str, Any]) -> Ran:
        """Run it once with these values."""
        sql, order, _ = self._for(conn.dialect, tuple(values))
        return _run(conn, sql, _positional(order, values))

    def rows(self, conn: Connection, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Run it once with these values; the rows it returns, each as a dict of its columns
        converted as Core converts them."""
        sql, order, reading = self._for(conn.dialect, tuple(values))
        return [
            _converted(reading, row) for row in _run(conn, sql, _positional(order, values)).rows
        ]

    def made(
        self,
        conn: Connection,
        values: Mapping[str, Any],
        make: Callable[[dict[str, Any]], T],
        kept: Kept[T],
    ) -> list[T]:
        """Run it once; each row as `make` builds it from `rows`' dict, but a row read before
        with the very same values is taken from `kept`, not converted again: a reader of the
        same rows several times a second (the sender's pending rows) pays only for those new
        or changed. A row that cannot be a key (asyncpg hands JSON as a dict) is made anew
        each time."""
        sql, order, reading = self._for(conn.dialect, tuple(values))
        found, memo = [], kept.made
        for row in _run(conn, sql, _positional(order, values)).rows:
            try:
                made = memo.get(row)
            except TypeError:  # a driver's value that cannot be a key (a dict): made anew
                found.append(make(_converted(reading, row)))
                continue
            if made is None:
                made = memo[row] = make(_converted(reading, row))
            else:
                memo.move_to_end(row)
            found.append(made)
        while len(memo) > kept.most:
            memo.popitem(last=False)
        return found

    def first(self, conn: Connection, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """Run it once with these values; the first row it returns (None: none), as `rows`."""
        found = self.rows(conn, values)
        return found[0] if found else None

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert several rows with the same columns, in one executemany."""
        sql, order, _ = self._for(conn.dialect, tuple(rows[0]))
        _run(conn, sql, [_positional(order, row) for row in rows], many=True)

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


def _converted(reading: _Reading, row: Sequence[Any]) -> dict[str, Any]:
    """A row read back as a dict of its columns, converted as Core converts them."""
    return {
        key: value if process is None else process(value)
        for (key, process), value in zip(reading, row, strict=True)
    }


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


class Kept(Generic[T]):
    """What one reader made of the rows it read (raw row -> record), for its next reads: at
    most `most` rows, those read least recently forgotten first. A row a read leaves out is
    not forgotten at once: the sender's reads leave out a resting channel's backlog for a
    while, then read it again."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.made: OrderedDict[Any, T] = OrderedDict()


@dataclass(frozen=True, slots=True)
class Ran:
    """What a run gave: the rows it returned (as the driver gave them) and the rows it
    changed."""

    rows: list[Sequence[Any]]
    rowcount: int

    def one(self) -> Sequence[Any]:
        if len(self.rows) != 1:
            raise sa.exc.NoResultFound(f"{len(self.rows)} rows where one was expected")
        return self.rows[0]

    def scalar_one(self) -> Any:
        return self.one()[0]


def _run(conn: Connection, sql: str, params: Any, many: bool = False) -> Ran:
    """The statement on sqlite3's cursor, or through `exec_driver_sql` (see the module)."""
    listened = conn.dispatch.before_cursor_execute or conn.dispatch.after_cursor_execute
    if conn.dialect.name != "sqlite" or listened:
        result = conn.exec_driver_sql(sql, params)
        return Ran(result.fetchall() if result.returns_rows else [], result.rowcount)
    cursor = conn.connection.driver_connection.cursor()
    error = conn.dialect.loaded_dbapi.Error
    try:
        if many:
            cursor.executemany(sql, params)
        else:
            cursor.execute(sql, params)
        found = cursor.fetchall() if cursor.description else []
        return Ran(found, cursor.rowcount)  # counted once the rows are read (RETURNING)
    except error as exc:  # as Core raises it: IntegrityError, OperationalError…
        raise sa.exc.DBAPIError.instance(sql, params, exc, error) from exc
    finally:
        cursor.close()
