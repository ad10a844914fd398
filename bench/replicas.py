"""SQLite (one process) against PostgreSQL (one and three replicas): declares and timers.

Each system runs as real `python -m bot serve` processes on this machine, one system after
the other, against the Slack Web API double served from this process:

- `sqlite-1`: one process on a fresh SQLite file, as `make run` starts it;
- `postgres-1`, `postgres-3`: one and three processes on one fresh PostgreSQL database.

For each: (a) signed `/incident declare` requests at concurrency 50, spread round-robin over
the replicas (the load of `bench.ack_latency`'s concurrency-50 phase): ack latency and
throughput; then every acked incident must be in the database. (b) 1,000 `escalate` timers
due evenly over one minute, starting 30 s out, plus 9,000 due days later (the load of
`bench.oncall_timers`), written straight into the `timers` table; the replicas' timer loops
fire them through the real escalation handler, and lateness is read back from the table as
`fired_at - due_at`. Every hot timer must fire exactly once (each of its incidents
escalated to level 2, one `escalated` event each).

Run from the repository root: `python -m bench.replicas` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import random
import sys
import tempfile
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.ack_latency import CONCURRENCY, SECRET, TOKEN, Declarer
from bench.load import Phase, drive
from bench.oncall_timers import CONFIG, LATENESS_TARGET_S, _stats, quiet_logs
from bench.process import Server, free_port, interruptible
from bench.record import machine, print_table, save
from bot.clock import SystemClock
from bot.sandbox.standin.server import SlackDouble
from bot.store import timers as timer_store
from bot.store.db import Database
from bot.store.tables import events, incidents, timers
from tests.support.database import libpq

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "replicas.json"
POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PREFIX = "fbbench_"


@dataclass
class System:
    name: str
    replicas: int
    postgres: bool


SYSTEMS = [
    System("sqlite-1", 1, False),
    System("postgres-1", 1, True),
    System("postgres-3", 3, True),
]


# -- databases ----------------------------------------------------------------------------------


def create_database(server: str, directory: Path, postgres: bool) -> str:
    if not postgres:
        return f"sqlite+aiosqlite:///{directory / 'firebell.db'}"
    name = PREFIX + uuid.uuid4().hex[:12]
    with psycopg.connect(libpq(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_database(server: str, url: str) -> None:
    name = make_url(url).database or ""
    if not name.startswith(PREFIX):
        return
    with psycopg.connect(libpq(server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reachable(server: str) -> str | None:
    """None when a PostgreSQL server answers at `server`, else why not."""
    try:
        with psycopg.connect(libpq(server), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


# -- the replicas -------------------------------------------------------------------------------


def replica(n: int, api_url: str, url: str, config: Path, directory: Path) -> Server:
    """One Firebell process exactly as `bench.ack_latency` starts it, on `url`."""
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": url,
        "FIREBELL_CONFIG": str(config),
        "PORT": str(port),
        "FIREBELL_HOST": "127.0.0.1",
        "FIREBELL_LOG_LEVEL": "warning",
    }
    argv = [sys.executable, "-m", "bot", "serve"]
    return Server(f"firebell-{n}", argv, env, port, directory / f"firebell-{n}.log")


async def spread(declarers: list[Declarer], phase: Phase) -> Phase:
    """`phase.concurrency` workers share `phase.requests`, each request to the next replica."""
    turn = itertools.count()
    return await drive(phase, lambda: declarers[next(turn) % len(declarers)].declare())


# -- (b) timers ---------------------------------------------------------------------------------


async def timer_lateness(args: argparse.Namespace, url: str) -> dict[str, Any]:
    """Schedule the hot and cold timers, wait for the replicas to fire the hot ones, read back."""
    db = Database(url)
    clock = SystemClock()
    try:
        numbers = await db.read(
            lambda conn: conn.execute(
                sa.select(incidents.c.id, incidents.c.escalation_fence).order_by(incidents.c.id)
            ).all()
        )
        if len(numbers) < args.soon + 1:
            raise SystemExit(f"need more than {args.soon} incidents, have {len(numbers)}")
        hot, cold = numbers[: args.soon], numbers[args.soon :]
        t0 = clock.now()
        first_due = t0 + timedelta(seconds=args.lead)
        step = timedelta(seconds=args.spread) / max(args.soon, 1)
        rng = random.Random(7)

        def seed(conn) -> list[int]:
            ids = [
                timer_store.schedule(
                    conn, t0, "escalate", first_due + i * step, incident_id=n, fence=fence
                )
                for i, (n, fence) in enumerate(hot)
            ]
            for i in range(args.later):
                n, fence = cold[i % len(cold)]
                due = t0 + timedelta(days=rng.uniform(1, 30))
                timer_store.schedule(conn, t0, "escalate", due, incident_id=n, fence=fence)
            return ids

        hot_ids = await db.write(seed)
        seeded_s = (clock.now() - t0).total_seconds()
        pending = await db.read(
            lambda conn: conn.execute(
                sa.select(sa.func.count()).select_from(timers).where(timers.c.status == "pending")
            ).scalar_one()
        )
        print(
            f"    scheduled {args.soon:,} timers due over {args.spread:g} s from +{args.lead:g} s "
            f"and {args.later:,} due 1-30 days later in {seeded_s:.1f} s: {pending:,} pending"
        )
        last_due = first_due + (args.soon - 1) * step
        deadline = last_due + timedelta(seconds=args.grace)

        def left(conn) -> int:
            query = sa.select(sa.func.count()).where(
                timers.c.id.in_(hot_ids), timers.c.status == "pending"
            )
            return conn.execute(query).scalar_one()

        while clock.now() < deadline:
            await asyncio.sleep(0.5)  # watching from outside, on a read snapshot
            if clock.now() > last_due and await db.read(left) == 0:
                break

        def fired(conn):
            query = sa.select(timers.c.due_at, timers.c.fired_at, timers.c.status)
            return conn.execute(query.where(timers.c.id.in_(hot_ids))).all()

        hot_numbers = [n for n, _ in hot]

        def escalations(conn) -> tuple[int, int]:
            level = sa.select(sa.func.count()).where(
                incidents.c.id.in_(hot_numbers), incidents.c.escalation_level == 1
            )
            escalated = sa.select(sa.func.count()).where(
                events.c.incident_id.in_(hot_numbers), events.c.kind == "escalated"
            )
            return conn.execute(level).scalar_one(), conn.execute(escalated).scalar_one()

        rows = await db.read(fired)
        at_level_2, escalated_events = await db.read(escalations)
    finally:
        await db.close()
    statuses: dict[str, int] = {}
    for r in rows:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    lateness = [(r.fired_at - r.due_at).total_seconds() for r in rows if r.fired_at is not None]
    figures = {
        "timers_pending_at_start": pending,
        "hot_timers": args.soon,
        "fired": statuses.get("fired", 0),
        "statuses": statuses,
        "incidents_at_level_2": at_level_2,
        "escalated_events": escalated_events,
        "lateness_s": _stats(lateness),
        "target_p99_s": LATENESS_TARGET_S,
    }
    figures["passed"] = (
        figures["fired"] == args.soon == at_level_2 == escalated_events
        and bool(lateness)
        and figures["lateness_s"]["p99"] < LATENESS_TARGET_S
    )
    return figures


# -- one system ---------------------------------------------------------------------------------


async def measure(
    system: System, args: argparse.Namespace, double: SlackDouble, directory: Path
) -> dict[str, Any]:
    config = directory / "firebell.yml"
    config.write_text(CONFIG)
    url = create_database(args.postgres, directory, system.postgres)
    servers = [
        replica(n, double.url, url, config, directory) for n in range(1, system.replicas + 1)
    ]
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=30)
    calls_before = len(double.calls)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            for server in servers:  # one at a time: each migrates on start, the first does it
                await server.start(session)
            declarers = [Declarer(session, s.base, expect_declared=True) for s in servers]
            await spread(declarers, Phase("warm-up", CONCURRENCY, args.warmup))
            phase = await spread(declarers, Phase(system.name, CONCURRENCY, args.requests))
            acked = sum(d.acked for d in declarers)
            stored = await count_incidents(url)
            for reason in [f for d in declarers for f in d.failures][:5]:
                print(f"    {system.name} failure: {reason}", file=sys.stderr)
            declare = phase.figures()
            print(
                f"    declare at concurrency {CONCURRENCY}: p50 {declare['p50_ms']:.1f} ms, "
                f"p99 {declare['p99_ms']:.1f} ms, {declare['throughput_rps']:.0f} req/s, "
                f"{declare['errors']} errors; {stored} incidents stored for {acked} acks"
            )
            timer_figures = await timer_lateness(args, url)
    except Exception:
        for server in servers:
            print(f"--- last lines of {server.name}'s output:\n{server.tail()}", file=sys.stderr)
        raise
    finally:
        await asyncio.gather(*(server.stop() for server in servers))
        if system.postgres:
            drop_database(args.postgres, url)
    return {
        "system": system.name,
        "replicas": system.replicas,
        "database": "postgresql" if system.postgres else "sqlite",
        "declare": declare,
        "persistence": {"successful_declare_acks": acked, "incident_rows": stored},
        "timers": timer_figures,
        "slack_calls": len(double.calls) - calls_before,
    }


async def count_incidents(url: str) -> int:
    db = Database(url)
    try:
        return await db.read(
            lambda conn: conn.execute(
                sa.select(sa.func.count()).select_from(incidents)
            ).scalar_one()
        )
    finally:
        await db.close()


# -- report -------------------------------------------------------------------------------------


def passed(result: dict[str, Any]) -> bool:
    persistence = result["persistence"]
    return (
        result["declare"]["errors"] == 0
        and persistence["incident_rows"] == persistence["successful_declare_acks"]
        and result["timers"]["passed"]
    )


def report(results: list[dict[str, Any]]) -> None:
    header = (
        "system",
        "replicas",
        "declare p50 ms",
        "p99 ms",
        "max ms",
        "req/s",
        "errors",
        "timers fired",
        "late p50 s",
        "p99 s",
        "max s",
        "",
    )
    table = []
    for r in results:
        d, t = r["declare"], r["timers"]
        late = t["lateness_s"]
        table.append(
            (
                r["system"],
                str(r["replicas"]),
                f"{d['p50_ms']:.1f}",
                f"{d['p99_ms']:.1f}",
                f"{d['max_ms']:.1f}",
                f"{d['throughput_rps']:.0f}",
                str(d["errors"]),
                f"{t['fired']}/{t['hot_timers']}",
                "-" if late["p50"] is None else f"{late['p50']:.3f}",
                "-" if late["p99"] is None else f"{late['p99']:.3f}",
                "-" if late["max"] is None else f"{late['max']:.3f}",
                "PASS" if passed(r) else "FAIL",
            )
        )
    print_table(header, table)
    print()
    print(
        f"PASS: no declare errors, every acked incident stored, every hot timer fired exactly "
        f"once (incident at level 2, one escalated event), p99 lateness < {LATENESS_TARGET_S:g} s"
    )


async def bench(args: argparse.Namespace) -> int:
    """The whole run; its exit status."""
    systems = [s for s in SYSTEMS if s.name in args.systems]
    if any(s.postgres for s in systems) and (why := reachable(args.postgres)):
        print(f"PostgreSQL is not reachable at {args.postgres} ({why}): SQLite only.")
        systems = [s for s in systems if not s.postgres]
    results = []
    async with SlackDouble() as double:
        for system in systems:
            print(f"{system.name}: {system.replicas} x `python -m bot serve`")
            with tempfile.TemporaryDirectory(prefix="firebell-bench-") as directory:
                results.append(await measure(system, args, double, Path(directory)))
    report(results)
    figures = {
        "machine": machine(),
        "settings": {
            **{k: v for k, v in vars(args).items() if k != "postgres"},
            "concurrency": CONCURRENCY,
        },
        "systems": results,
    }
    save(RESULTS, figures)
    print(f"figures written to {RESULTS.relative_to(ROOT)}")
    return 0 if results and all(passed(r) for r in results) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replicas", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="timed declares at c=50")
    parser.add_argument("--warmup", type=int, default=50, help="untimed declares first")
    parser.add_argument("--soon", type=int, default=1000, help="timers due during the run")
    parser.add_argument("--later", type=int, default=9000, help="timers due days later")
    parser.add_argument("--lead", type=float, default=30.0, help="seconds to the first due")
    parser.add_argument("--spread", type=float, default=60.0, help="seconds the due ones span")
    parser.add_argument("--grace", type=float, default=30.0, help="wait past the last due")
    parser.add_argument(
        "--systems",
        nargs="+",
        default=[s.name for s in SYSTEMS],
        choices=[s.name for s in SYSTEMS],
        help="which systems to run",
    )
    parser.add_argument("--postgres", default=POSTGRES, help="server for the PostgreSQL runs")
    args = parser.parse_args(argv)
    quiet_logs()
    return interruptible(bench(args))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
