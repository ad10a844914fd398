"""Ack latency and throughput of signed `/incident declare` requests: Firebell against the floor.

Both systems run as real subprocesses on this machine, one after the other, against the Slack
Web API double served from this process: (a) Firebell exactly as users start it
(`python -m bot serve`), (b) the floor, a bare Bolt app that only acks (`bench/floor.py`).
Each gets a warm-up, then a concurrency-1 phase and a concurrency-50 phase. During Firebell's
concurrency-1 phase every acked incident is looked up in the SQLite file right after its ack
(outside the timed region); at the end the row count must equal the successful acks.

Run from the repository root: `python -m bench.ack_latency` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import signal
import socket
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.record import machine, save
from bot.sandbox.standin.server import SlackDouble
from tests.support.signing import sign, slash_command_body

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "ack_latency.json"
SECRET = "bench-signing-secret-5f0c2b8e9a7d4e61"
TOKEN = "xoxb-bench"
CONFIG = "config/firebell.example.yml"
DECLARED = re.compile(r"Declared INC-(\d+)")
P50_TARGET = 2.0  # Firebell's p50 at concurrency 1 at most this multiple of the floor's
THROUGHPUT_TARGET = 0.5  # Firebell's throughput at concurrency 50 at least this share
CONCURRENCY = 50
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


@dataclass
class Phase:
    """One measured phase: latencies of the successful requests, wall time, failures."""

    system: str
    concurrency: int
    requests: int
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def throughput(self) -> float:
        """Successful requests per second of wall time."""
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def figures(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        return {
            "system": self.system,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "p50_ms": round(percentile(ordered, 0.50), 3),
            "p99_ms": round(percentile(ordered, 0.99), 3),
            "max_ms": round(ordered[-1], 3) if ordered else math.nan,
            "throughput_rps": round(self.throughput, 1),
            "errors": self.errors,
        }


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


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not ordered:
        return math.nan
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A system under test in its own subprocess; output goes to a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, log: Path):
        self.name = name
        self.argv = argv
        self.env = env
        self.port = port
        self.log = log
        self.process: asyncio.subprocess.Process | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, session: aiohttp.ClientSession) -> None:
        """Start the process and wait until GET /readyz answers 200."""
        with self.log.open("wb") as out:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv,
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.returncode is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(f"{self.base}/readyz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready after {READY_TIMEOUT:.0f}s")

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited in time."""
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            print(
                f"{self.name} ignored SIGTERM for {STOP_TIMEOUT:.0f}s; killing it", file=sys.stderr
            )
            process.kill()
            await process.wait()

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


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
        started = time.perf_counter()
        try:
            async with self.session.post(self.url, data=body, headers=headers) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            return self._fail(f"{type(exc).__name__}: {exc}")
        elapsed_ms = (time.perf_counter() - started) * 1000
        if status != 200:
            return self._fail(f"HTTP {status}: {text[:200]}")
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
        await self.run(Phase("warm-up", concurrency, requests))

    async def run(
        self, phase: Phase, database: Path | None = None, check: Persistence | None = None
    ) -> Phase:
        """Run a phase: `concurrency` workers share `phase.requests` requests.

        With `database` and `check`, each acked incident is looked up right after its ack; the
        time spent looking is taken out of the phase's wall time (meant for concurrency 1).
        """
        remaining = phase.requests
        checking = 0.0
        lookup = _open_read_only(database) if database else None

        async def worker() -> None:
            nonlocal remaining, checking
            while remaining > 0:
                remaining -= 1
                result = await self.declare()
                if result is None:
                    phase.errors += 1
                    continue
                phase.latencies_ms.append(result[0])
                if lookup and check and result[1] is not None:
                    paused = time.perf_counter()
                    check.checked += 1
                    if not lookup.execute(
                        "SELECT 1 FROM incidents WHERE id = ?", (result[1],)
                    ).fetchone():
                        check.missing.append(result[1])
                    checking += time.perf_counter() - paused

        started = time.perf_counter()
        try:
            await asyncio.gather(*(worker() for _ in range(phase.concurrency)))
        finally:
            if lookup is not None:
                lookup.close()
        phase.seconds = time.perf_counter() - started - checking
        return phase


def _open_read_only(path: Path) -> sqlite3.Connection:
    """A separate, read-only connection to the bot's database file."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)


def firebell(api_url: str, directory: Path, profile: Path | None) -> Server:
    """Firebell as users run it, on a fresh SQLite file in `directory`."""
    port = free_port()
    argv = [sys.executable]
    if profile:
        argv += ["-m", "cProfile", "-o", str(profile)]
    argv += ["-m", "bot", "serve"]
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{directory / 'firebell.db'}",
        "FIREBELL_CONFIG": CONFIG,
        "PORT": str(port),
        "FIREBELL_HOST": "127.0.0.1",
        "FIREBELL_LOG_LEVEL": "warning",
    }
    return Server("firebell", argv, env, port, directory / "firebell.log")


def floor(api_url: str, directory: Path) -> Server:
    """The bare Bolt app of bench/floor.py."""
    port = free_port()
    argv = [sys.executable, "-m", "bench.floor", "--port", str(port)]
    env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": api_url}
    return Server("floor", argv, env, port, directory / "floor.log")


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
                phases.append(
                    await declarer.run(phase, database if concurrency == 1 else None, check)
                )
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
    header = ("system", "concurrency", "requests", "p50 ms", "p99 ms", "max ms", "req/s", "errors")
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
        )
        for f in (p.figures() for p in phases)
    ]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    print()
    print(line.format(*header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))
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
    """The whole run; returns the process exit status (0: every check and target passed).

    SIGTERM cancels the run like Ctrl-C does, so the servers are stopped either way.
    """
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    with tempfile.TemporaryDirectory(prefix="firebell-bench-") as tmp:
        directory = Path(tmp)
        async with SlackDouble() as double:
            phases, _ = await measure(floor(double.url, directory), args)
            before = len(double.calls)
            database = directory / "firebell.db"
            more, check = await measure(
                firebell(double.url, directory, args.profile), args, database
            )
            phases += more
            slack_calls = len(double.calls) - before
    assert check is not None
    goals = targets(phases)
    report(phases, goals, check)
    print(f"Firebell made {slack_calls} Slack Web API calls to the double during its run")
    figures = results(args, phases, goals, check)
    figures["firebell_slack_calls"] = slack_calls
    save(RESULTS, figures)
    print(f"\nfigures written to {RESULTS.relative_to(ROOT)}")
    if args.profile:
        print(f"profile of Firebell (figures include cProfile's overhead): {args.profile}")
    passed = (
        check.ok and all(g["pass"] for g in goals.values()) and not any(p.errors for p in phases)
    )
    return 0 if passed else 1


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
    parser.add_argument(
        "--profile", type=Path, help="run Firebell under cProfile and write its stats here"
    )
    args = parser.parse_args(argv)
    if args.profile:
        args.profile = args.profile.resolve()
    try:
        return asyncio.run(bench(args))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("bench interrupted; its servers were stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
