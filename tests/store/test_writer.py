"""SQLite's writer: what its transactions do when BEGIN waits for another process, when COMMIT
fails, where write functions run, and at shutdown (group-commit isolation: test_store.py)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.tables import timers

BASE = datetime(2026, 1, 1, tzinfo=UTC)


def insert(key: str, **extra):
    """A write function storing one timer keyed `key`; it returns the key."""
    values = dict(
        kind="probe", due_at=BASE, fence=1, status="pending", payload={}, created_at=BASE, key=key
    )

    def work(conn) -> str:
        conn.execute(sa.insert(timers).values(**values, **extra))
        return key

    return work


async def keys(db: Database) -> list[str]:
    return await db.read(lambda conn: sorted(r[0] for r in conn.execute(sa.select(timers.c.key))))


@pytest.fixture
async def db(tmp_path):
    opened = Database(f"sqlite:///{tmp_path / 'w.db'}")
    await upgrade(opened)
    yield opened
    await opened.close()


async def test_a_failing_commit_fails_every_write_of_its_group_and_the_writer_goes_on(db):
    """A deferred foreign key makes the COMMIT itself fail: none of the writes committed
    with it is stored, each caller hears why, and the next write is stored."""

    def orphan(conn):
        conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")  # checked at COMMIT only
        return insert("orphan", incident_id=999)(conn)

    results = await asyncio.gather(
        *(db.write(insert(f"k{n}")) for n in range(5)),
        db.write(orphan),
        *(db.write(insert(f"m{n}")) for n in range(5)),
        return_exceptions=True,
    )
    assert all(isinstance(r, sa.exc.IntegrityError) for r in results), results
    assert await keys(db) == []
    assert await db.write(insert("after")) == "after"
    assert await keys(db) == ["after"]


async def test_a_write_waiting_for_another_process_lock_leaves_the_event_loop_free(db, tmp_path):
    """BEGIN IMMEDIATE waits (up to the busy timeout) while another process writes; that
    wait is the writer thread's, so reads and everything else on the loop go on, and the
    write is stored once the lock is free."""
    other = sqlite3.connect(tmp_path / "w.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's write transaction
    try:
        pending = asyncio.create_task(db.write(insert("late")))
        await asyncio.sleep(0)
        assert await keys(db) == []  # a read while the write waits for the lock
        assert not pending.done()
    finally:
        other.execute("COMMIT")
        other.close()
    assert await pending == "late"
    assert await keys(db) == ["late"]


async def test_a_begin_refused_past_the_busy_timeout_fails_as_core_reports_it(db, tmp_path):
    """BEGIN runs on the driver's connection (Core's own call costs more than the read it
    begins): when another process keeps the write lock past the busy timeout, the write
    fails with SQLAlchemy's OperationalError, nothing of it is stored, and the writer goes on."""
    await db.write(lambda conn: conn.exec_driver_sql("PRAGMA busy_timeout=50"))
    other = sqlite3.connect(tmp_path / "w.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(sa.exc.OperationalError, match="locked"):
            await db.write(insert("refused"))
    finally:
        other.execute("COMMIT")
        other.close()
    assert await db.write(insert("after")) == "after"
    assert await keys(db) == ["after"]


@pytest.mark.parametrize("alone", [False, True])
async def test_write_functions_run_off_the_event_loop(db, alone):
    """A write function never holds the loop (running them on it, measured in bench/README.md's
    sixth step, made a click at concurrency 1 half again slower): here it waits for something
    only the loop can do, which would never happen on the loop."""
    gate = threading.Event()

    def slow(conn):
        opened = gate.wait(10)
        insert("slow")(conn)
        return opened

    pending = asyncio.create_task(db.write(slow, alone=alone))
    await asyncio.sleep(0)
    assert await keys(db) == []  # the loop still serves reads
    gate.set()
    assert await pending is True
    assert await keys(db) == ["slow"]


async def test_a_short_read_runs_on_the_callers_thread_and_a_long_one_on_a_reader(db):
    """A short read (a few rows along an index) costs less than the hop to a reader thread
    and back; any other read leaves the loop free. Either sees what was committed."""
    await db.write(insert("seen"))

    def where(conn):
        return threading.get_ident(), [r[0] for r in conn.execute(sa.select(timers.c.key))]

    assert await db.read(where, short=True) == (threading.get_ident(), ["seen"])
    thread, found = await db.read(where)
    assert thread != threading.get_ident() and found == ["seen"]


async def test_closing_stores_the_writes_already_submitted(tmp_path):
    """Shutdown drains the queue: every write submitted before `close` is committed, and
    each caller has its answer."""
    path = tmp_path / "c.db"
    db = Database(f"sqlite:///{path}")
    await upgrade(db)
    pending = [asyncio.create_task(db.write(insert(f"k{n:03}"))) for n in range(200)]
    await asyncio.sleep(0)  # the tasks submit their writes
    await db.close()
    assert [t.result() for t in pending] == [f"k{n:03}" for n in range(200)]
    again = Database(f"sqlite:///{path}")
    try:
        assert await keys(again) == [f"k{n:03}" for n in range(200)]
    finally:
        await again.close()


async def test_the_writer_outlives_a_connection_lost_mid_transaction(tmp_path):
    """A write that loses the database connection, and whose reconnection fails too (the
    file is gone: a directory stands where it was), fails alone; the writer thread lives
    on, and once the file is back the next write is stored on a new connection."""
    path = tmp_path / "lost.db"
    db = Database(f"sqlite:///{path}")
    await upgrade(db)
    aside = tmp_path / "aside"

    def lose(conn):
        insert("lost")(conn)
        conn.connection.driver_connection.close()
        path.rename(aside)
        path.mkdir()  # no database can be opened here now

    try:
        with pytest.raises(sa.exc.DBAPIError):
            await asyncio.wait_for(db.write(lose), 30)
        path.rmdir()
        aside.rename(path)
        assert await asyncio.wait_for(db.write(insert("after")), 30) == "after"
        assert await keys(db) == ["after"]
    finally:
        await db.close()
