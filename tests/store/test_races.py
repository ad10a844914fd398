"""An INSERT that loses a race (the row was made first) leaves the transaction usable, with
what it wrote before kept; on SQLite without a SAVEPOINT, on PostgreSQL within one.

Runs on SQLite, and on PostgreSQL with FIREBELL_TEST_DATABASE_URL set.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.store import alerts
from tests.support.db import statements_from_now

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def group(key: str) -> dict:
    return {
        "source": "alertmanager",
        "key_hash": key * 64,
        "group_key": key,
        "status": "firing",
        "title": f"group {key}",
        "labels": {},
        "annotations": {},
        "links": {},
        "notifications": 1,
        "first_seen_at": NOW,
        "last_seen_at": NOW,
    }


async def test_a_lost_insert_keeps_the_transaction_and_what_it_wrote(db):
    savepoints = statements_from_now(db, "SAVEPOINT")

    def work(conn):
        first = alerts.insert_group(conn, group("a"))
        lost = alerts.insert_group(conn, group("a"))  # made first: the unique key refuses
        after = alerts.insert_group(conn, group("b"))
        return first, lost, after

    first, lost, after = await db.write(work)
    assert first is not None and lost is None and after is not None
    titles = await db.read(
        lambda conn: conn.exec_driver_sql("SELECT title FROM alert_groups ORDER BY id").all()
    )
    assert [t for (t,) in titles] == ["group a", "group b"]
    assert len(savepoints) == (0 if db.is_sqlite else 3)
