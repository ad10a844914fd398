"""Acknowledge-button clicks, each on a different incident: Firebell against a Bolt floor
that only acks `block_actions` (`bench/floor.py`).

Firebell (`python -m bot serve`, a fresh SQLite file, the example config) first gets the
incidents declared through `/incident declare` at concurrency 50, untimed; then each click is
a signed `block_actions` request for the card's Acknowledge button of the next incident, at
concurrency 1 and 50 after a warm-up. A click counts when it is answered 200; afterwards the
database must hold one acknowledged incident per counted click.

Run from the repository root: `python -m bench.clicks` (bench/targets.py runs it with the rest).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp

from bench.ack_latency import CONCURRENCY, SECRET, Declarer, against_floor
from bench.load import Phase, drive, timed_post
from bench.process import Server
from bench.record import Target, alone, latency, throughput
from bot.sandbox.standin.server import SlackDouble
from bot.slack.ids import Action
from tests.support.signing import block_actions_body, sign

CLICKER = "U0BENCH"


class Clicker:
    """Sends signed Acknowledge clicks, each naming the next incident of `numbers`."""

    def __init__(self, session: aiohttp.ClientSession, base: str, numbers: Iterator[int]):
        self.session = session
        self.url = f"{base}/slack/events"
        self.numbers = numbers
        self.failures: list[str] = []

    async def click(self) -> tuple[float, int] | None:
        number = next(self.numbers)
        body = block_actions_body(Action.ACK, str(number), user_id=CLICKER)
        headers = sign(SECRET, body, int(time.time()))
        answered = await timed_post(self.session, self.url, body, headers, self.failures)
        return None if answered is None else (answered[0], number)


async def measure(server: Server, args: argparse.Namespace, database: Path | None) -> list[Phase]:
    """Start one system, declare what it will click (Firebell only), warm up, run both phases.

    For Firebell, the acknowledged incidents must number the counted clicks."""
    plan = ((1, args.clicks_c1), (CONCURRENCY, args.clicks_c50))
    needed = sum(requests + args.warmup for _, requests in plan)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        try:
            await server.start(session)
            if database is not None:
                declarer = Declarer(session, server.base, expect_declared=True)
                await declarer.warm_up(needed, CONCURRENCY)
                if declarer.acked != needed:
                    raise RuntimeError(
                        f"declared {declarer.acked} of {needed}: {declarer.failures[:3]}"
                    )
            clicker = Clicker(session, server.base, itertools.count(1))
            phases, counted = [], 0
            for concurrency, requests in plan:
                warm = await drive(Phase("warm-up", concurrency, args.warmup), clicker.click)
                phase = Phase(server.name, concurrency, requests)
                await drive(phase, clicker.click, cpu=server.cpu_seconds)
                counted += len(warm.latencies_ms) + len(phase.latencies_ms)
                phases.append(phase)
            for reason in clicker.failures[:5]:
                print(f"  {server.name} click failure: {reason}", file=sys.stderr)
        except Exception:
            print(f"--- last lines of {server.name}'s output:\n{server.tail()}", file=sys.stderr)
            raise
        finally:
            await server.stop()
    if database is not None:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
            (acked,) = conn.execute(
                "SELECT COUNT(*) FROM incidents WHERE acknowledged_at IS NOT NULL"
            ).fetchone()
        if acked != counted:
            raise RuntimeError(f"{counted} clicks answered 200, {acked} incidents acknowledged")
    return phases


async def run(double: SlackDouble, directory: Path, args: argparse.Namespace) -> list[Target]:
    """The acknowledge button's two targets, floor first."""
    ours, floors, durables = await against_floor(measure, double.url, directory, args)
    return [
        latency("acknowledge button p50, c1", ours[0], floors[0], 2.0, durables[0]),
        throughput(
            f"acknowledge button throughput, c{CONCURRENCY}",
            ours[1],
            floors[1],
            0.5,
            durables[1],
        ),
    ]


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clicks-c1", type=int, default=300, help="timed clicks at concurrency 1")
    parser.add_argument(
        "--clicks-c50", type=int, default=1000, help="timed clicks at concurrency 50"
    )


def main(argv: list[str] | None = None) -> int:
    return alone(sys.modules[__name__], argv, warmup="untimed clicks before each phase")


if __name__ == "__main__":
    sys.exit(main())
