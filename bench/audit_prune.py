"""The audit log's retention turned on over a long log: how long each prune holds the writer.

With `audit.keep` set, a daily timer deletes the rows older than that. The first prune after
retention is turned on (or after a long stop) meets a long log, and it runs in the timer
round's write transaction: on SQLite every acknowledgement, alert and declaration waits
behind it. This bench times each timer round of that prune as the timer worker runs it.

A fresh SQLite file in a temporary directory, migrated as `firebell migrate` does, its audit
log seeded as bench/audit_verify.py seeds it (`--rows`, 500,000 realistic rows 37 s apart,
hash-chained). Firebell's services run on it with a manual clock and bench/alert_storm.py's
config plus `audit: keep: 30d`: one round at 23:59 plans the prune, then at 00:00 rounds run
until none fires, each round timed as a whole (claim, prune, record, commit), the same way
the timer loop runs them back to back. The floor, same run, same file: a write of one audit
row (what any change costs; median of 50). Afterwards the chain must check
(`bot.audit_cli.walk`). Target: the longest round under 0.25 s, so an acknowledgement queued
behind a prune still answers well inside Slack's 3 s. Figures go to
`bench/results/audit_prune.json`; the exit status is 0 only when the target is met.

Run from the repository root: `python -m bench.audit_prune` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
import structlog

from bench.alert_storm import storm_config
from bench.audit_verify import START, seed
from bench.housekeeping import timed_rounds
from bench.record import machine, print_table, save
from bot.audit_cli import walk
from bot.clock import ManualClock
from bot.config import parse_config
from bot.services import audit, audit_retention
from bot.services.container import Services
from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.tables import audit_log

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "audit_prune.json"
KEEP_DAYS = 30
TARGET_S = 0.25  # the longest round


def count(conn: sa.Connection) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar_one()


async def floor(db: Database, clock: ManualClock, repeat: int = 50) -> float:
    """Median seconds of a write of one audit row."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await db.write(lambda conn: audit.note(conn, clock.now(), "U0BENCH", "bench", "bench"))
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def run(args: argparse.Namespace, directory: Path) -> dict:
    db = Database(f"sqlite:///{directory / 'audit.db'}")
    try:
        await upgrade(db)
        seeded = await seed(db, args.rows, 7)
        last = START + timedelta(seconds=args.rows * 37)
        midnight = audit_retention.next_run(last)
        clock = ManualClock(midnight - timedelta(minutes=1))
        config = parse_config(storm_config() + f"audit:\n  keep: {KEEP_DAYS}d\n")
        timers = Services.build(db, config, clock).timers
        await timers.fire_due()  # plans the prune at 00:00
        base = await floor(db, clock)
        clock.set(midnight)
        held = await db.read(count)
        rounds = await timed_rounds(timers)
        checked = await db.read(walk)
        if checked.broken is not None:
            raise SystemExit(f"the chain does not check after the prune: {checked.broken}")
        deleted = held - (await db.read(count) - len(rounds))  # each round adds its record
    finally:
        await db.close()
    return {
        "rows": args.rows,
        "seed_s": seeded["seconds"],
        "deleted": deleted,
        "rounds": len(rounds),
        "longest_s": max(rounds),
        "median_s": statistics.median(rounds),
        "total_s": sum(rounds),
        "floor_s": base,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.audit_prune", description=__doc__)
    parser.add_argument("--rows", type=int, default=500_000, help="audit rows before the prune")
    args = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with tempfile.TemporaryDirectory() as directory:
        found = asyncio.run(run(args, Path(directory)))
    ok = found["longest_s"] < TARGET_S
    ms = {k: f"{found[k] * 1000:.1f}" for k in ("longest_s", "median_s", "total_s", "floor_s")}
    print_table(
        ["figure", "ms", "vs floor", "target"],
        [
            [
                "longest round",
                ms["longest_s"],
                f"{found['longest_s'] / found['floor_s']:.1f}x",
                f"< {TARGET_S * 1000:.0f} ms  {'PASS' if ok else 'FAIL'}",
            ],
            ["median round", ms["median_s"], f"{found['median_s'] / found['floor_s']:.1f}x", ""],
            ["all rounds", ms["total_s"], "", ""],
            ["floor: one audit row written", ms["floor_s"], "1.0x", ""],
        ],
    )
    print(
        f"{found['deleted']:,} of {found['rows']:,} rows pruned in {found['rounds']} rounds "
        f"(seeded in {found['seed_s']} s); the chain checks"
    )
    save(RESULTS, {"machine": machine(), **found})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
