"""Housekeeping over a long history: how long each of its timer rounds holds the writer.

A daily timer deletes the outbox rows delivered and the timers finished more than 30 days
ago (bot/services/housekeeping.py). Its first run after an upgrade (or after a long stop)
meets the whole history, and it runs in the timer round's write transaction: on SQLite every
acknowledgement, alert and declaration waits behind it. Every later run walks past the month
of history it keeps.

A fresh SQLite file in a temporary directory, migrated as `firebell migrate` does, seeded as
bench/outbox_history.py seeds it (`--rows` delivered rows, ten an incident, every incident
resolved) plus two finished timers an incident and, for one alert group, a repeat that changed
nothing (`unchanged`) per outbox row, one in ten a notification that led somewhere (kept
whatever its age); the last `--recent` of each and their incidents are dated within the 30
days, the rest long before. Firebell's timer round runs on it with a
manual clock and bench/alert_storm.py's config: one round at 00:29 plans the run, then at
00:30 rounds run until none fires, each timed as a whole (claim, delete, record, commit), as
the timer loop runs them back to back; then the next day's run, which finds nothing old. The
floor, same run, same file: a write of one outbox row (what any change costs; median of 50).
Targets: the longest round under 0.25 s, so an acknowledgement queued behind it still answers
well inside Slack's 3 s; every old row gone and every recent one kept. Figures go to
`bench/results/housekeeping.json`; the exit status is 0 only when the targets are met.

Run from the repository root: `python -m bench.housekeeping` (see bench/README.md).
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
from bench.outbox_history import KINDS, WHEN, seeded
from bench.record import machine, print_table, save
from bot.clock import ManualClock
from bot.config import parse_config
from bot.core.calendar_days import next_utc
from bot.services import housekeeping
from bot.services.container import Services
from bot.store import outbox as store
from bot.store.db import Database
from bot.store.tables import alert_groups, alert_notifications, incidents, outbox, timers

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "housekeeping.json"
TARGET_S = 0.25  # the longest round
RECENT = WHEN + timedelta(days=40)  # the kept month's rows are dated here
RUN = next_utc(RECENT + timedelta(days=5), housekeeping.AT)  # its cut: long after WHEN


def count(conn: sa.Connection, table: sa.Table) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


async def seed(db: Database, rows: int, recent: int) -> int:
    """The history (`db` migrated and holding `rows` delivered rows): the last `recent` rows
    and their incidents made recent, two finished timers an incident, `rows` notifications of
    one group (the last `recent` of them recent). The id of the first recent incident."""
    total = await db.read(lambda conn: count(conn, incidents))
    first_recent = total - recent // (2 * len(KINDS)) + 1
    made = [
        {
            "incident_id": n,
            "kind": kind,
            "due_at": RECENT if n >= first_recent else WHEN,
            "fence": 0,
            "status": status,
            "payload": {},
            "created_at": WHEN,
            "fired_at": RECENT if n >= first_recent else WHEN,
        }
        for n in range(1, total + 1)
        for kind, status in (("escalate", "fired"), ("reminder", "cancelled"))
    ]

    group = {
        "source": "alertmanager",
        "key_hash": "0" * 64,
        "group_key": '{}:{alertname="DiskFilling"}',
        "status": "firing",
        "title": "DiskFilling",
        "labels": {},
        "annotations": {},
        "links": {},
        "notifications": rows,
        "first_seen_at": WHEN,
        "last_seen_at": RECENT,
    }
    notes = [
        {
            "group_id": 1,
            "received_at": RECENT if n >= rows - recent else WHEN,
            "status": "firing",
            "alerts": 3,
            "outcome": "update" if n % 10 == 0 else "unchanged",
            "changes": [],
            "data": {},
        }
        for n in range(rows)
    ]

    def dated(conn: sa.Connection) -> None:
        conn.execute(sa.insert(timers), made)
        conn.execute(sa.insert(alert_groups), group)
        for first in range(0, rows, 20_000):
            conn.execute(sa.insert(alert_notifications), notes[first : first + 20_000])
        conn.execute(
            sa.update(incidents).where(incidents.c.id >= first_recent).values(resolved_at=RECENT)
        )
        conn.execute(
            sa.update(outbox)
            .where(outbox.c.incident_id >= first_recent)
            .values(finished_at=RECENT, created_at=RECENT)
        )

    await db.write(dated, alone=True)
    return first_recent


async def floor(db: Database, clock: ManualClock, repeat: int = 50) -> float:
    """Median seconds of a write of one outbox row."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await db.write(lambda conn: store.enqueue(conn, clock.now(), "handover", channel="C0"))
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def timed_rounds(service) -> list[float]:
    """Timer rounds run back to back until one fires nothing; each one's seconds."""
    rounds = []
    while True:
        started = time.perf_counter()
        done = await service.fire_due()
        if not done.fired:
            return rounds
        rounds.append(time.perf_counter() - started)


async def run(args: argparse.Namespace, directory: Path) -> dict:
    url = f"sqlite:///{directory / 'housekeeping.db'}"
    seed_started = time.perf_counter()
    await seeded(url, args.rows)
    db = Database(url)
    try:
        first_recent = await seed(db, args.rows, args.recent)
        seed_s = time.perf_counter() - seed_started
        clock = ManualClock(RUN - timedelta(minutes=1))
        service = Services.build(db, parse_config(storm_config()), clock).timers
        await service.fire_due()  # plans the run at 00:30
        base = await floor(db, clock)
        held = await db.read(lambda conn: count(conn, outbox))
        clock.set(RUN)
        rounds = await timed_rounds(service)
        clock.set(RUN + timedelta(days=1))
        steady = await timed_rounds(service)

        def left(conn: sa.Connection) -> dict:
            kept = sa.select(sa.func.count()).select_from(outbox)
            return {
                "old_outbox_left": conn.execute(
                    kept.where(outbox.c.incident_id < first_recent)
                ).scalar_one(),
                "recent_outbox_kept": conn.execute(
                    kept.where(outbox.c.incident_id >= first_recent)
                ).scalar_one(),
                "old_repeats_left": conn.execute(
                    sa.select(sa.func.count()).where(
                        alert_notifications.c.received_at == WHEN,
                        alert_notifications.c.outcome == "unchanged",
                    )
                ).scalar_one(),
                "recent_repeats_kept": conn.execute(
                    sa.select(sa.func.count()).where(alert_notifications.c.received_at == RECENT)
                ).scalar_one(),
                "old_timers_left": conn.execute(
                    sa.select(sa.func.count()).where(timers.c.due_at == WHEN)
                ).scalar_one(),
                "outbox": count(conn, outbox),
            }

        after = await db.read(left)
    finally:
        await db.close()
    return {
        "rows": args.rows,
        "recent": args.recent,
        "seed_s": round(seed_s, 1),
        "outbox_deleted": held - after["outbox"],
        **after,
        "rounds": len(rounds),
        "longest_s": max(rounds),
        "median_s": statistics.median(rounds),
        "total_s": sum(rounds),
        "steady_s": max(steady),
        "floor_s": base,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.housekeeping", description=__doc__)
    parser.add_argument("--rows", type=int, default=300_000, help="outbox rows delivered")
    parser.add_argument("--recent", type=int, default=100_000, help="of them, within 30 days")
    args = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with tempfile.TemporaryDirectory() as directory:
        found = asyncio.run(run(args, Path(directory)))
    kept_all = found["recent_outbox_kept"] == args.recent - args.recent % (2 * len(KINDS))
    gone = found["old_outbox_left"] == found["old_timers_left"] == found["old_repeats_left"] == 0
    kept_all = kept_all and found["recent_repeats_kept"] == args.recent
    ok = found["longest_s"] < TARGET_S and gone and kept_all
    ok = ok and found["steady_s"] < TARGET_S
    keys = ("longest_s", "median_s", "total_s", "steady_s", "floor_s")
    ms = {k: f"{found[k] * 1000:.1f}" for k in keys}
    ratio = {k: f"{found[k] / found['floor_s']:.1f}x" for k in keys}
    verdict = f"< {TARGET_S * 1000:.0f} ms"
    print_table(
        ["figure", "ms", "vs floor", "target"],
        [
            ["longest round", ms["longest_s"], ratio["longest_s"], verdict],
            ["median round", ms["median_s"], ratio["median_s"], ""],
            ["all rounds", ms["total_s"], "", ""],
            ["next day's run (nothing old)", ms["steady_s"], ratio["steady_s"], verdict],
            ["floor: one outbox row written", ms["floor_s"], "1.0x", ""],
        ],
    )
    print(
        f"{found['outbox_deleted']:,} outbox rows deleted in {found['rounds']} rounds, "
        f"{found['recent_outbox_kept']:,} recent ones kept; old rows left: "
        f"{found['old_outbox_left']} outbox, {found['old_timers_left']} timers, "
        f"{found['old_repeats_left']} repeats "
        f"(seeded in {found['seed_s']} s): "
        f"{'PASS' if ok else 'FAIL'}"
    )
    save(RESULTS, {"machine": machine(), **found})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
