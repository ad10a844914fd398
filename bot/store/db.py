"""The database and its transactions: `await db.write(fn)` and `await db.read(fn)`.

Work is a plain function of a SQLAlchemy `Connection`, so the same code runs on both backends:

- SQLite: one writer thread runs write functions with the stdlib driver, one hand-off per
  transaction, and commits concurrent ones together (group commit): each function runs in its
  own SAVEPOINT, so one failing rolls back alone, and every caller returns only after the
  shared COMMIT is on disk. Readers use a small thread pool and WAL snapshots (a short read
  runs on the caller's thread instead). Settings: WAL,
  busy timeout, foreign keys, full fsync on commit, BEGIN IMMEDIATE for writes.
- PostgreSQL: each call is one transaction on the async engine (asyncpg), the function run
  through `run_sync`; rows are locked with SELECT ... FOR UPDATE where it matters.

This module is the one place with backend-specific SQL: SQLite's pragmas and BEGIN IMMEDIATE
here, PostgreSQL's advisory locks in `LaneLocks` and `lock_for_migrations`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import queue
import sqlite3
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar, copy_context
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

T = TypeVar("T")
Work = Callable[[Connection], T]

_WRITE = "firebell_write"
_STOP = object()
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

        `alone` keeps it out of group commit (schema migrations)."""
        if (wrapper := WRITE_WRAPPER.get()) is not None:
            work = wrapper(work)
        if self.is_sqlite:  # run in the writer thread within the caller's context variables
            return await self._writer.submit(functools.partial(copy_context().run, work), alone)
        async with self.engine.begin() as conn:
            return await conn.run_sync(work)

    async def read(self, work: Work[T], *, short: bool = False) -> T:
        """Run `work` on a consistent snapshot; never blocks writers. On SQLite it runs on a
        reader thread, or, when `short` (a few rows along an index: what the sender reads
        per delivery), on the caller's: a read by key costs ~50 µs of CPU there and 300-370
        µs through a reader thread, the wake-ups of the hop and back (bench/overheads.py)."""
        if self.is_sqlite:
            if short:
                return self._read_sync(work)
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
            await asyncio.get_running_loop().run_in_executor(None, self._writer.stop)
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
    """The one SQLite writer: a thread draining a queue of write functions in groups."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="db-writer", daemon=True)
        self.thread.start()

    def submit(self, work: Work[T], alone: bool) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self.jobs.put((work, alone, future, loop))
        return future

    def stop(self) -> None:
        self.jobs.put(_STOP)
        self.thread.join()

    def _run(self) -> None:
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{_WRITE: True})
            carried = None
            while True:
                job = carried if carried is not None else self.jobs.get()
                carried = None
                if job is _STOP:
                    return
                group = [job]
                while not job[1] and len(group) < GROUP_LIMIT:
                    try:
                        more = self.jobs.get_nowait()
                    except queue.Empty:
                        break
                    if more is _STOP or more[1]:
                        carried = more
                        break
                    group.append(more)
                self._commit(conn, group)

    def _commit(self, conn: Connection, group: list) -> None:
        results: list[tuple[Any, BaseException | None]] = []
        try:
            with conn.begin():
                if len(group) == 1:
                    results.append(_attempt(group[0][0], conn))
                    if results[0][1] is not None:
                        raise _RollBack()
                else:
                    # SAVEPOINTs sent to sqlite3 directly: SQLAlchemy's nested transaction
                    # costs ~100 µs of Python a job, its SQL 2 µs; none of the work opens one
                    sqlite = conn.connection.driver_connection
                    for work, *_ in group:
                        sqlite.execute("SAVEPOINT job")
                        result = _attempt(work, conn)
                        if result[1] is not None:
                            sqlite.execute("ROLLBACK TO job")
                        sqlite.execute("RELEASE job")
                        results.append(result)
        except _RollBack:
            pass
        except BaseException as exc:  # BEGIN or COMMIT failed: nobody's work is stored
            results = [(None, exc)] * len(group)
            _end(conn)
        # one wake-up of the event loop per group, not per job (each is a self-pipe write)
        settled: dict[asyncio.AbstractEventLoop, list] = {}
        for (_, _, future, loop), (value, error) in zip(group, results, strict=True):
            settled.setdefault(loop, []).append((future, value, error))
        for loop, outcomes in settled.items():
            loop.call_soon_threadsafe(_settle, outcomes)


class _RollBack(Exception):
    """Leaves a single-function transaction with a rollback."""


def _end(conn: Connection) -> None:
    """Roll back what a refused COMMIT left open: SQLite keeps the transaction when it
    refuses one (a deferred constraint, say), and SQLAlchemy does not end it, so every
    later BEGIN would fail. Never raises: the writer thread must outlive any failure (a
    connection SQLAlchemy invalidated has nothing open, and the next BEGIN replaces it)."""
    with contextlib.suppress(SQLAlchemyError, sqlite3.Error):
        sqlite = conn.connection.driver_connection
        if sqlite.in_transaction:
            sqlite.execute("ROLLBACK")


def _attempt(work: Work, conn: Connection) -> tuple[Any, BaseException | None]:
    try:
        return work(conn), None
    except BaseException as exc:
        return None, exc


def _settle(outcomes: list[tuple[asyncio.Future, Any, BaseException | None]]) -> None:
    for future, value, error in outcomes:
        if future.cancelled():
            continue
        if error is not None:
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
        # private answers', a person's bundled pages' and a merged kind's lanes apart from
        # the channel's
        tag = {"private": 3, "bundle": 4, "kind": 5}.get(kind, 2)
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
            "busy_timeout=10000",
            "foreign_keys=ON",
            "synchronous=FULL",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        """On the driver's connection: every read and write begins here, and Core's
        `exec_driver_sql` took 15 of a short read's 65 µs (sqlite3's own call: under 1).
        A refused BEGIN is raised as Core raises it."""
        begin = "BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE, False) else "BEGIN"
        try:
            conn.connection.driver_connection.execute(begin)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(begin, (), exc, sqlite3.Error) from exc
