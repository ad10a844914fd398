"""The database and its transactions: `await db.write(fn)` and `await db.read(fn)`.

Work is a plain function of a SQLAlchemy `Connection`, so the same code runs on both backends:

- SQLite: one writer thread opens and commits the transactions (stdlib driver), committing
  concurrent write functions together (group commit): each function runs in its own
  SAVEPOINT, so one failing rolls back alone, and every caller returns only after the shared
  COMMIT is on disk. The functions run on the event loop between BEGIN and COMMIT (`_Writer`
  says why), except `alone` ones. Readers use a small thread pool and WAL snapshots.
  Settings: WAL, busy timeout, foreign keys, full fsync on commit, BEGIN IMMEDIATE for writes.
- PostgreSQL: each call is one transaction on the async engine (asyncpg), the function run
  through `run_sync`; rows are locked with SELECT ... FOR UPDATE where it matters.

This module is the one place with backend-specific SQL: SQLite's pragmas and BEGIN IMMEDIATE
here, PostgreSQL's advisory locks in `LaneLocks` and `lock_for_migrations`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sqlite3
import zlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar, copy_context
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.engine import make_url

T = TypeVar("T")
Work = Callable[[Connection], T]

BUSY_TIMEOUT_MS = 10_000  # how long a write waits for another process's lock
GROUP_LIMIT = 64  # most write functions committed together
# Set for a context, wraps every write made in it: how a Slack request's claim
# (services/handled.py) joins the request's own transaction rather than costing one more.
WRITE_WRAPPER: ContextVar[Callable[[Work], Work] | None] = ContextVar("write_wrapper", default=None)


class Database:
    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            _ensure_parent(self.url.database)
            self.sync_engine = create_engine(
                self.url.set(drivername="sqlite"),
                pool_size=4,
                json_serializer=json_text,
                json_deserializer=orjson.loads,
            )
            _tune_sqlite(self.sync_engine)
            self._writer = _Writer(self.sync_engine)
            self._readers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="db-read")
        else:
            # here, not at the top: it imports SQLAlchemy's ORM (~70 ms), which SQLite never uses
            from sqlalchemy.ext.asyncio import create_async_engine

            self.engine = create_async_engine(
                url,
                pool_size=10,
                max_overflow=10,
                pool_pre_ping=True,
                json_serializer=json_text,
                json_deserializer=orjson.loads,  # the same objects as json.loads, 4x faster
            )

    async def write(self, work: Work[T], *, alone: bool = False) -> T:
        """Run `work` in a read-write transaction; returns once it is committed.

        `alone`: in a transaction of its own, and on SQLite off the event loop; for work of
        no fixed size (schema migrations, timer rounds), which would stall the loop."""
        if (wrapper := WRITE_WRAPPER.get()) is not None:
            work = wrapper(work)
        if self.is_sqlite:  # run by the writer within the caller's context variables
            return await self._writer.submit(functools.partial(copy_context().run, work), alone)
        async with self.engine.begin() as conn:
            return await conn.run_sync(work)

    async def read(self, work: Work[T]) -> T:
        """Run `work` on a consistent snapshot; never blocks writers."""
        if self.is_sqlite:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._readers, self._read_sync, work)
        async with self.engine.connect() as conn:
            return await conn.run_sync(work)

    def _read_sync(self, work: Work[T]) -> T:
        with self.sync_engine.connect() as conn, conn.begin():
            return work(conn)

    async def ping(self) -> None:
        await self.read(lambda conn: conn.exec_driver_sql("SELECT 1").scalar_one())

    async def close(self) -> None:
        if self.is_sqlite:
            await self._writer.stop()
            self._readers.shutdown(wait=True)
            self.sync_engine.dispose()
        else:
            await self.engine.dispose()


def json_text(value: Any) -> str:
    """JSON columns' text, by orjson (several times json.dumps' speed; every change writes
    some): keys that are not strings become strings, as json.dumps makes them. An integer
    past 64 bits, which orjson refuses (a webhook's `truncatedAlerts` of 2**64, say), is
    written by json.dumps: whatever JSON came in is stored, never refused here."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class _Writer:
    """The one SQLite writer, driven from the event loop. Write functions queue up; each group
    of them runs on the loop inside one transaction, whose COMMIT (an fsync) runs in a thread
    while the next group gathers (group commit). Run in a thread, their statements would
    contend with the loop for the GIL one by one (sqlite3 releases it around each), which cost
    a served write a fifth of its CPU. What may block stays in the thread: a BEGIN that must
    wait for another process's lock, the COMMIT, and `alone` work of no fixed size
    (migrations, timer rounds), which runs there whole."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-writer")
        self.conn: Connection | None = None
        self.jobs: deque[tuple[Work, bool, asyncio.Future]] = deque()
        self.draining: asyncio.Task | None = None
        self.last: Future | None = None  # the thread's last step, awaited before the next

    def submit(self, work: Work[T], alone: bool) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self.jobs.append((work, alone, future))
        if self.draining is None:
            self.draining = loop.create_task(self._drain())
        return future

    async def stop(self) -> None:
        """Commit what was submitted, then close the connection."""
        if self.draining is not None:
            await asyncio.shield(self.draining)
        if self.conn is not None:
            await self._in_thread(self.conn.close)
        self.thread.shutdown(wait=True)

    async def _drain(self) -> None:
        try:
            while self.jobs:
                group = [self.jobs.popleft()]
                while not group[0][1] and self.jobs and len(group) < GROUP_LIMIT:
                    if self.jobs[0][1]:
                        break
                    group.append(self.jobs.popleft())
                try:
                    results = await self._write(group)
                except BaseException as exc:  # BEGIN or COMMIT failed: nobody's work is stored
                    results = [(None, exc)] * len(group)
                    if self.conn is not None:
                        await self._in_thread(_roll_back, self.conn)
                _settle(group, results)
        finally:
            self.draining = None

    async def _write(self, group: list) -> list[tuple[Any, BaseException | None]]:
        if self.conn is None:
            self.conn = await self._in_thread(self.engine.connect)
        conn = self.conn
        if group[0][1]:
            return await self._in_thread(_whole, conn, group)
        if not _begin_at_once(conn):  # another process holds the lock: wait off the loop
            await self._in_thread(_begin, conn)
        results = _run_group(conn, group)
        if len(group) == 1 and results[0][1] is not None:
            await self._in_thread(_roll_back, conn)
        else:
            await self._in_thread(_commit, conn)
        return results

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        if self.last is not None and not self.last.done():  # a step left by a cancelled drain
            await asyncio.wrap_future(self.last)
        self.last = self.thread.submit(fn, *args)
        return await asyncio.wrap_future(self.last)


def _begin_at_once(conn: Connection) -> bool:
    """BEGIN IMMEDIATE if the write lock is free now (False: it is not; nothing begun)."""
    sqlite = conn.connection.driver_connection
    sqlite.execute("PRAGMA busy_timeout=0")
    try:
        _begin(conn)
        return True
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
            raise
        return False
    finally:
        sqlite.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _begin(conn: Connection) -> None:
    conn.connection.driver_connection.execute("BEGIN IMMEDIATE")
    conn.begin()  # SQLAlchemy's side of it: `_on_begin` sends nothing more


def _commit(conn: Connection) -> None:
    conn.commit()


def _roll_back(conn: Connection) -> None:
    """End the transaction, whatever state it is left in: a COMMIT that SQLite refused (a
    deferred constraint, say) leaves it open, which SQLAlchemy does not end."""
    conn.rollback()
    sqlite = conn.connection.driver_connection
    if sqlite.in_transaction:
        sqlite.execute("ROLLBACK")


def _whole(conn: Connection, group: list) -> list[tuple[Any, BaseException | None]]:
    """An `alone` function's whole transaction, in the writer thread."""
    _begin(conn)
    results = _run_group(conn, group)
    (_roll_back if results[0][1] is not None else _commit)(conn)
    return results


def _run_group(conn: Connection, group: list) -> list[tuple[Any, BaseException | None]]:
    """Each function's result or error; several functions each run in a SAVEPOINT, so one
    failing rolls back alone."""
    if len(group) == 1:
        return [_attempt(group[0][0], conn)]
    # SAVEPOINTs sent to sqlite3 directly: SQLAlchemy's nested transaction costs ~100 µs of
    # Python a job, its SQL 2 µs; none of the work opens one
    sqlite = conn.connection.driver_connection
    results = []
    for work, *_ in group:
        sqlite.execute("SAVEPOINT job")
        result = _attempt(work, conn)
        if result[1] is not None:
            sqlite.execute("ROLLBACK TO job")
        sqlite.execute("RELEASE job")
        results.append(result)
    return results


def _attempt(work: Work, conn: Connection) -> tuple[Any, BaseException | None]:
    try:
        return work(conn), None
    except BaseException as exc:
        return None, exc


def _settle(group: list, results: list[tuple[Any, BaseException | None]]) -> None:
    for (_, _, future), (value, error) in zip(group, results, strict=True):
        if future.cancelled():
            continue
        if isinstance(error, asyncio.CancelledError):  # the writer was cancelled (shutdown)
            future.cancel()
        elif error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)


MIGRATION_LOCK = 0x46_49_52_45  # "FIRE": replicas starting together migrate one at a time


def lock_for_migrations(conn: Connection) -> None:
    """Hold the migration lock until this transaction ends (PostgreSQL; SQLite's writer
    lock already serialises migrations)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")


class LaneLocks:
    """Which replica delivers which outbox lane, so per-incident order holds across replicas.

    On PostgreSQL, a lane is a session advisory lock on one long-lived connection: a replica
    that dies drops its connection and its lanes at once. With SQLite there is one process,
    which owns every lane.
    """

    _TRY = text("SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k WHERE pg_try_advisory_lock(k)")
    _UNLOCK = text("SELECT pg_advisory_unlock(k) FROM unnest(CAST(:keys AS bigint[])) AS k")

    def __init__(self, db: Database) -> None:
        self.db = db
        self.held: set[int] = set()
        self.took_over = False  # the last acquire took a lane not held before
        self.taken: set[tuple] = set()  # ... and which
        self._conn = None

    @staticmethod
    def key(lane: tuple) -> int:
        kind, value = lane
        if kind == "incident":
            return (1 << 40) | int(value)
        # private answers' and a person's bundled pages' lanes apart from the channel's
        tag = {"private": 3, "bundle": 4}.get(kind, 2)
        return (tag << 40) | zlib.crc32(str(value).encode())

    async def acquire(self, lanes: list[tuple]) -> set[tuple]:
        """The lanes among `lanes` this process may deliver now."""
        self.took_over, self.taken = False, set()
        if self.db.is_sqlite:
            return set(lanes)
        wanted = {self.key(lane): lane for lane in lanes}
        missing = [k for k in wanted if k not in self.held]
        if missing:
            conn = await self._connection()
            result = await conn.execute(self._TRY, {"keys": missing})
            await conn.commit()
            taken = {row[0] for row in result}
            self.took_over = bool(taken)
            self.taken = {wanted[k] for k in taken}
            self.held.update(taken)
        return {lane for k, lane in wanted.items() if k in self.held}

    async def release_all_but(self, lanes: list[tuple]) -> None:
        """Give up lanes with nothing left to deliver, so other replicas may take them."""
        if self.db.is_sqlite or not self.held:
            return
        keep = {self.key(lane) for lane in lanes}
        done = [k for k in self.held if k not in keep]
        if done:
            conn = await self._connection()
            await conn.execute(self._UNLOCK, {"keys": done})
            await conn.commit()
            self.held.difference_update(done)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()  # the server drops every lock with the session
            self._conn = None
            self.held.clear()

    async def _connection(self):
        if self._conn is None:
            self._conn = await self.db.engine.connect()
        return self._conn


def _ensure_parent(database: str | None) -> None:
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def _tune_sqlite(engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            f"busy_timeout={BUSY_TIMEOUT_MS}",
            "foreign_keys=ON",
            "synchronous=FULL",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if not conn.connection.driver_connection.in_transaction:  # the writer's has begun
            conn.exec_driver_sql("BEGIN")
