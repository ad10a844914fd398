"""A `Prepared` INSERT stores exactly what Core's INSERT of the same values stores: aware
datetimes as UTC, JSON, NULLs; one row or several; ids as the database gave them.

Runs on SQLite, and on PostgreSQL with FIREBELL_TEST_DATABASE_URL set.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa

from bot.store import audit, versions
from bot.store.db import json_text
from bot.store.prepared import Kept, Prepared
from bot.store.races import may_lose
from bot.store.tables import incidents, outbox
from bot.store.tables import versions as versions_table

BERLIN = timezone(timedelta(hours=1))
NOW = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=BERLIN)


def row(n: int, payload) -> dict:
    return {
        "incident_id": None,
        "kind": "ephemeral",
        "channel": f"C{n}",
        "payload": payload,
        "status": "pending",
        "attempts": n,
        "not_before": NOW + timedelta(seconds=n),
        "created_at": NOW,
    }


PAYLOADS = [{"text": 'naïve ‘quotes’ and "escapes" \\ %s $1', "n": [1, 2.5, None]}, {}]


async def test_prepared_rows_read_back_as_core_rows(db):
    one = Prepared(sa.insert(outbox).returning(outbox.c.id))
    many = Prepared(sa.insert(outbox))

    def work(conn):
        core = conn.execute(sa.insert(outbox).returning(outbox.c.id), row(0, PAYLOADS[0]))
        ids = [core.scalar_one(), one.execute(conn, row(0, PAYLOADS[0])).scalar_one()]
        many.execute_many(conn, [row(1, PAYLOADS[1]), row(2, PAYLOADS[0])])
        core_many = [row(1, PAYLOADS[1]), row(2, PAYLOADS[0])]
        conn.execute(sa.insert(outbox), core_many)
        return ids

    core_id, prepared_id = await db.write(work)
    assert prepared_id == core_id + 1
    found = await db.read(
        lambda conn: conn.execute(sa.select(outbox).order_by(outbox.c.id)).mappings().all()
    )
    plain = [{k: v for k, v in r.items() if k != "id"} for r in found]
    assert plain[0] == plain[1]  # Core's row and the prepared one
    assert plain[2:4] == plain[4:6]  # executemany, both ways
    assert plain[0]["not_before"] == NOW and plain[0]["not_before"].tzinfo is not None
    assert plain[0]["not_before"].utcoffset() == timedelta(0)  # stored and read as UTC
    assert plain[0]["payload"] == PAYLOADS[0] and plain[2]["payload"] == {}
    assert plain[0]["incident_id"] is None and plain[0]["finished_at"] is None
    assert plain[3]["not_before"] == datetime(2026, 3, 2, 8, 0, 2, 123456, tzinfo=UTC)


async def test_literals_written_into_a_statement_are_sent_with_it(db):
    """`value + 1` and `id == 1` are parameters the caller never gives."""

    def work(conn):
        before = versions.read(conn, versions.ONCALL)
        versions.bump(conn, versions.ONCALL)
        versions.bump(conn, versions.ONCALL)
        seq = audit.append(conn, NOW, actor="U0A", source="test", action="a", target="t")
        return before, versions.read(conn, versions.ONCALL), seq, audit.head(conn)

    before, after, seq, head = await db.write(work)
    assert after == before + 2
    assert head[0] == seq and len(head[1]) == 64


INCIDENT = {
    "title": "Checkout 502s",
    "description": None,
    "severity": "SEV1",
    "status": "declared",
    "tenants": ["eu", {"naïve": "‘x’"}],
    "source": "slack",
    "declared_by": "U0A",
    "channel_id": "C1",
    "declared_at": NOW,
    "ack_due_at": NOW + timedelta(minutes=5),
    "escalation_level": 0,
    "escalation_policy": {"steps": [{"after": 300, "notify": ["U1"]}]},
    "version": 1,
}


async def test_prepared_rows_read_back_converted_as_core_reads_them(db):
    """Rows returned by a prepared INSERT/UPDATE … RETURNING and SELECT equal Core's read of
    the same row: aware UTC datetimes, JSON, booleans, NULLs, server defaults."""
    insert = Prepared(sa.insert(incidents).returning(*incidents.c))
    load = Prepared(sa.select(incidents).where(incidents.c.id == sa.bindparam("number")))
    update = Prepared(
        sa.update(incidents)
        .where(incidents.c.id == sa.bindparam("number_"))
        .values(version=incidents.c.version + 1)
        .returning(*incidents.c)
    )

    def work(conn):
        (inserted,) = insert.rows(conn, INCIDENT)
        number = inserted["id"]
        core = dict(conn.execute(sa.select(incidents)).mappings().one())
        (loaded,) = load.rows(conn, {"number": number})
        changed = {"status": "acknowledged", "acknowledged_at": NOW + timedelta(minutes=1)}
        (updated,) = update.rows(conn, {**changed, "number_": number})
        core_after = dict(conn.execute(sa.select(incidents)).mappings().one())
        missing = load.rows(conn, {"number": number + 1})
        return core, inserted, loaded, core_after, updated, missing

    core, inserted, loaded, core_after, updated, missing = await db.write(work)
    assert inserted == core and loaded == core
    assert updated == core_after and updated["version"] == 2
    assert missing == []
    assert core["private"] is False and core["escalation_fence"] == 0  # server defaults
    assert core["tenants"] == INCIDENT["tenants"]
    assert core["declared_at"] == NOW and core["declared_at"].utcoffset() == timedelta(0)
    assert updated["acknowledged_at"] == NOW + timedelta(minutes=1)
    assert updated["acknowledged_at"].tzinfo is not None


async def test_a_refused_statement_raises_as_core_raises_it(db):
    """A prepared INSERT the database refuses raises SQLAlchemy's IntegrityError, the row
    before it stays, and the transaction goes on; the same whether the statement goes to
    the driver directly or (something listening to the statements) through SQLAlchemy."""
    insert = Prepared(sa.insert(versions_table))
    seen: list[str] = []

    def listen(conn, cursor, statement, *rest):
        seen.append(statement)

    def work(conn):
        refused = []
        for n, listening in enumerate((False, True)):
            if listening:
                sa.event.listen(conn, "before_cursor_execute", listen)
            insert.execute(conn, {"name": f"t{n}", "value": n})
            try:
                with may_lose(conn):  # PostgreSQL would abort the transaction without
                    insert.execute(conn, {"name": f"t{n}", "value": 9})
            except sa.exc.IntegrityError as exc:
                refused.append(exc.orig.__class__.__name__)
        sa.event.remove(conn, "before_cursor_execute", listen)
        stored = conn.execute(
            sa.select(versions_table).where(versions_table.c.name.in_(["t0", "t1"]))
        )
        return refused, sorted(tuple(row) for row in stored)

    refused, stored = await db.write(work)
    assert len(refused) == 2
    assert stored == [("t0", 0), ("t1", 1)]
    assert len([s for s in seen if s.startswith("INSERT")]) == 2  # told while listened to


def test_json_columns_are_written_as_json_dumps_would_read_back():
    """orjson writes JSON columns: what json.loads reads back equals what json.dumps'
    text would give, keys that are not strings included."""
    value = {1: "one", "naïve": ["‘x’", 2.5, None, True], "nested": {"k": {}}}
    assert json.loads(json_text(value)) == json.loads(json.dumps(value))


async def test_rows_read_again_unchanged_are_not_made_again(db):
    """`made` reuses what it made of a row read before with the same values (the sender's
    pending rows, read several times a second); a row changed since is made anew from its
    new values, the old record left as it was. On PostgreSQL every row is made anew (its
    driver's JSON values cannot be keys)."""
    many = Prepared(sa.insert(outbox))
    read = Prepared(sa.select(outbox).where(outbox.c.status == "pending").order_by(outbox.c.id))
    made: list[int] = []

    def make(values: dict) -> dict:
        made.append(values["id"])
        return values

    def work(conn):
        many.execute_many(conn, [row(n, PAYLOADS[n % 2]) for n in range(3)])
        kept: Kept[dict] = Kept(10)
        first = read.made(conn, {}, make, kept)
        again = read.made(conn, {}, make, kept)
        ids = [r["id"] for r in first]
        conn.execute(sa.update(outbox).where(outbox.c.id == ids[1]).values(attempts=9))
        conn.execute(sa.update(outbox).where(outbox.c.id == ids[2]).values(status="sent"))
        changed = read.made(conn, {}, make, kept)
        return ids, first, again, changed, len(kept.made)

    ids, first, again, changed, held = await db.write(work)
    assert [r["id"] for r in again] == ids and [r["id"] for r in changed] == ids[:2]
    assert changed[1]["attempts"] == 9 and first[1]["attempts"] == 1  # made anew, the old kept
    assert changed[0] == first[0] and changed[1]["payload"] == PAYLOADS[1]
    if not db.is_sqlite:  # asyncpg hands JSON as a dict: such a row cannot be a key
        assert made == [*ids, *ids, *ids[:2]] and held == 0
        return
    assert [a is b for a, b in zip(first, again, strict=True)] == [True, True, True]
    assert made == [*ids, ids[1]]  # the second read made nothing; the third only the changed
    assert changed[0] is first[0]
    assert held == 4  # the changed row's old values and the sent row until the bound drops them


async def test_rows_left_out_of_a_read_stay_kept_up_to_the_bound(db):
    """A read that leaves rows out (the sender skips a resting channel's backlog) does not
    forget them: read again later, they are not made again. `kept` holds at most its bound,
    the rows read least recently forgotten first."""
    many = Prepared(sa.insert(outbox))
    read = Prepared(
        sa.select(outbox)
        .where(outbox.c.status == "pending", outbox.c.channel != sa.bindparam("rest"))
        .order_by(outbox.c.id)
    )
    made: list[str] = []

    def make(values: dict) -> dict:
        made.append(values["channel"])
        return values

    def work(conn):
        kept: Kept[dict] = Kept(3)
        many.execute_many(conn, [row(n, PAYLOADS[n % 2]) for n in range(3)])
        reads = [read.made(conn, {"rest": "-"}, make, kept)]
        reads.append(read.made(conn, {"rest": "C0"}, make, kept))  # C0 resting: left out
        reads.append(read.made(conn, {"rest": "-"}, make, kept))
        many.execute_many(conn, [row(n, PAYLOADS[n % 2]) for n in range(3, 5)])
        reads.append(read.made(conn, {"rest": "-"}, make, kept))  # five rows, three kept
        held = [r["channel"] for r in kept.made.values()]
        reads.append(read.made(conn, {"rest": "-"}, make, kept))
        return reads, held

    reads, held = await db.write(work)
    assert [[r["channel"] for r in found] for found in reads] == [
        ["C0", "C1", "C2"],
        ["C1", "C2"],
        ["C0", "C1", "C2"],
        ["C0", "C1", "C2", "C3", "C4"],
        ["C0", "C1", "C2", "C3", "C4"],
    ]
    if not db.is_sqlite:  # every row made anew
        assert len(made) == 18 and held == []
        return
    assert reads[2][0] is reads[0][0]  # C0 left out of the read between, not made again
    assert made == ["C0", "C1", "C2", "C3", "C4", "C0", "C1"]
    assert held == ["C2", "C3", "C4"]  # read least recently: C0 and C1, forgotten
