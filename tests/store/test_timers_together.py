"""Timers scheduled `together`: held, then written by one INSERT, in the order scheduled; any
other query on timers inside the block writes them first.

Runs on SQLite, and on PostgreSQL with FIREBELL_TEST_DATABASE_URL set.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.store import timers
from bot.store.db import Database
from tests.support.db import statements_from_now

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def inserts(db: Database) -> list[str]:
    """The INSERTs into timers that `db` runs from now on."""
    return statements_from_now(db, "INSERT INTO timers")


def pending(conn) -> list[tuple[str, int]]:
    """(kind, fence) of every pending timer, by id."""
    rows = conn.exec_driver_sql("SELECT kind, fence FROM timers ORDER BY id").all()
    return [tuple(row) for row in rows]


def schedule(conn, kind: str, minutes: int, fence: int = 0) -> int | None:
    return timers.schedule(conn, NOW, kind, NOW + timedelta(minutes=minutes), fence=fence)


async def test_timers_scheduled_together_are_one_insert_in_the_order_scheduled(db):
    seen = inserts(db)

    def work(conn):
        with timers.together(conn):
            assert schedule(conn, "escalate", 60, fence=1) is None
            assert schedule(conn, "reminder", 30) is None
            assert pending(conn) == []  # held until the block ends
        return pending(conn)

    assert await db.write(work) == [("escalate", 1), ("reminder", 0)]
    assert len(seen) == 1


async def test_a_query_on_timers_inside_the_block_writes_the_held_ones_first(db):
    def work(conn):
        with timers.together(conn):
            schedule(conn, "escalate", 60, fence=1)
            found = [t["kind"] for t in timers.pending_for(conn, None)]
            schedule(conn, "reminder", 30)
        return found, pending(conn)

    seen = inserts(db)
    found, after = await db.write(work)
    assert after == [("escalate", 1), ("reminder", 0)]
    assert len(seen) == 2
    assert found == ["escalate"]  # the held row was written before the read
    assert await db.read(lambda conn: timers.next_due(conn)) == NOW + timedelta(minutes=30)


async def test_a_keyed_timer_inside_is_written_at_once_after_the_held_ones(db):
    def work(conn):
        with timers.together(conn):
            schedule(conn, "escalate", 60)
            timers.schedule(conn, NOW, "digest", NOW, key="digest:C0X")
            schedule(conn, "reminder", 30)
        return pending(conn)

    assert await db.write(work) == [("escalate", 0), ("digest", 0), ("reminder", 0)]


async def test_a_block_inside_another_joins_it_and_a_failed_block_writes_nothing(db):
    seen = inserts(db)

    def nested(conn):
        with timers.together(conn):
            schedule(conn, "escalate", 60)
            with timers.together(conn):
                schedule(conn, "page", 10)
            assert pending(conn) == []
            schedule(conn, "reminder", 30)

    await db.write(nested)
    assert len(seen) == 1

    def failing(conn):
        with timers.together(conn):
            schedule(conn, "escalate", 5)
            raise RuntimeError("the use case failed")

    with pytest.raises(RuntimeError):
        await db.write(failing)
    # outside any block a timer is written at once, with its id
    assert isinstance(await db.write(lambda conn: schedule(conn, "later", 1)), int)
    kinds = await db.read(pending)
    assert kinds == [("escalate", 0), ("page", 0), ("reminder", 0), ("later", 0)]
