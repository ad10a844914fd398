"""Appending to the audit log in two statements: the head this process left is hashed onto
at once, and a head moved elsewhere (another replica, a rollback, an edit) is read and used.

Runs on SQLite, and on PostgreSQL with FIREBELL_TEST_DATABASE_URL set.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from bot.core import audit as chain
from bot.store import audit as store
from bot.store.db import Database
from bot.store.migrate import upgrade
from tests.support import database, plans

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def url(tmp_path):
    found = database.fresh_url(tmp_path, "audit.db")
    yield found
    database.drop(found)


@pytest.fixture
async def db(url):
    opened = Database(url)
    await upgrade(opened)
    yield opened
    await opened.close()


def append(n: int):
    return lambda conn: store.append(
        conn, AT, actor=f"U0{n:04d}", source="cli", action="test.append", target=f"n:{n}"
    )


async def checked(db: Database) -> list[dict]:
    """Every row, after checking the chain against the head."""
    found = await db.read(lambda conn: list(store.rows(conn)))
    assert chain.verify(found, await db.read(store.head)) is None
    assert [row["seq"] for row in found] == list(range(1, len(found) + 1))
    return found


def statements(db: Database) -> list[str]:
    """The statements `db` runs from now on, as they run."""
    engine = db.sync_engine if db.is_sqlite else db.engine.sync_engine
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


async def test_an_append_after_this_process_moved_the_head_is_two_statements(db):
    await db.write(append(0))
    seen = statements(db)
    assert await db.write(append(1)) == 2
    writes = [s.split()[0] for s in seen if s.split()[0] in {"SELECT", "UPDATE", "INSERT"}]
    assert writes == ["UPDATE", "INSERT"]
    assert len(await checked(db)) == 2


async def test_a_head_moved_by_another_replica_is_read_and_linked_onto(url, db):
    other = Database(url)
    try:
        for n in range(6):
            await (db if n % 3 else other).write(append(n))
        found = await checked(db)
        assert [row["target"] for row in found] == [f"n:{n}" for n in range(6)]
    finally:
        await other.close()


async def test_an_append_rolled_back_leaves_no_trace_in_the_next(db):
    await db.write(append(0))

    def doomed(conn):
        append(1)(conn)
        raise RuntimeError("the use case failed after its audit row")

    with pytest.raises(RuntimeError):
        await db.write(doomed)
    assert await db.write(append(2)) == 2
    assert [row["target"] for row in await checked(db)] == ["n:0", "n:2"]


async def test_a_head_edited_under_the_process_is_the_one_linked_onto(url, db):
    await db.write(append(0))
    await db.write(append(1))
    first = (await db.read(lambda conn: list(store.rows(conn))))[0]
    # the log cut back to its first row, by hand: the next append follows the head as stored
    await db.write(lambda conn: conn.exec_driver_sql("DELETE FROM audit_log WHERE seq = 2"))
    await db.write(
        lambda conn: conn.exec_driver_sql(
            f"UPDATE audit_head SET seq = 1, hash = '{first['hash']}' WHERE id = 1"
        )
    )
    assert await db.write(append(2)) == 2
    assert [row["target"] for row in await checked(db)] == ["n:0", "n:2"]


async def test_appends_at_once_leave_one_unforked_chain(url, db):
    other = Database(url)
    try:
        await asyncio.gather(*((db if n % 2 else other).write(append(n)) for n in range(60)))
        found = await checked(db)
        assert sorted(row["target"] for row in found) == sorted(f"n:{n}" for n in range(60))
        assert len({row["prev_hash"] for row in found}) == 60
    finally:
        await other.close()


async def test_the_last_config_load_is_found_without_walking_the_log(db):
    """Every start reads the last `config.load` row: it is the one returned however many rows
    follow it, and on SQLite it is read along the partial index of config loads, not by
    walking the log back from its end (100 ms per 500,000 rows)."""

    def work(conn):
        for n in range(3):
            loads = [("config.load", {"sha256": f"v{n}"})]
            for action, after in loads + [("incident.update", {"status": "acked"})] * 40:
                store.append(
                    conn, AT, actor="U1", source="cli", action=action, target="t", after=after
                )
        with plans.statements(conn) as seen:
            found = store.last_after(conn, "config.load"), store.last_after(conn, "nothing.such")
        return found, plans.plan(conn, *seen[0])

    found, steps = await db.write(work)
    assert found == ({"sha256": "v2"}, None)
    assert steps in (None, ["SCAN audit_log USING INDEX ix_audit_log_config_loads"]), steps
