"""`firebell audit verify` over 100,000 rows: the whole check, and the floor under it.

A fresh SQLite file in a temporary directory is migrated as `firebell migrate` does and its
audit log seeded in bulk through the real table with `--rows` (100,000) rows, hash-chained
exactly as `bot.store.audit.append` chains them (a mix modelled on real rows: declarations
carrying the incident as declared, acknowledgements and resolutions with their fields before
and after, refused overrides, escalations without fields, config loads). Then, each
`--repeat` (5) times, best and median:

- `verify`: `bot.audit_cli.walk` in a `Database.read`, what the command runs: the head, then
  every row up to it read, decoded and checked by `bot.core.audit.verify`;
- `command`: `python -m bot audit verify` as users run it, process start to exit, and
  `startup`: the same command on an empty log (the interpreter and imports alone);
- the parts: `rows` (`bot.store.audit.rows` alone: read and decoded), `check`
  (`bot.core.audit.verify` over rows already in memory);
- the floor, in the same run on the same data: `raw read` (the stdlib `sqlite3` driver
  fetching the same rows, no decoding) plus `sha256` (hashing the exact bytes each row's hash
  covers, already built). The ratio `verify / floor` says how far the check is from the cost
  of reading the bytes and hashing them.

Target: `verify` under 1 s per 100,000 rows. Figures go to `bench/results/audit_verify.json`;
the exit status is 0 only when the target is met. `--postgres URL` also times `verify` and
`rows` on a fresh PostgreSQL database (`fbbench_*`, dropped at the end).

Run from the repository root: `python -m bench.audit_verify` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.record import machine, save
from bench.replicas import POSTGRES, create_database, drop_database, reachable
from bot.audit_cli import walk
from bot.core import audit as chain
from bot.store import audit as store
from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.tables import audit_head, audit_log

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "audit_verify.json"
TARGET_S = 1.0  # per 100,000 rows
START = datetime(2025, 1, 1, tzinfo=UTC)
PEOPLE = ["U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0ERIN"]


def content(n: int, rng: random.Random, at: datetime) -> dict:
    """The n-th row's fields (before `seq`, `at`, hashes), as a use case would write them."""
    number = n // 6 + 1
    who = rng.choice(PEOPLE)
    kind = n % 6
    if kind == 0:
        after = {
            "title": f"Checkout latency {number}: p99 over 2 s",
            "description": None,
            "severity": rng.choice(["SEV1", "SEV2", "SEV3"]),
            "status": "open",
            "service": rng.choice(["api", "billing", None]),
            "team": "default",
            "tenants": rng.sample(["acme", "globex", "initech"], rng.randint(0, 2)),
            "source": "slack",
            "channel_id": "C0INCIDENTS",
            "declared_at": at,
            "ack_due_at": at + timedelta(minutes=15),
            "waiting_until": None,
            "escalation_level": 0,
            "targets": ["rotation:primary"],
        }
        return dict(actor=who, source="command", action="declare", after=after)
    if kind == 1:
        return dict(actor="timer", source="timer", action="escalate", after={"level": 1})
    if kind == 2:
        before = {"status": "open", "acknowledged_by": None, "acknowledged_at": None}
        after = {"status": "acknowledged", "acknowledged_by": who, "acknowledged_at": at}
        return dict(actor=who, source="button", action="acknowledge", before=before, after=after)
    if kind == 3:
        return dict(
            actor=who,
            source="modal",
            action="override.add",
            target="rotation:primary",
            outcome="denied",
            after={"user": who, "start": at, "end": at + timedelta(hours=8), "why": "not allowed"},
        )
    if kind == 4:
        before = {"status": "acknowledged", "summary": None, "resolved_at": None}
        after = {"status": "resolved", "summary": "Rolled back deploy ✓", "resolved_at": at}
        return dict(actor=who, source="command", action="resolve", before=before, after=after)
    return dict(
        actor="config",
        source="startup",
        action="config.load",
        target="config",
        before={"sha256": hashlib.sha256(str(n - 6).encode()).hexdigest()},
        after={"sha256": hashlib.sha256(str(n).encode()).hexdigest(), "path": "firebell.yml"},
    )


async def seed(db: Database, count: int, seed_value: int) -> dict:
    """`count` rows chained as `append` chains them, 5,000 to a transaction; the head moved."""
    rng = random.Random(seed_value)
    started = time.perf_counter()
    prev, step = chain.GENESIS, 5000
    for first in range(1, count + 1, step):
        batch = []
        for seq in range(first, min(first + step, count + 1)):
            at = START + timedelta(seconds=seq * 37)
            fields = content(seq - 1, rng, at)
            row = {
                "seq": seq,
                "at": chain.stamp(at),
                "actor": fields["actor"],
                "source": fields["source"],
                "action": fields["action"],
                "target": fields.get("target", f"INC-{(seq - 1) // 6 + 1}"),
                "outcome": fields.get("outcome", "done"),
                "before": chain.plain(fields.get("before")),
                "after": chain.plain(fields.get("after")),
            }
            digest = chain.digest(prev, row)
            batch.append({**row, "at": at, "prev_hash": prev, "hash": digest})
            prev = digest

        def work(conn, batch=batch, last=prev):
            conn.execute(sa.insert(audit_log), batch)
            conn.execute(sa.update(audit_head).values(seq=batch[-1]["seq"], hash=last))

        await db.write(work, alone=True)
    return {"rows": count, "seconds": round(time.perf_counter() - started, 1)}


async def timed(fn: Callable, repeat: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = await fn()
        times.append(time.perf_counter() - started)
    return times, result


def figures(times: list[float], rows: int) -> dict:
    per = 100_000 / rows
    return {
        "best_s": round(min(times), 3),
        "median_s": round(statistics.median(times), 3),
        "best_per_100k_s": round(min(times) * per, 3),
        "median_per_100k_s": round(statistics.median(times) * per, 3),
    }


def canonical_bytes(rows: list[dict]) -> list[bytes]:
    """What each row's hash covers, built as `bot.core.audit.digest` builds it."""
    out = []
    for row in rows:
        body = {name: row[name] for name in chain.FIELDS}
        body["prev_hash"] = row["prev_hash"]
        out.append(
            json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        )
    return out


def command_seconds(url: str, directory: Path) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREBELL_"))}
    env["DATABASE_URL"] = url
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "audit", "verify"],
        env=env,
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"audit verify failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, done.stdout.strip()


async def sqlite_run(args: argparse.Namespace, directory: Path) -> dict:
    path = directory / "audit.db"
    url = f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    await upgrade(db)
    empty = directory / "empty.db"
    empty_db = Database(f"sqlite+aiosqlite:///{empty}")
    await upgrade(empty_db)
    await empty_db.close()
    print(f"seeding {args.rows:,} audit rows…", flush=True)
    seeded = await seed(db, args.rows, args.seed)
    print(f"  in {seeded['seconds']} s", flush=True)
    out: dict = {"seeded": seeded}
    try:
        times, found = await timed(lambda: db.read(walk), args.repeat)
        if found.broken is not None or found.count != args.rows:
            raise SystemExit(f"the seeded log does not check: {found}")
        out["verify"] = figures(times, args.rows)
        times, _ = await timed(
            lambda: db.read(lambda conn: sum(1 for _ in store.rows(conn))), args.repeat
        )
        out["rows"] = figures(times, args.rows)
        loaded = await db.read(lambda conn: list(store.rows(conn)))
        head = await db.read(store.head)

        async def check():
            return chain.verify(loaded, head)

        times, _ = await timed(check, args.repeat)
        out["check"] = figures(times, args.rows)

        columns = ", ".join(c.name for c in audit_log.columns)

        async def raw_read():
            with sqlite3.connect(path) as conn:
                return len(conn.execute(f"SELECT {columns} FROM audit_log ORDER BY seq").fetchall())

        times, _ = await timed(raw_read, args.repeat)
        out["raw_read"] = figures(times, args.rows)
        covered = canonical_bytes(loaded)
        out["hashed_bytes"] = sum(map(len, covered))

        async def hashing():
            sha = hashlib.sha256
            return [sha(b).hexdigest() for b in covered]

        times, _ = await timed(hashing, args.repeat)
        out["sha256"] = figures(times, args.rows)
    finally:
        await db.close()
    runs = [command_seconds(url, directory) for _ in range(args.repeat)]
    out["command"] = figures([s for s, _ in runs], args.rows)
    out["command_said"] = runs[0][1]
    starts = [command_seconds(f"sqlite+aiosqlite:///{empty}", directory) for _ in range(3)]
    out["startup_s"] = round(min(s for s, _ in starts), 3)
    floor = out["raw_read"]["best_s"] + out["sha256"]["best_s"]
    out["floor_s"] = round(floor, 3)
    out["ratio"] = round(out["verify"]["best_s"] / floor, 1)
    return out


async def postgres_run(args: argparse.Namespace, directory: Path) -> dict:
    url = create_database(args.postgres, directory, postgres=True)
    db = Database(url)
    try:
        await upgrade(db)
        print(f"seeding {args.rows:,} audit rows on PostgreSQL…", flush=True)
        seeded = await seed(db, args.rows, args.seed)
        times, found = await timed(lambda: db.read(walk), args.repeat)
        if found.broken is not None or found.count != args.rows:
            raise SystemExit(f"the seeded log does not check: {found}")
        read_times, _ = await timed(
            lambda: db.read(lambda conn: sum(1 for _ in store.rows(conn))), args.repeat
        )
        return {
            "seeded": seeded,
            "verify": figures(times, args.rows),
            "rows": figures(read_times, args.rows),
        }
    finally:
        await db.close()
        drop_database(args.postgres, url)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.audit_verify", description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--postgres", nargs="?", const=POSTGRES, help=f"also on PostgreSQL (default {POSTGRES})"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="firebell-bench-") as tmp:
        results = {"sqlite": asyncio.run(sqlite_run(args, Path(tmp)))}
        if args.postgres:
            if why := reachable(args.postgres):
                print(f"PostgreSQL is not reachable at {args.postgres} ({why}): SQLite only.")
            else:
                results["postgres"] = asyncio.run(postgres_run(args, Path(tmp)))
    lite = results["sqlite"]
    print(f"\n{args.rows:,} rows, {lite['hashed_bytes'] / args.rows:.0f} bytes hashed per row")
    print(f"{'':<34}{'best s':>9}{'median s':>10}{'per 100k':>10}")
    rows = [
        ("verify (read + check)", lite["verify"]),
        ("  rows: read and decoded", lite["rows"]),
        ("  check: verify on loaded rows", lite["check"]),
        ("floor: raw read (sqlite3)", lite["raw_read"]),
        ("floor: sha256 of the same bytes", lite["sha256"]),
        ("`firebell audit verify` command", lite["command"]),
    ]
    if "postgres" in results:
        rows += [
            ("PostgreSQL: verify", results["postgres"]["verify"]),
            ("PostgreSQL:   rows", results["postgres"]["rows"]),
        ]
    for name, row in rows:
        print(f"{name:<34}{row['best_s']:>9}{row['median_s']:>10}{row['best_per_100k_s']:>10}")
    print(f"command start-up on an empty log: {lite['startup_s']} s")
    print(f"the command said: {lite['command_said']}")
    print(f"verify / floor (raw read + sha256): {lite['ratio']}x")
    per_100k = lite["verify"]["best_per_100k_s"]
    met = per_100k < TARGET_S
    print(f"\ntarget: verify under {TARGET_S:.0f} s per 100,000 rows: {'met' if met else 'MISSED'}")
    results.update(
        {
            "settings": {**vars(args), "postgres": make_url(args.postgres).render_as_string()}
            if args.postgres
            else vars(args),
            "target_s_per_100k": TARGET_S,
            "met": met,
            "machine": machine(),
        }
    )
    save(RESULTS, results)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
