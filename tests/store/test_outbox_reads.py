"""The senders' read of pending outbox rows: exactly the rows a plain filter picks, in id
order, whatever kinds, resting channels and free kinds it is given; and on SQLite, found
through the indexes, never by walking every pending row (a storm's backlog rests in one
channel while the senders read several times a second). Delivery's reads of delivered rows
likewise: exact, and never a walk of every sent row.

Runs on SQLite, and on PostgreSQL with FIREBELL_TEST_DATABASE_URL set.
"""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.store import outbox as store
from bot.store.tables import incidents, outbox
from tests.support.plans import plan, statements

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CHANNELS = [None, "", "C0", "C1", "C10", "C2", "CZ", "D9", "U1", "W7", "c0", "Ü1"]
KINDS = ["card", "reply", "page_dm", "ephemeral", "pages_taken"]


def seeded(conn) -> list[dict]:
    rng = random.Random(15)
    rows = [
        {
            "incident_id": None,
            "kind": rng.choice(KINDS),
            "channel": rng.choice(CHANNELS),
            "payload": {},
            "status": rng.choice(["pending", "pending", "sent", "failed"]),
            "attempts": 0,
            "not_before": NOW,
            "created_at": NOW,
        }
        for _ in range(300)
    ]
    conn.execute(sa.insert(outbox), rows)
    return [dict(r) for r in conn.execute(sa.select(outbox).order_by(outbox.c.id)).mappings()]


def expected(rows, limit, kinds, among, skip, free) -> list[int]:
    def wanted(row) -> bool:
        if row["status"] != "pending":
            return False
        if kinds and (row["kind"] in kinds) != among:
            return False
        return (
            not skip
            or row["channel"] is None
            or row["channel"] not in skip
            or (row["kind"] in free)
        )

    return [row["id"] for row in rows if wanted(row)][:limit]


CASES = [
    (limit, kinds, among, skip, free)
    for limit in (500, 7)
    for kinds, among in [((), True), (("page_dm", "ephemeral"), True), (("page_dm",), False)]
    for skip in [(), ("C1",), ("",), ("C0", "C10", "U1"), ("A", "CZ", "Z"), ("c0", "C1", "Ü1")]
    for free in [(), ("ephemeral",)]
]


async def test_pending_reads_exactly_the_rows_a_plain_filter_picks(db):
    def check(conn):
        rows = seeded(conn)
        for limit, kinds, among, skip, free in CASES:
            found = store.pending(conn, limit, kinds, among=among, skip=skip, free=free)
            got = [row["id"] for row in found]
            assert got == expected(rows, limit, kinds, among, skip, free), (kinds, among, skip)
            assert all(row["severity"] is None for row in found)
        return len(CASES)

    assert await db.write(check) == 72


async def test_the_reads_past_a_backlog_use_the_indexes_on_sqlite(db):
    """EXPLAIN QUERY PLAN of each read the senders make with a resting channel or a kind
    list: every access to the outbox is a SEARCH narrower than the status, none a SCAN; the
    quick sender's (a kind list) narrows every search by kind, so it never walks the paced
    rows of a channel that is not resting either."""

    def plans(conn):
        if conn.dialect.name != "sqlite":
            return None  # PostgreSQL's planner chooses by its statistics
        seeded(conn)
        found = []
        for among, skip, free in itertools.product(
            [True, False], [(), ("C1",), ("C0", "U1")], [(), ("x",)]
        ):
            if among or skip:
                with statements(conn, "FROM outbox") as seen:
                    kinds = ("page_dm", "ephemeral")
                    store.pending(conn, 500, kinds, among=among, skip=skip, free=free)
                found += [(among, plan(conn, *statement)) for statement in seen]
        return found

    found = await db.write(plans)
    if found is None:
        return
    assert len(found) == 10
    for quick, steps in found:
        on_outbox = [step for step in steps if " outbox " in f"{step} "]
        assert on_outbox, steps
        for step in on_outbox:  # a search on the status alone walks every pending row
            assert step.startswith("SEARCH") and not step.endswith("(status=?)"), steps
            if quick and "PRIMARY KEY" not in step:
                assert "kind=?" in step, steps


def delivered(conn) -> list[dict]:
    """Rows as delivery leaves them: sent with where the message landed (some carried by
    one bundle), sent short with an error, failed, retrying with an error, superseded."""
    rng = random.Random(16)
    conn.execute(sa.insert(incidents), [incident_values(n) for n in range(1, 9)])
    rows = []
    for _ in range(400):
        status = rng.choice(["sent", "sent", "sent", "failed", "pending", "superseded"])
        sent = status == "sent"
        rows.append(
            {
                "incident_id": rng.randint(1, 8),
                "kind": rng.choice(KINDS),
                "channel": rng.choice(CHANNELS),
                "payload": {},
                "status": status,
                "attempts": 1,
                "not_before": NOW,
                "created_at": NOW,
                "last_error": ("slack: boom" if status == "failed" or rng.random() < 0.2 else None),
                "finished_at": NOW - timedelta(seconds=rng.randint(0, 120)) if sent else None,
                "sent_channel": "D1" if sent else None,
                "sent_ts": f"1.{rng.randint(0, 60):06d}" if sent else None,  # bundles share one
            }
        )
    conn.execute(sa.insert(outbox), rows)
    return [dict(r) for r in conn.execute(sa.select(outbox).order_by(outbox.c.id)).mappings()]


def incident_values(number: int) -> dict:
    return {
        "id": number,
        "title": f"incident {number}",
        "severity": "SEV2",
        "status": "declared",
        "tenants": [],
        "source": "slack",
        "declared_by": "U1",
        "channel_id": "C0",
        "declared_at": NOW,
        "escalation_level": 0,
        "escalation_policy": {},
        "version": 1,
    }


async def test_reads_of_delivered_rows_are_exact_and_narrow(db):
    """What delivery reads back among delivered rows, which the outbox keeps for good: the
    messages rows of a kind made for an incident, the rows one message delivered, the
    recent failures, and a channel's posts in the pacing window. Each equals a plain filter;
    on SQLite each is found along an index narrower than the status (a walk of every sent
    row costs tens of ms at 200,000 rows)."""

    def check(conn):
        rows = delivered(conn)
        with statements(conn, "FROM outbox") as seen:
            for number, kind in itertools.product(range(1, 9), KINDS):
                got = [r["id"] for r in store.sent_of(conn, number, kind)]
                assert got == [
                    r["id"]
                    for r in rows
                    if r["incident_id"] == number and r["kind"] == kind and r["status"] == "sent"
                ]
            for kind, ts in itertools.product(KINDS, {r["sent_ts"] for r in rows} - {None}):
                got = [r["id"] for r in store.sent_in(conn, kind, "D1", ts)]
                assert got == [r["id"] for r in rows if r["kind"] == kind and r["sent_ts"] == ts]
            shown = [r["id"] for r in store.recent_failures(conn, limit=25)]
            short = [r for r in rows if r["status"] == "sent" and r["last_error"]]
            failed = [r for r in rows if r["status"] == "failed"]
            assert shown == sorted((r["id"] for r in short + failed), reverse=True)[:25]
            assert short and failed and len(shown) == 25
            for channel, ago in itertools.product(CHANNELS, (0, 30, 90, 121)):
                since = NOW - timedelta(seconds=ago)
                got = store.sent_since(conn, channel, since)
                assert got == sum(
                    r["channel"] == channel and r["status"] == "sent" and r["finished_at"] >= since
                    for r in rows
                ), (channel, ago)
        if conn.dialect.name != "sqlite":
            return []  # PostgreSQL's planner chooses by its statistics
        return {tuple(plan(conn, *statement)) for statement in seen}

    for steps in await db.write(check):
        on_outbox = [step for step in steps if " outbox " in f"{step} "]
        assert on_outbox, steps
        for step in on_outbox:  # not along the status: that walks every sent row
            assert " INDEX " in step and "ix_outbox_status_" not in step, steps
