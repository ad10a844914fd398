"""What a short read and a Slack call cost beyond their own work.

Two choices of the delivery path, priced in one run on one machine. Each figure is the CPU
time of all the process's threads (`time.process_time`) per call, averaged over `--calls`
calls in one event loop, after a first pass that warms caches, threads and connections.

Reads. On SQLite, Firebell's reads run on two reader threads so that a long one (a report, a
calendar feed) never holds the event loop; the sender's reads per delivery are short (an
incident, an event, the rows sent for an incident, the pending rows), and
`Database.read(work, short=True)` runs such a read on the caller's thread. A fresh SQLite
file, migrated, `--incidents` incidents declared through the services; each read loads one
incident by number.
- floor: the read's own work (`Database._read_sync`), called without awaiting anything;
- short: `await db.read(load, short=True)`; on a reader thread: `await db.read(load)`;
- the hop alone: `run_in_executor` of a function that does nothing, on the readers' pool.

Slack calls. `auth.test` on the Slack double (`bot.sandbox.standin`, in this process, so its
work is in every figure alike), through Firebell's `MeteredClient`:
- floor: the same request by a bare aiohttp session that keeps its connection;
- kept alive: the client with one session for its calls (`client.keep_alive`), as the sender's
  and the app's run;
- a session per call: slack_sdk's default without a session (a new connection each call, and
  against Slack a TLS handshake).

Targets: a short read within 1.5x its floor, a kept-alive call within 2x its floor. Figures
go to `bench/results/overheads.json`; the exit status is 0 only when both are met.

Run from the repository root: `python -m bench.overheads` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import structlog

from bench.ack_latency import around_the_clock
from bench.record import machine, print_table, save
from bot.clock import SystemClock
from bot.config import parse_config
from bot.sandbox.standin.server import SlackDouble
from bot.services.container import Services
from bot.services.telemetry import Telemetry
from bot.slack.client import MeteredClient, keep_alive, release
from bot.store import incidents
from bot.store.db import Database
from bot.store.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "overheads.json"
READ_TARGET = 1.5  # a short read against its floor
CALL_TARGET = 2.0  # a kept-alive Slack call against its floor
TOKEN = "xoxb-bench"

Call = Callable[[int], Awaitable[object] | object]


async def cpu_per_call(call: Call, calls: int) -> float:
    """CPU microseconds (every thread) per `call(i)`, awaited when it is a coroutine."""
    started = time.process_time()
    for i in range(calls):
        made = call(i)
        if asyncio.iscoroutine(made) or isinstance(made, asyncio.Future):
            await made
    return (time.process_time() - started) * 1e6 / calls


async def measured(ways: dict[str, Call], calls: int) -> dict[str, float]:
    """Each way's figure, from a second pass (the first warms up)."""
    found: dict[str, float] = {}
    for _ in range(2):
        found = {name: await cpu_per_call(call, calls) for name, call in ways.items()}
    return found


async def reads(args: argparse.Namespace, directory: Path) -> dict[str, float]:
    db = Database(f"sqlite:///{directory / 'overheads.db'}")
    try:
        await upgrade(db)
        services = Services.build(db, parse_config(around_the_clock()), SystemClock())
        for n in range(args.incidents):
            await services.incidents.declare("U0BENCH", f"Checkout slow {n}", "SEV2")

        def load(i: int):
            number = i % args.incidents + 1
            return lambda conn: incidents.load(conn, number)

        loop = asyncio.get_running_loop()
        return await measured(
            {
                "read_floor_us": lambda i: db._read_sync(load(i)),
                "read_short_us": lambda i: db.read(load(i), short=True),
                "read_thread_us": lambda i: db.read(load(i)),
                "read_hop_us": lambda i: loop.run_in_executor(db._readers, int),
            },
            args.calls,
        )
    finally:
        await db.close()


async def slack_calls(args: argparse.Namespace) -> dict[str, float]:
    async with SlackDouble() as double:
        base = double.url.rstrip("/") + "/"
        kept = MeteredClient(token=TOKEN, base_url=base, timeout=10, telemetry=Telemetry())
        per_call = MeteredClient(token=TOKEN, base_url=base, timeout=10, telemetry=Telemetry())
        keep_alive(kept)
        headers = {"Authorization": f"Bearer {TOKEN}"}

        async def bare(session: aiohttp.ClientSession) -> None:
            async with session.post(f"{base}auth.test", headers=headers) as response:
                await response.json()

        async with aiohttp.ClientSession() as session:
            try:
                return await measured(
                    {
                        "call_floor_us": lambda i: bare(session),
                        "call_kept_us": lambda i: kept.auth_test(),
                        "call_per_call_us": lambda i: per_call.auth_test(),
                    },
                    args.calls // 10,  # a call costs ten reads
                )
            finally:
                await release(kept)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.overheads", description=__doc__)
    parser.add_argument("--incidents", type=int, default=500, help="incidents read in turn")
    parser.add_argument(
        "--calls", type=int, default=5_000, help="reads per figure (a tenth: calls)"
    )
    args = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with tempfile.TemporaryDirectory() as directory:
        found = asyncio.run(reads(args, Path(directory)))
    found |= asyncio.run(slack_calls(args))
    read_ok = found["read_short_us"] <= READ_TARGET * found["read_floor_us"]
    call_ok = found["call_kept_us"] <= CALL_TARGET * found["call_floor_us"]

    def row(name: str, key: str, floor: str, target: str = "") -> list[str]:
        return [name, f"{found[key]:.1f}", f"{found[key] / found[floor]:.2f}x", target]

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    read_floor, call_floor = "read_floor_us", "call_floor_us"
    print_table(
        ["CPU per call (all threads)", "µs", "vs floor", "target"],
        [
            row(
                "read, short: on the loop",
                "read_short_us",
                read_floor,
                f"<= {READ_TARGET}x  {verdict(read_ok)}",
            ),
            row("read on a reader thread", "read_thread_us", read_floor),
            row("the hop alone (a no-op)", "read_hop_us", read_floor),
            row("floor: the read itself", read_floor, read_floor),
            row(
                "Slack call, kept alive",
                "call_kept_us",
                call_floor,
                f"<= {CALL_TARGET}x  {verdict(call_ok)}",
            ),
            row("Slack call, a session each", "call_per_call_us", call_floor),
            row("floor: bare aiohttp, kept alive", call_floor, call_floor),
        ],
    )
    save(RESULTS, {"machine": machine(), "incidents": args.incidents, **found})
    return 0 if read_ok and call_ok else 1


if __name__ == "__main__":
    sys.exit(main())
