"""Delivery's reads of the outbox as it grows: each one on an outbox of `--rows` (200,000)
delivered rows, against the same read on 1,000 rows (the floor, same run, same code).

The outbox keeps the rows it delivered for 30 days, an open incident's for good (a few a
change: a month of a busy install holds hundreds of thousands), and the sender reads some of them back on every acknowledgement: the
page DMs an incident made (`sent_of`), the rows one of those DMs delivered (`sent_in`, a
bundle's several), whether a row of a kind was made (`made_for`, `any_of`), what waits behind
a row in its lane (`lane_after`), `/readyz` the recent failures (`recent_failures`), and a
replica taking over a channel's lane its posts in the pacing window (`sent_since`). A read
that walks every delivered row gets slower with every week of history; one that follows
an index does not.

Two fresh SQLite files in a temporary directory, migrated as `firebell migrate` does, seeded
in bulk through `Database.write`: ten rows an incident (card, reply, page DM to one of 50
people, pages_taken, alert reply), all sent where the message landed, one in fifty with an
error, and the incidents they belong to. Not `ANALYZE`d, as a deployed SQLite database is
not. Each read runs `--repeat` (200) times on one connection, the median kept. Target: each
read on the large outbox within 3x its time on the small one. Printed with the plan for
each; figures go to `bench/results/outbox_history.json`; the exit status is 0 only when every
target is met. `--postgres URL` does the same on two fresh PostgreSQL databases (`fbbench_*`,
dropped at the end), `ANALYZE`d after the load as autovacuum would, whose planner chooses by
those statistics: the plan printed is its scan nodes.

Run from the repository root: `python -m bench.outbox_history` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from bench.record import machine, print_table, save
from bench.replicas import POSTGRES, create_database, drop_database, reachable
from bot.store import outbox as store
from bot.store import tables
from bot.store.db import Database
from bot.store.migrate import upgrade
from tests.support.plans import statements

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "outbox_history.json"
FLOOR_ROWS = 1_000
BOUND = 3.0  # large / small
KINDS = ("card", "reply", "dm", "pages_taken", "alert_reply")
WHEN = datetime(2026, 1, 1, tzinfo=UTC)
PROBE = 7  # the incident the reads ask about (present at every size)
SINCE = datetime(2026, 1, 1, 0, 1, tzinfo=UTC)  # a pacing window after every row was sent

Read = Callable[[sa.Connection], object]
READS: dict[str, Read] = {
    "sent_of": lambda conn: store.sent_of(conn, PROBE, "dm"),
    "sent_in": lambda conn: store.sent_in(conn, "dm", f"D{PROBE % 50}", f"{PROBE}.000002"),
    "made_for": lambda conn: store.made_for(conn, PROBE, "dm", f"U{PROBE % 50:04d}"),
    "any_of": lambda conn: store.any_of(conn, PROBE, "pages_taken"),
    "lane_after": lambda conn: store.lane_after(conn, 1, PROBE, None),
    "recent_failures": lambda conn: store.recent_failures(conn),
    "sent_since": lambda conn: store.sent_since(conn, "C0INCIDENT", SINCE),
}


async def seeded(url: str, rows: int) -> None:
    """A database at `url` migrated and holding `rows` delivered outbox rows, written through
    `Database` as Firebell writes (`ANALYZE`d on PostgreSQL, as autovacuum would after such a
    load)."""
    db = Database(url)
    try:
        await upgrade(db)
        incidents = max(rows // len(KINDS) // 2, PROBE)
        made = [_incident(n) for n in range(1, incidents + 1)]
        await db.write(lambda conn: conn.execute(sa.insert(tables.incidents), made), alone=True)
        for first in range(0, rows, 20_000):
            chunk = [_row(n, incidents) for n in range(first, min(first + 20_000, rows))]
            await db.write(lambda conn, c=chunk: conn.execute(sa.insert(tables.outbox), c))
        if not db.is_sqlite:
            await db.write(lambda conn: conn.exec_driver_sql("ANALYZE outbox"))
    finally:
        await db.close()


def _incident(number: int) -> dict:
    return {
        "id": number,
        "title": "x",
        "severity": "SEV2",
        "status": "resolved",
        "tenants": [],
        "source": "slack",
        "declared_by": "U1",
        "channel_id": "C0INCIDENT",
        "declared_at": WHEN,
        "resolved_at": WHEN,
        "escalation_level": 0,
        "escalation_policy": {},
        "version": 1,
        "escalation_fence": 1,
    }


def _row(n: int, incidents: int) -> dict:
    incident, step = n // (2 * len(KINDS)) % incidents + 1, n % (2 * len(KINDS))
    kind = KINDS[step % len(KINDS)]
    person = incident % 50
    return {
        "incident_id": incident,
        "kind": kind,
        "channel": f"U{person:04d}" if kind == "dm" else "C0INCIDENT",
        "payload": {},
        "status": "sent",
        "attempts": 1,
        "not_before": WHEN,
        "created_at": WHEN,
        "finished_at": WHEN,
        "last_error": "slack: msg_too_long" if n % 50 == 0 else None,
        "sent_channel": f"D{person}" if kind == "dm" else "C0INCIDENT",
        "sent_ts": f"{incident}.{step:06d}",
    }


def timed(url: str, repeat: int) -> dict[str, tuple[float, str]]:
    """Each read's median milliseconds and the database's plan for it (its scans), each read
    as Firebell runs it (`Database.read`: asyncpg on PostgreSQL)."""

    def work(conn: sa.Connection) -> dict[str, tuple[float, str]]:
        found = {}
        for name, read in READS.items():
            with statements(conn) as seen:
                read(conn)
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                read(conn)
                times.append(time.perf_counter() - started)
            found[name] = (statistics.median(times) * 1000, _plan(conn, *seen[0]))
        return found

    async def run() -> dict[str, tuple[float, str]]:
        db = Database(url)
        try:
            return await db.read(work)
        finally:
            await db.close()

    return asyncio.run(run())


def _plan(conn: sa.Connection, sql: str, params) -> str:
    if conn.dialect.name == "sqlite":
        steps = [r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)]
    else:  # the nodes that read a table or an index
        lines = [r[0].strip(" ->") for r in conn.exec_driver_sql(f"EXPLAIN {sql}", params)]
        steps = [line.split("  (")[0] for line in lines if " Scan " in f" {line}"]
    return " | ".join(steps)


def compared(small: str, large: str, args: argparse.Namespace) -> tuple[list, dict, bool]:
    """Each read on the large database against the small one: table rows, figures, passed."""
    asyncio.run(seeded(small, FLOOR_ROWS))
    asyncio.run(seeded(large, args.rows))
    floor, ours = timed(small, args.repeat), timed(large, args.repeat)
    rows, figures, passed = [], {}, True
    for name in READS:
        (base, _), (value, plan) = floor[name], ours[name]
        ratio = value / base
        ok = ratio <= BOUND
        passed &= ok
        figures[name] = {"ms": value, "floor_ms": base, "ratio": ratio, "plan": plan}
        verdict = "PASS" if ok else "FAIL"
        rows.append([name, f"{value:.3f}", f"{base:.3f}", f"{ratio:.2f}x", verdict, plan])
    return rows, figures, passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.outbox_history", description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000, help="delivered rows, large outbox")
    parser.add_argument("--repeat", type=int, default=200, help="runs of each read")
    parser.add_argument(
        "--postgres", nargs="?", const=POSTGRES, help=f"also on PostgreSQL (default {POSTGRES})"
    )
    args = parser.parse_args(argv)
    header = ["read", f"ms, {args.rows:,} rows", f"ms, {FLOOR_ROWS:,}", "ratio", "<= 3x", "plan"]
    results: dict = {"machine": machine(), "rows": args.rows}
    with tempfile.TemporaryDirectory() as directory:
        small, large = (f"sqlite:///{Path(directory) / n}" for n in ("small.db", "large.db"))
        rows, results["reads"], passed = compared(small, large, args)
    print_table(header, rows, left=(0, 5))
    if args.postgres:
        if why := reachable(args.postgres):
            print(f"PostgreSQL is not reachable at {args.postgres} ({why}): SQLite only.")
        else:
            urls = [create_database(args.postgres, Path(), postgres=True) for _ in range(2)]
            try:
                rows, results["postgres"], on_postgres = compared(*urls, args)
            finally:
                for url in urls:
                    drop_database(args.postgres, url)
            print("\nPostgreSQL (ANALYZEd):")
            print_table(header, rows, left=(0, 5))
            passed &= on_postgres
    save(RESULTS, results)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
