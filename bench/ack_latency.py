"""Ack latency and throughput of signed `/incident declare` requests: Firebell against the floor.

The systems run as real subprocesses on this machine, one after the other, against the Slack
Web API double served from this process: (a) Firebell exactly as users start it
(`python -m bot serve`), (b) the floor, a bare Bolt app that only acks (`bench/floor.py`),
(c) "floor+write", that Bolt app storing one row in SQLite (synchronous=FULL, rows waiting
committed together) before its ack: a yardstick without a target, for how much of the
distance a durable write takes by itself.
Each gets a warm-up, then a concurrency-1 phase and a concurrency-50 phase. During Firebell's
concurrency-1 phase every acked incident is looked up in the SQLite file right after its ack
(outside the timed region); at the end the row count must equal the successful acks.

Run from the repository root: `python -m bench.ack_latency` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import yaml

from bench.load import Clock, Phase, drive, timed_post
from bench.process import ROOT, Server, free_port, interruptible, profile_option
from bench.record import machine, print_table, save
from bot.sandbox.standin.server import SlackDouble
from tests.support.signing import sign, slash_command_body

RESULTS = ROOT / "bench" / "results" / "ack_latency.json"
SECRET = "bench-signing-secret-5f0c2b8e9a7d4e61"
TOKEN = "xoxb-bench"
EXAMPLE = ROOT / "config" / "firebell.example.yml"
DECLARED = re.compile(r"Declared INC-(\d+)")
P50_TARGET = 2.0  # Firebell's p50 at concurrency 1 at most this multiple of the floor's
THROUGHPUT_TARGET = 0.5  # Firebell's throughput at concurrency 50 at least this share
CONCURRENCY = 50
Measured = TypeVar("Measured")


@dataclass
class Persistence:
    """Firebell's durability check: every acked incident was in the database at ack time."""

    checked: int = 0
    missing: list[int] = field(default_factory=list)
    acked: int = 0
    rows: int = -1

    @property
    def ok(self) -> bool:
        return self.checked > 0 and not self.missing and self.rows == self.acked


class Declarer:
    """Sends signed `/incident declare` commands and judges each ack."""

    def __init__(self, session: aiohttp.ClientSession, base: str, expect_declared: bool):
        self.session = session
        self.url = f"{base}/slack/events"
        self.expect_declared = expect_declared
        self.sent = 0
        self.acked = 0  # successful declare acks, warm-up included
        self.failures: list[str] = []

    async def declare(self) -> tuple[float, int | None] | None:
        """One timed request: (latency ms, INC number or None), or None when it failed."""
        self.sent += 1
        body = slash_command_body(
            f"declare bench incident {self.sent}", user_id="U0BENCH", channel_id="C0BENCH"
        )
        headers = sign(SECRET, body, int(time.time()))
        answered = await timed_post(self.session, self.url, body, headers, self.failures)
        if answered is None:
            return None
        elapsed_ms, text = answered
        if not self.expect_declared:
            return elapsed_ms, None
        try:
            answer = json.loads(text)
        except ValueError:
            return self._fail(f"not JSON: {text[:200]}")
        match = DECLARED.search(answer.get("text") or "")
        if match is None:
            return self._fail(f"no 'Declared INC-' in {text[:200]}")
        self.acked += 1
        return elapsed_ms, int(match.group(1))

    def _fail(self, reason: str) -> None:
        self.failures.append(reason)
        return None

    async def warm_up(self, requests: int, concurrency: int) -> None:
        await drive(Phase("warm-up", concurrency, requests), self.declare)

    async def run(
        self,
        phase: Phase,
        database: Path | None = None,
        check: Persistence | None = None,
        cpu: Clock | None = None,
    ) -> Phase:
        """Run a phase; with `database` and `check`, each acked incident is looked up right
        after its ack, outside the phase's wall time (meant for concurrency 1); `cpu`: the
        server's CPU clock."""
        if database is None or check is None:
            return await drive(phase, self.declare, cpu=cpu)
        with contextlib.closing(_open_read_only(database)) as lookup:

            def persisted(number: int | None) -> None:
                if number is None:
                    return
                check.checked += 1
                found = lookup.execute("SELECT 1 FROM incidents WHERE id = ?", (number,))
                if not found.fetchone():
                    check.missing.append(number)

            return await drive(phase, self.declare, persisted, cpu)


def _open_read_only(path: Path) -> sqlite3.Connection:
    """A separate, read-only connection to the bot's database file."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)


def around_the_clock() -> str:
    """config/firebell.example.yml with every rotation covering 24/7, only Slack members and
    no weekly report.

    The example's primary rotation covers office hours only and its SEV3/SEV4 wait outside
    them, so a bare `/incident declare` (SEV4) measured at night or on a weekend paged nobody
    and never asked who is on call. Its members include an e-mail address the Slack double
    does not know, so in the weeks that member was on call nobody was paged either (no page
    DM, and no re-rendering of it when the click acknowledges). Without coverage windows and
    with Slack user ids only, every declaration pages someone at once, whatever the day, hour
    and week of the run; everything else is the example's."""
    config = yaml.safe_load(EXAMPLE.read_text())
    for rotation in config["rotations"]:
        rotation.pop("coverage", None)
        rotation["members"] = [m for m in rotation["members"] if "@" not in str(m)]
    config.setdefault("broadcast", {})["weekly_report"] = False
    return yaml.safe_dump(config, sort_keys=False)


def firebell(api_url: str, directory: Path, profile: Path | None = None, **env: str) -> Server:
    """Firebell as users run it, on a fresh SQLite file in `directory`; `env` adds to its
    environment (a config of the bench's own, an alerts token). Without a config of its own,
    `around_the_clock()`'s, written to `directory`."""
    port = free_port()
    if "FIREBELL_CONFIG" not in env:
        config = directory / "firebell.yml"
        config.write_text(around_the_clock())
        env["FIREBELL_CONFIG"] = str(config)
    argv = [sys.executable]
    if profile:
        argv += ["-m", "cProfile", "-o", str(profile)]
    argv += ["-m", "bot", "serve"]
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{directory / 'firebell.db'}",
        "PORT": str(port),
        "FIREBELL_HOST": "127.0.0.1",
        "FIREBELL_LOG_LEVEL": "warning",
        **env,
    }
    return Server("firebell", argv, env, port, directory / "firebell.log")


def floor(api_url: str, directory: Path, durable: bool = False) -> Server:
    """The bare Bolt app of bench/floor.py; `durable`: the one that stores a row per
    `/incident` (in `directory`) before its ack, named "floor+write"."""
    port = free_port()
    argv = [sys.executable, "-m", "bench.floor", "--port", str(port)]
    name = "floor"
    if durable:
        argv += ["--durable", str(directory / "floor.db")]
        name = "floor+write"
    env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": api_url}
    return Server(name, argv, env, port, directory / f"{name}.log")


async def against_floor(
    measure: Callable[[Server, argparse.Namespace, Path | None], Awaitable[Measured]],
    api_url: str,
    directory: Path,
    args: argparse.Namespace,
    firebell: Callable[[str, Path], Server] = firebell,
) -> tuple[Measured, Measured, Measured]:
    """`measure` the floor, floor+write, then Firebell on a fresh database, in a directory
    of their own (named after `measure`'s module): (Firebell's figures, the floor's,
    floor+write's)."""
    directory = directory / measure.__module__.rsplit(".", 1)[-1]
    directory.mkdir()
    floors = await measure(floor(api_url, directory), args, None)
    durables = await measure(floor(api_url, directory, durable=True), args, None)
    ours = await measure(firebell(api_url, directory), args, directory / "firebell.db")
    return ours, floors, durables


async def measure(
    server: Server, args: argparse.Namespace, database: Path | None = None
) -> tuple[list[Phase], Persistence | None]:
    """Start one system, warm it up, run both phases, check persistence, stop it."""
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        try:
            await server.start(session)
            declarer = Declarer(session, server.base, expect_declared=database is not None)
            check = Persistence() if database else None
            phases = []
            for concurrency, requests in ((1, args.requests_c1), (CONCURRENCY, args.requests_c50)):
                await declarer.warm_up(args.warmup, concurrency)
                phase = Phase(server.name, concurrency, requests)
                lookups = database if concurrency == 1 else None
                phases.append(await declarer.run(phase, lookups, check, server.cpu_seconds))
            if check is not None and database is not None:
                check.acked = declarer.acked
                with contextlib.closing(_open_read_only(database)) as conn:
                    check.rows = conn.execute("SELECT COUNT(*) FROM incidents").fetchone()[0]
            for reason in declarer.failures[:5]:
                print(f"  {server.name} failure: {reason}", file=sys.stderr)
            return phases, check
        except Exception:
            print(f"--- last lines of {server.name}'s output:\n{server.tail()}", file=sys.stderr)
            raise
        finally:
            await server.stop()


def targets(phases: list[Phase]) -> dict[str, dict[str, Any]]:
    """The two ratios against the floor, each with PASS/FAIL."""
    by = {(p.system, p.concurrency): p for p in phases}
    fb1, fl1 = by[("firebell", 1)].figures(), by[("floor", 1)].figures()
    p50_ratio = fb1["p50_ms"] / fl1["p50_ms"]
    tput_ratio = by[("firebell", CONCURRENCY)].throughput / by[("floor", CONCURRENCY)].throughput
    return {
        "p50_c1_within_2x_floor": {
            "ratio": round(p50_ratio, 2),
            "target": f"<= {P50_TARGET}",
            "pass": p50_ratio <= P50_TARGET,
        },
        f"throughput_c{CONCURRENCY}_at_least_half_floor": {
            "ratio": round(tput_ratio, 2),
            "target": f">= {THROUGHPUT_TARGET}",
            "pass": tput_ratio >= THROUGHPUT_TARGET,
        },
    }


def report(phases: list[Phase], goals: dict[str, dict[str, Any]], check: Persistence) -> None:
    """Print the table, the targets and the persistence check."""
    header = (
        "system",
        "concurrency",
        "requests",
        "p50 ms",
        "p99 ms",
        "max ms",
        "req/s",
        "errors",
        "CPU ms/req",
    )
    rows = [
        (
            f["system"],
            str(f["concurrency"]),
            str(f["requests"]),
            f"{f['p50_ms']:.2f}",
            f"{f['p99_ms']:.2f}",
            f"{f['max_ms']:.2f}",
            f"{f['throughput_rps']:.1f}",
            str(f["errors"]),
            "-" if f["cpu_ms_per_request"] is None else f"{f['cpu_ms_per_request']:.3f}",
        )
        for f in (p.figures() for p in phases)
    ]
    print_table(header, rows)
    print()
    p50, tput = goals.values()
    verdict = {True: "PASS", False: "FAIL"}
    print(
        f"p50 at concurrency 1 within 2x of the floor: {p50['ratio']:.2f}x the floor's "
        f"-> {verdict[p50['pass']]}"
    )
    print(
        f"throughput at concurrency {CONCURRENCY} at least half the floor's: "
        f"{tput['ratio']:.2f} of the floor's -> {verdict[tput['pass']]}"
    )
    print(
        f"every declared incident persisted before its ack: {check.checked} checked right after "
        f"the ack, {len(check.missing)} missing; {check.rows} rows in incidents for "
        f"{check.acked} successful declare acks -> {verdict[check.ok]}"
    )


async def bench(args: argparse.Namespace) -> int:
    """The whole run; returns the process exit status (0: every check and target passed)."""
    with tempfile.TemporaryDirectory(prefix="firebell-bench-") as tmp:
        directory = Path(tmp)
        async with SlackDouble() as double:
            phases, _ = await measure(floor(double.url, directory), args)
            durable, _ = await measure(floor(double.url, directory, durable=True), args)
            before = len(double.calls)
            database = directory / "firebell.db"
            more, check = await measure(
                firebell(double.url, directory, args.profile), args, database
            )
            phases += more
            slack_calls = len(double.calls) - before
    assert check is not None
    goals = targets(phases)
    report([*phases[:2], *durable, *phases[2:]], goals, check)
    print(yardstick(phases[2:], durable))
    print(f"Firebell made {slack_calls} Slack Web API calls to the double during its run")
    figures = results(args, phases, goals, check)
    figures["firebell_slack_calls"] = slack_calls
    figures["floor_write"] = [p.figures() for p in durable]
    save(RESULTS, figures)
    print(f"\nfigures written to {RESULTS.relative_to(ROOT)}")
    if args.profile:
        print(f"profile of Firebell (figures include cProfile's overhead): {args.profile}")
    passed = (
        check.ok and all(g["pass"] for g in goals.values()) and not any(p.errors for p in phases)
    )
    return 0 if passed else 1


def yardstick(ours: list[Phase], durable: list[Phase]) -> str:
    """Firebell against the floor that stores one row per declaration: no target, it tells
    how much of the distance to the floor a durable write takes by itself."""
    p50 = ours[0].figures()["p50_ms"] / durable[0].figures()["p50_ms"]
    share = ours[1].throughput / durable[1].throughput
    return (
        f"against floor+write (Bolt storing one row, synchronous=FULL, before its ack): "
        f"p50 {p50:.2f}x, throughput {share:.2f} of its"
    )


def results(
    args: argparse.Namespace,
    phases: list[Phase],
    goals: dict[str, dict[str, Any]],
    check: Persistence,
) -> dict[str, Any]:
    """Everything printed, as JSON, with the machine and settings it was measured with."""
    return {
        "machine": machine(),
        "settings": {
            "warmup": args.warmup,
            "requests_c1": args.requests_c1,
            "requests_c50": args.requests_c50,
            "concurrency": CONCURRENCY,
            "profiled": bool(args.profile),
        },
        "phases": [p.figures() for p in phases],
        "targets": goals,
        "persistence": {
            "checked_after_ack": check.checked,
            "missing_after_ack": check.missing,
            "successful_declare_acks": check.acked,
            "incident_rows": check.rows,
            "pass": check.ok,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ack_latency", description=__doc__)
    parser.add_argument(
        "--requests-c1", type=int, default=500, help="timed requests at concurrency 1"
    )
    parser.add_argument(
        "--requests-c50", type=int, default=2000, help="timed requests at concurrency 50"
    )
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests before each phase")
    profile_option(parser)
    return interruptible(bench(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
