"""Timer lateness under 10,000 pending timers, and the cost of asking who is on call.

(a) Timers: in this process, a real SQLite file with the real schema (migrations), the real
`IncidentService`, `TimerService` and `TimerWorker` on the system clock. Incidents are
declared through `IncidentService.declare`; then 10,000 `escalate` timers are scheduled with
`bot.store.timers.schedule`: 1,000 "hot" ones, one per incident, due one after the other over
one minute starting 30 s from now, and 9,000 "cold" ones on other incidents due days later.
The worker loop (`TimerWorker.run()`) runs as a task and fires the hot ones, each through the
real escalation handler (the incident escalates, its timeline, outbox rows and next timer are
written). Lateness is read back from the `timers` table: `fired_at - due_at` (the instant the
round that fired the timer began); the time its transaction committed is measured too.

(b) Who is on call: 50 rotations (zones with and without daylight saving, odd offsets,
shifts from 8 hours to 2 weeks, 2 to 8 members, 3 to 5 overrides each), asked with
`bot.core.rotation.on_call` at every hour of 2026; per-lookup mean and p99 in microseconds.

Run from the repository root: `python -m bench.oncall_timers` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import structlog

from bench.record import machine, save
from bot.clock import SystemClock
from bot.config import parse_config
from bot.core.rotation import Override, RotationSpec, on_call
from bot.services.container import Services
from bot.services.incidents import IncidentService
from bot.services.timers import TimerService
from bot.store import timers as timer_store
from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.tables import incidents, timers
from bot.worker.timers import TimerWorker

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "oncall_timers.json"
LATENESS_TARGET_S = 1.0  # p99 of timer lateness
LOOKUP_TARGET_US = 1000.0  # p99 of one on_call lookup: well under a millisecond

CONFIG = """
incident_channel: C0INCIDENTS
timezone: Europe/Berlin
severities:
  - {name: SEV1, ack_within: 15m, update_every: 30m}
  - {name: SEV2, ack_within: 1h, update_every: 1h}
rotations:
  - name: primary
    members: [U0AAA, U0BBB, U0CCC]
    shift: 1w
    start: 2026-01-05T09:00
  - name: platform-ops
    members: [U0DDD, U0EEE]
    shift: 1d
    start: 2026-01-05T09:00
escalation:
  - notify: [rotation:primary]
  - notify: [rotation:platform-ops, "@U0LEAD"]
  - notify: ["group:S0PRODUCT"]
    after: 30m
repeat: 1
"""

ZONES = [
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Apia",
    "UTC",
]
SHIFTS = [
    timedelta(hours=8),
    timedelta(hours=12),
    timedelta(days=1),
    timedelta(days=2),
    timedelta(weeks=1),
    timedelta(weeks=2),
]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


# -- (a) timer lateness -------------------------------------------------------------------------


class NotingClock(SystemClock):
    """The system clock, noting every instant it hands out."""

    def __init__(self) -> None:
        self.seen: list[datetime] = []

    def now(self) -> datetime:
        value = super().now()
        self.seen.append(value)
        return value


class MeasuredTimers(TimerService):
    """The real service; also notes when each round's transaction had committed."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rounds: list[tuple[datetime, datetime, int]] = []  # (began, committed, fired)

    async def fire_due(self):
        self.clock.seen.clear()
        result = await super().fire_due()
        began = self.clock.seen[0]  # the `now` the round stamped as fired_at
        self.rounds.append((began, datetime.now(UTC), result.fired + result.stale))
        return result


async def declare_all(service: IncidentService, count: int, prefix: str) -> list[int]:
    """Declare `count` incidents, 50 at a time (they group-commit), and return their ids."""
    numbers: list[int] = []
    for first in range(0, count, 50):
        outcomes = await asyncio.gather(
            *(
                service.declare("U0BENCH", f"{prefix} incident {i}", "SEV1", source="bench")
                for i in range(first, min(first + 50, count))
            )
        )
        numbers += [o.incident.id for o in outcomes]
    return numbers


async def timer_lateness(args: argparse.Namespace, directory: Path) -> dict:
    db = Database(f"sqlite+aiosqlite:///{directory / 'bench.db'}")
    clock = SystemClock()
    config = parse_config(CONFIG)
    try:
        await upgrade(db)
        incident_service = Services.build(db, config, clock).incidents
        started = time.perf_counter()
        cold_count = max(1, args.later // 9)
        hot = await declare_all(incident_service, args.soon, "hot")
        cold = await declare_all(incident_service, cold_count, "cold")
        declare_s = time.perf_counter() - started
        print(
            f"  declared {len(hot) + len(cold):,} incidents through IncidentService.declare "
            f"in {declare_s:.1f} s (each arms its own escalate timer, due in 15 min)"
        )

        t0 = clock.now()
        first_due = t0 + timedelta(seconds=args.lead)
        step = timedelta(seconds=args.spread) / max(args.soon, 1)
        rng = random.Random(7)

        def seed(conn) -> list[int]:
            ids = []
            for i, number in enumerate(hot):
                ids.append(
                    timer_store.schedule(
                        conn, t0, "escalate", first_due + i * step, incident_id=number, fence=1
                    )
                )
            for i in range(args.later):
                due = t0 + timedelta(days=rng.uniform(1, 30))
                timer_store.schedule(
                    conn, t0, "escalate", due, incident_id=cold[i % len(cold)], fence=1
                )
            return ids

        hot_ids = await db.write(seed)
        pending = await db.read(
            lambda conn: conn.execute(
                sa.select(sa.func.count()).select_from(timers).where(timers.c.status == "pending")
            ).scalar_one()
        )
        print(
            f"  scheduled {args.soon:,} timers due over {args.spread:g} s from "
            f"+{args.lead:g} s and {args.later:,} due 1-30 days later: "
            f"{pending:,} pending in all"
        )

        service = MeasuredTimers(db, incident_service.ctx, NotingClock())
        worker = TimerWorker(service, clock)
        task = asyncio.create_task(worker.run(), name="timers")
        last_due = first_due + (args.soon - 1) * step
        deadline = last_due + timedelta(seconds=args.grace)

        def left(conn) -> int:
            query = sa.select(sa.func.count()).where(
                timers.c.id.in_(hot_ids), timers.c.status == "pending"
            )
            return conn.execute(query).scalar_one()

        print(
            f"  worker running; the last hot timer is due at +{(last_due - t0).total_seconds():.0f} s"
        )
        while clock.now() < deadline:
            await asyncio.sleep(0.5)  # the bench watches from outside, on a read snapshot
            if clock.now() > last_due and await db.read(left) == 0:
                break
        worker.stop()
        await asyncio.wait_for(task, timeout=30)

        def fired(conn):
            query = sa.select(timers.c.id, timers.c.due_at, timers.c.fired_at, timers.c.status)
            return conn.execute(query.where(timers.c.id.in_(hot_ids))).all()

        rows = await db.read(fired)
        escalated = await db.read(
            lambda conn: conn.execute(
                sa.select(sa.func.count()).where(
                    incidents.c.id.in_(hot), incidents.c.escalation_level == 1
                )
            ).scalar_one()
        )
    finally:
        await db.close()

    committed_at = {began: committed for began, committed, _ in service.rounds}
    done = [r for r in rows if r.fired_at is not None]
    claimed = [(r.fired_at - r.due_at).total_seconds() for r in done]
    durable = [(committed_at[r.fired_at] - r.due_at).total_seconds() for r in done]
    statuses = {}
    for r in rows:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    figures = {
        "timers_pending_at_start": pending,
        "hot_timers": args.soon,
        "fired": statuses.get("fired", 0),
        "statuses": statuses,
        "incidents_escalated": escalated,
        "rounds": len(service.rounds),
        "lateness_s": _stats(claimed),
        "lateness_to_commit_s": _stats(durable),
        "target_p99_s": LATENESS_TARGET_S,
    }
    figures["passed"] = (
        figures["fired"] == args.soon
        and bool(claimed)
        and figures["lateness_to_commit_s"]["p99"] < LATENESS_TARGET_S
    )
    return figures


def _stats(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p99": None, "max": None, "min": None}
    return {
        "p50": round(percentile(values, 50), 4),
        "p99": round(percentile(values, 99), 4),
        "max": round(max(values), 4),
        "min": round(min(values), 4),
    }


# -- (b) who is on call -------------------------------------------------------------------------


def rotations(count: int, seed: int = 11) -> list[tuple[RotationSpec, list[Override]]]:
    rng = random.Random(seed)
    year = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for n in range(count):
        name = f"rotation-{n}"
        shift = SHIFTS[n % len(SHIFTS)]
        members = tuple(f"U0M{n:02d}{m}" for m in range(rng.randint(2, 8)))
        start = datetime(2025, rng.randint(1, 12), rng.randint(1, 28), rng.choice([0, 8, 9, 17]))
        spec = RotationSpec(name, members, shift, start, ZoneInfo(ZONES[n % len(ZONES)]))
        overrides = []
        for k in range(rng.randint(3, 5)):
            begins = year + timedelta(hours=rng.randint(0, 364 * 24))
            overrides.append(
                Override(
                    id=n * 10 + k,
                    rotation=name,
                    user=f"U0OVER{k}",
                    starts_at=begins,
                    ends_at=begins + timedelta(hours=rng.randint(2, 72)),
                    created_at=begins - timedelta(days=rng.randint(1, 30)),
                )
            )
        out.append((spec, overrides))
    return out


def lookup_cost(args: argparse.Namespace) -> dict:
    pool = rotations(args.rotations)
    year = datetime(2026, 1, 1, tzinfo=UTC)
    instants = [year + timedelta(hours=h) for h in range(args.hours)]
    for spec, overrides in pool:  # warm up: first calls pay for zone data and caches
        on_call(spec, overrides, year)
    samples: list[float] = []
    clock = time.perf_counter_ns
    started = time.perf_counter()
    for spec, overrides in pool:
        for at in instants:
            before = clock()
            on_call(spec, overrides, at)
            samples.append((clock() - before) / 1000)
    wall = time.perf_counter() - started
    gaps = []
    for _ in range(1000):  # what the measuring itself costs: two clock reads
        first = clock()
        gaps.append(clock() - first)
    overhead = min(gaps) / 1000
    figures = {
        "rotations": len(pool),
        "instants": len(instants),
        "lookups": len(samples),
        "mean_us": round(sum(samples) / len(samples), 2),
        "p50_us": round(percentile(samples, 50), 2),
        "p99_us": round(percentile(samples, 99), 2),
        "max_us": round(max(samples), 2),
        "timer_overhead_us": round(overhead, 3),
        "wall_s": round(wall, 2),
        "zones": sorted({str(spec.zone) for spec, _ in pool}),
        "target_p99_us": LOOKUP_TARGET_US,
    }
    figures["passed"] = figures["p99_us"] < LOOKUP_TARGET_US
    return figures


# -- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.oncall_timers", description=__doc__)
    parser.add_argument("--soon", type=int, default=1000, help="timers due during the run")
    parser.add_argument("--later", type=int, default=9000, help="timers due days later")
    parser.add_argument("--lead", type=float, default=30.0, help="seconds to the first due")
    parser.add_argument("--spread", type=float, default=60.0, help="seconds the due ones span")
    parser.add_argument("--grace", type=float, default=30.0, help="wait past the last due")
    parser.add_argument("--rotations", type=int, default=50)
    parser.add_argument("--hours", type=int, default=365 * 24, help="hourly instants asked")
    parser.add_argument("--skip-timers", action="store_true")
    parser.add_argument("--skip-lookups", action="store_true")
    return parser.parse_args(argv)


def quiet_logs() -> None:
    """Only warnings: a late timer (over 5 s) still says so."""
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    logging.getLogger().setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    quiet_logs()
    results: dict = {
        "machine": machine(),
        "settings": {k: v for k, v in vars(args).items() if not k.startswith("skip")},
    }
    passed = True
    if not args.skip_timers:
        print(
            f"(a) timer lateness: {args.soon + args.later:,} timers scheduled, the real worker "
            "loop, the system clock"
        )
        with tempfile.TemporaryDirectory(prefix="firebell-bench-") as directory:
            figures = asyncio.run(timer_lateness(args, Path(directory)))
        results["timers"] = figures
        late, durable = figures["lateness_s"], figures["lateness_to_commit_s"]
        print(
            f"  fired {figures['fired']:,} of {figures['hot_timers']:,} in {figures['rounds']} rounds; "
            f"{figures['incidents_escalated']:,} incidents escalated to level 2 by them"
        )
        print(
            f"  lateness (fired_at - due_at)     p50 {late['p50']:.3f} s   p99 {late['p99']:.3f} s   "
            f"max {late['max']:.3f} s"
        )
        print(
            f"  lateness to commit               p50 {durable['p50']:.3f} s   "
            f"p99 {durable['p99']:.3f} s   max {durable['max']:.3f} s"
        )
        verdict = "PASS" if figures["passed"] else "FAIL"
        print(f"  target: every timer fired, p99 to commit < {LATENESS_TARGET_S:g} s: {verdict}")
        passed &= figures["passed"]
    if not args.skip_lookups:
        print(f"(b) who is on call: {args.rotations} rotations x {args.hours:,} hourly instants")
        figures = lookup_cost(args)
        results["lookups"] = figures
        print(
            f"  {figures['lookups']:,} lookups in {figures['wall_s']} s: "
            f"mean {figures['mean_us']} us, p50 {figures['p50_us']} us, "
            f"p99 {figures['p99_us']} us, max {figures['max_us']} us"
        )
        verdict = "PASS" if figures["passed"] else "FAIL"
        print(f"  target: p99 < {LOOKUP_TARGET_US:g} us: {verdict}")
        passed &= figures["passed"]
    save(RESULTS, results)
    print(f"figures written to {RESULTS.relative_to(ROOT)}")
    return 0 if passed else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
