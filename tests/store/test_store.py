"""Schema, migrations and SQLite settings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.store.db import Database
from bot.store.migrate import current_revision, head, upgrade
from bot.store.tables import metadata, timers


async def test_migrations_build_exactly_the_declared_schema(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'schema.db'}")
    try:
        await upgrade(db)
        await upgrade(db)  # idempotent
        diff = await db.read(
            lambda conn: compare_metadata(MigrationContext.configure(conn), metadata)
        )
        assert diff == []
        assert await current_revision(db) == (head(), head())
    finally:
        await db.close()


async def test_sqlite_runs_in_wal_with_busy_timeout_foreign_keys_and_full_sync(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'dir' / 'p.db'}")

    def pragmas(conn):
        names = ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        return [conn.exec_driver_sql(f"PRAGMA {n}").scalar_one() for n in names]

    try:
        assert await db.read(pragmas) == ["wal", 1, 10000, 2]
        assert await db.write(pragmas) == ["wal", 1, 10000, 2]
    finally:
        await db.close()


def timer_values(when: datetime, **extra) -> dict:
    return dict(
        kind="probe", due_at=when, fence=1, status="pending", payload={}, created_at=when, **extra
    )


async def test_times_come_back_aware_utc_and_foreign_keys_hold(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 't.db'}")
    try:
        await upgrade(db)
        local = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=1)))
        await db.write(lambda conn: conn.execute(sa.insert(timers).values(**timer_values(local))))
        due = await db.read(lambda conn: conn.execute(sa.select(timers.c.due_at)).scalar_one())
        assert due == local and due.tzinfo == UTC
        orphan = timer_values(local, incident_id=999)
        with pytest.raises(sa.exc.IntegrityError):
            await db.write(lambda conn: conn.execute(sa.insert(timers).values(**orphan)))
        total = await db.read(
            lambda conn: conn.execute(sa.select(sa.func.count()).select_from(timers)).scalar_one()
        )
        assert total == 1
    finally:
        await db.close()


async def test_group_commit_isolates_a_failing_write(tmp_path):
    """Writes committed together: one that fails rolls back alone, the others are stored."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}")
    try:
        await upgrade(db)
        base = datetime(2026, 1, 1, tzinfo=UTC)

        def insert(n):
            def work(conn):
                conn.execute(sa.insert(timers).values(**timer_values(base, key=f"k{n}")))
                if n % 3 == 0:
                    raise ValueError(f"job {n} fails after writing")
                if n == 10:  # the database refuses its second row, after its first
                    conn.execute(sa.insert(timers).values(**timer_values(base, key="k1")))
                return n

            return work

        results = await asyncio.gather(
            *(db.write(insert(n)) for n in range(1, 31)), return_exceptions=True
        )
        failed = [r for r in results if isinstance(r, ValueError)]
        assert len(failed) == 10
        assert isinstance(results[9], sa.exc.IntegrityError)
        stored = [n for n in range(1, 31) if n % 3 and n != 10]
        assert [r for r in results if isinstance(r, int)] == stored
        keys = await db.read(
            lambda conn: sorted(r[0] for r in conn.execute(sa.select(timers.c.key)))
        )
        assert keys == sorted(f"k{n}" for n in stored)
    finally:
        await db.close()


async def test_readyz_reports_an_unmigrated_database(bot, double):
    await bot.app.db.write(lambda conn: conn.exec_driver_sql("DELETE FROM alembic_version"))
    response = await bot.http.get(f"{bot.base}/readyz")
    body = await response.json()
    assert response.status == 503
    assert body["migrations"] == {"current": None, "head": head()}
    health = await bot.http.get(f"{bot.base}/healthz")
    assert health.status == 200
