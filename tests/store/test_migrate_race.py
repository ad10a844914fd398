"""Two replicas starting at once both run `firebell migrate`: both succeed, the schema is right.

On PostgreSQL, `migrate` takes an advisory lock for its transaction, so the two take turns and
the second finds the schema current. To make "at the same moment" certain rather than likely,
the test holds that lock itself while both processes start, waits until both are queued on
it, then lets them go. On SQLite, the write lock (BEGIN IMMEDIATE, busy timeout) serialises
them; the test holds that lock while two processes start on one new file, until both have
opened it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import sys
import time
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.store.db import MIGRATION_LOCK, Database
from bot.store.migrate import current_revision, head
from bot.store.tables import metadata
from tests.support import database
from tests.support.db import rows

QUEUE_WITHIN = 30.0
EXIT_WITHIN = 60.0


def migrate_env(url: str) -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "FIREBELL_", "DATABASE_URL"))
    }
    return {**clean, "DATABASE_URL": url}


async def start_migrate(url: str, cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "migrate",
        env=migrate_env(url),
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def outcome(process: asyncio.subprocess.Process) -> tuple[int, str, str]:
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=EXIT_WITHIN)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode, out.decode(), err.decode()


async def schema_problems(url: str) -> tuple[tuple[str | None, str], list]:
    """(revision at, head) and the differences between the database and bot.store.tables."""
    db = Database(url)
    try:
        revision = await current_revision(db)
        diff = await db.read(
            lambda conn: compare_metadata(MigrationContext.configure(conn), metadata)
        )
    finally:
        await db.close()
    return revision, diff


def queued_on_migration_lock(url: str) -> int:
    """Sessions of this database waiting for the migration lock right now."""
    [(waiting,)] = rows(
        url,
        "SELECT COUNT(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database() "
        "AND ((l.classid::bigint << 32) | l.objid::bigint) = ?",
        MIGRATION_LOCK,
    )
    return waiting


async def wait_until_queued(url: str, count: int, processes) -> None:
    """The processes give no sign while they wait, so the lock table is asked until they are
    all queued (or one of them exits early, which the caller then reports)."""
    deadline = time.monotonic() + QUEUE_WITHIN
    while queued_on_migration_lock(url) < count:
        if any(p.returncode is not None for p in processes):
            return
        assert time.monotonic() < deadline, f"{count} migrate processes not queued on the lock"
        await asyncio.sleep(0.02)


@pytest.mark.skipif(
    not database.on_postgres(), reason=f"PostgreSQL only: set {database.ENV} to a server"
)
async def test_two_migrates_at_once_on_postgres_take_turns_and_both_succeed(tmp_path):
    url = database.fresh_url(tmp_path)
    holder = psycopg.connect(database.libpq(url), autocommit=True)
    processes: list[asyncio.subprocess.Process] = []
    try:
        holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        processes = list(await asyncio.gather(*(start_migrate(url, tmp_path) for _ in range(2))))
        await wait_until_queued(url, 2, processes)
        assert [p.returncode for p in processes] == [None, None], "a migrate did not wait"
        holder.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))

        results = await asyncio.gather(*(outcome(p) for p in processes))
        for code, out, err in results:
            assert code == 0, (code, out, err)
            assert f"database at revision {head()}" in out, (out, err)
        assert rows(url, "SELECT version_num FROM alembic_version") == [(head(),)]
        tables = rows(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        assert {name for (name,) in tables} == {*metadata.tables, "alembic_version"}
        revision, diff = await schema_problems(url)
        assert revision == (head(), head())
        assert diff == []
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        holder.close()
        database.drop(url)


def has_open(process: asyncio.subprocess.Process, path: Path) -> bool:
    """Whether the process has `path` open (Linux's /proc; elsewhere: assume it has)."""
    fds = Path(f"/proc/{process.pid}/fd")
    if not fds.is_dir():
        return True
    with contextlib.suppress(OSError):
        return any(os.path.realpath(fd) == str(path) for fd in fds.iterdir())
    return False


async def wait_until_open(path: Path, processes) -> None:
    """Until every process has opened the database (it then asks for the write lock)."""
    deadline = time.monotonic() + QUEUE_WITHIN
    while not all(has_open(p, path) for p in processes):
        if any(p.returncode is not None for p in processes):
            return
        assert time.monotonic() < deadline, "migrate processes did not open the database"
        await asyncio.sleep(0.02)


async def test_two_migrates_at_once_on_one_sqlite_file_both_succeed(tmp_path):
    path = (tmp_path / "firebell.db").resolve()
    url = f"sqlite+aiosqlite:///{path}"
    # The test holds the write lock while both start, so both are past start-up and at the
    # database together when it lets go (their busy timeout is 10 s).
    holder = sqlite3.connect(path, isolation_level=None)
    processes: list[asyncio.subprocess.Process] = []
    try:
        holder.execute("PRAGMA journal_mode=WAL")
        holder.execute("BEGIN IMMEDIATE")
        processes = list(await asyncio.gather(*(start_migrate(url, tmp_path) for _ in range(2))))
        await wait_until_open(path, processes)
        holder.execute("COMMIT")

        results = await asyncio.gather(*(outcome(p) for p in processes))
        for code, out, err in results:
            assert code == 0, (code, out, err)
            assert f"database at revision {head()}" in out, (out, err)
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        holder.close()
    assert rows(path, "SELECT version_num FROM alembic_version") == [(head(),)]
    tables = rows(path, "SELECT name FROM sqlite_master WHERE type = 'table'")
    assert {name for (name,) in tables} == {*metadata.tables, "alembic_version"}
    revision, diff = await schema_problems(url)
    assert revision == (head(), head())
    assert diff == []
