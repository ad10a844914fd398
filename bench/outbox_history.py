"""Delivery's reads of the outbox as it grows: each one on an outbox of `--rows` (200,000)
delivered rows, against the same read on 1,000 rows (the floor, same run, same code).

The outbox keeps every row it ever delivered (a few a change: a year of a busy install holds
hundreds of thousands), and the sender reads some of them back on every acknowledgement: the
page DMs an incident made (`sent_of`), the rows one of those DMs delivered (`sent_in`, a
bundle's several), whether a row of a kind was made (`made_for`, `any_of`), what waits behind
a row in its lane (`lane_after`), `/readyz` the recent failures (`recent_failures`), and a
replica taking over a channel's lane its posts in the pacing window (`sent_since`). A read
that walks every delivered row gets slower with every week of history; one that follows
an index does not.

Two fresh SQLite files in a temporary directory, migrated as `firebell migrate` does, seeded
in bulk through the stdlib driver: ten rows an incident (card, reply, page DM to one of 50
people, pages_taken, alert reply), all sent where the message landed, one in fifty with an
error, and the incidents they belong to. Not `ANALYZE`d, as a deployed database is not. Each
read runs `--repeat` (200) times on one connection, the median kept. Target: each read on the
large outbox within 3x its time on the small one. Printed with SQLite's plan for each; figures
go to `bench/results/outbox_history.json`; the exit status is 0 only when every target is met.

Run from the repository root: `python -m bench.outbox_history` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from bench.record import machine, print_table, save
from bot.store import outbox as store
from bot.store.db import Database
from bot.store.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "outbox_history.json"
FLOOR_ROWS = 1_000
BOUND = 3.0  # large / small
KINDS = ("card", "reply", "dm", "pages_taken", "alert_reply")
WHEN = "2026-01-01 00:00:00.000000"
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


async def seeded(path: Path, rows: int) -> None:
    db = Database(f"sqlite:///{path}")
    try:
        await upgrade(db)
    finally:
        await db.close()
    incidents = max(rows // len(KINDS) // 2, PROBE)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO incidents (id, title, severity, status, tenants, source, declared_by,"
            " channel_id, declared_at, escalation_level, escalation_policy, version,"
            " escalation_fence) VALUES (?, 'x', 'SEV2', 'resolved', '[]', 'slack', 'U1',"
            " 'C0INCIDENT', ?, 0, '{}', 1, 1)",
            ((n, WHEN) for n in range(1, incidents + 1)),
        )
        conn.executemany(
            "INSERT INTO outbox (incident_id, kind, channel, payload, status, attempts,"
            " not_before, created_at, finished_at, last_error, sent_channel, sent_ts)"
            " VALUES (?, ?, ?, '{}', 'sent', 1, ?, ?, ?, ?, ?, ?)",
            _rows(rows, incidents),
        )


def _rows(count: int, incidents: int):
    for n in range(count):
        incident, step = n // (2 * len(KINDS)) % incidents + 1, n % (2 * len(KINDS))
        kind = KINDS[step % len(KINDS)]
        person = incident % 50
        channel = f"U{person:04d}" if kind == "dm" else "C0INCIDENT"
        landed = f"D{person}" if kind == "dm" else "C0INCIDENT"
        error = "slack: msg_too_long" if n % 50 == 0 else None
        yield incident, kind, channel, WHEN, WHEN, WHEN, error, landed, f"{incident}.{step:06d}"


def timed(path: Path, repeat: int) -> dict[str, tuple[float, str]]:
    """Each read's median milliseconds and SQLite's plan for it."""
    engine = sa.create_engine(f"sqlite:///{path}")
    found = {}
    with engine.connect() as conn:
        for name, read in READS.items():
            statements: list[tuple[str, tuple]] = []

            def grab(_conn, _cursor, statement, params, _context, _many, into=statements):
                into.append((statement, params))

            sa.event.listen(conn, "before_cursor_execute", grab)
            read(conn)
            sa.event.remove(conn, "before_cursor_execute", grab)
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                read(conn)
                times.append(time.perf_counter() - started)
            sql, params = statements[0]
            plan = " | ".join(
                r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
            )
            found[name] = (statistics.median(times) * 1000, plan)
    engine.dispose()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.outbox_history", description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000, help="delivered rows, large outbox")
    parser.add_argument("--repeat", type=int, default=200, help="runs of each read")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        small, large = Path(directory) / "small.db", Path(directory) / "large.db"
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
    header = ["read", f"ms, {args.rows:,} rows", f"ms, {FLOOR_ROWS:,}", "ratio", "<= 3x", "plan"]
    print_table(header, rows, left=(0, 5))
    save(RESULTS, {"machine": machine(), "rows": args.rows, "reads": figures})
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
