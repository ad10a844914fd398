"""Schema, migrations and SQLite settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.store.db import Database
from bot.store.migrate import current_revision, upgrade
from bot.store.tables import metadata, timers


async def test_migrations_build_exactly_the_declared_schema(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'schema.db'}")
    try:
        await upgrade(db)
        await upgrade(db)  # idempotent
        async with db.read() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
        assert diff == []
        assert await current_revision(db) == ("0001", "0001")
    finally:
        await db.close()


async def test_sqlite_runs_in_wal_with_busy_timeout_foreign_keys_and_full_sync(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'dir' / 'p.db'}")
    try:
        async with db.read() as conn:

            async def pragma(name):
                return (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar_one()

            assert await pragma("journal_mode") == "wal"
            assert await pragma("foreign_keys") == 1
            assert await pragma("busy_timeout") == 10000
            assert await pragma("synchronous") == 2
    finally:
        await db.close()


async def test_times_come_back_aware_utc_and_foreign_keys_hold(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 't.db'}")
    try:
        await upgrade(db)
        berlin = timezone(timedelta(hours=1))
        local = datetime(2026, 3, 29, 1, 30, tzinfo=berlin)
        async with db.write() as conn:
            await conn.execute(
                sa.insert(timers).values(
                    kind="probe",
                    due_at=local,
                    fence=1,
                    status="pending",
                    payload={},
                    created_at=local,
                )
            )
        async with db.read() as conn:
            due = (await conn.execute(sa.select(timers.c.due_at))).scalar_one()
        assert due == local and due.tzinfo == UTC
        failed = False
        try:
            async with db.write() as conn:
                await conn.execute(
                    sa.insert(timers).values(
                        incident_id=999,
                        kind="x",
                        due_at=local,
                        fence=1,
                        status="pending",
                        payload={},
                        created_at=local,
                    )
                )
        except sa.exc.IntegrityError:
            failed = True
        assert failed, "a timer for a missing incident must be refused"
    finally:
        await db.close()


async def test_readyz_reports_an_unmigrated_database(bot, double):
    async with bot.app.db.write() as conn:
        await conn.exec_driver_sql("DELETE FROM alembic_version")
    response = await bot.http.get(f"{bot.base}/readyz")
    body = await response.json()
    assert response.status == 503
    assert body["migrations"] == {"current": None, "head": "0001"}
    health = await bot.http.get(f"{bot.base}/healthz")
    assert health.status == 200
