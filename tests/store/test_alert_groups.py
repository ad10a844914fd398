"""The firing alert groups, read when a maintenance window ends: exactly the groups a plain
filter picks, of one service or of all, in id order; and on SQLite along the partial index
of firing groups, not by scanning every group ever seen (groups are kept for good).

Runs on SQLite, and on PostgreSQL with FIREBELL_TEST_DATABASE_URL set.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import sqlalchemy as sa

from bot.store import alerts as store
from bot.store.tables import alert_groups
from tests.support.db import alert_group_row
from tests.support.plans import plan, statements

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SERVICES = [None, "api", "billing", "db"]


def seeded(conn) -> list[dict]:
    rng = random.Random(17)
    rows = [
        alert_group_row(
            f"A{n}",
            NOW,
            status=rng.choice(["firing", "resolved", "resolved", "resolved"]),
            service=rng.choice(SERVICES),
        )
        for n in range(200)
    ]
    conn.execute(sa.insert(alert_groups), rows)
    query = sa.select(alert_groups.c.id, alert_groups.c.status, alert_groups.c.service)
    return [dict(r) for r in conn.execute(query.order_by(alert_groups.c.id)).mappings()]


async def test_the_firing_groups_are_exact_and_read_along_their_index(db):
    def check(conn):
        rows = seeded(conn)
        with statements(conn, "FROM alert_groups") as seen:
            for service in [None, "api", "billing", "db", "unknown"]:
                got = [r["id"] for r in store.firing_groups(conn, service)]
                assert got == [
                    r["id"]
                    for r in rows
                    if r["status"] == "firing" and service in (None, r["service"])
                ], service
        return [plan(conn, sql, params) for sql, params in seen]

    plans = await db.write(check)
    assert len(plans) == 5
    for steps in plans:
        if steps is not None:  # SQLite
            assert steps == ["SCAN alert_groups USING INDEX ix_alert_groups_firing"], steps
