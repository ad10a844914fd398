"""An INSERT that loses a race (the row was made first) leaves the transaction usable, with
what it wrote before kept; on SQLite without a SAVEPOINT, on PostgreSQL within one.

Runs on SQLite, and on PostgreSQL with FIREBELL_TEST_DATABASE_URL set.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.store import alerts
from tests.support.db import alert_group_row, statements_from_now

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def test_a_lost_insert_keeps_the_transaction_and_what_it_wrote(db):
    savepoints = statements_from_now(db, "SAVEPOINT")

    def work(conn):
        a, b = alert_group_row("a", NOW), alert_group_row("b", NOW)
        first = alerts.insert_group(conn, a)
        lost = alerts.insert_group(conn, a)  # made first: the unique key refuses
        after = alerts.insert_group(conn, b)
        return first, lost, after

    first, lost, after = await db.write(work)
    assert first is not None and lost is None and after is not None
    titles = await db.read(
        lambda conn: conn.exec_driver_sql("SELECT title FROM alert_groups ORDER BY id").all()
    )
    assert [t for (t,) in titles] == ["group a", "group b"]
    assert len(savepoints) == (0 if db.is_sqlite else 3)
