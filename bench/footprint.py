"""Memory and start-up on a database of 10,000 incidents with their timelines.

A fresh SQLite file, migrated as `firebell migrate` does, is seeded in bulk with `--incidents`
(10,000) resolved incidents and their timelines (bench/reports.py's `bulk_seed`). Firebell
starts on it as users start it (`python -m bot serve`); measured: from starting the process
to `GET /readyz` answering 200, and its resident set size (RSS) after it served
`--declares` (200) `/incident declare` commands on top. The floor is the bare Bolt app of
bench/floor.py, started and sent the same commands.

Run from the repository root: `python -m bench.footprint` (bench/targets.py runs it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import aiohttp

from bench.ack_latency import Declarer, firebell, floor
from bench.load import Phase, drive
from bench.process import Server
from bench.record import Target, alone
from bench.reports import CONFIG, bulk_seed
from bot.config import parse_config
from bot.sandbox.standin.server import SlackDouble
from bot.store.db import Database
from bot.store.migrate import upgrade

RSS_MB = 150.0
STARTUP_S = 1.5


async def seeded(directory: Path, incidents: int) -> dict[str, str]:
    """A migrated database with `incidents` resolved incidents; Firebell's environment for it."""
    config = directory / "firebell.yml"
    config.write_text(CONFIG)
    url = f"sqlite+aiosqlite:///{directory / 'firebell.db'}"
    db = Database(url)
    try:
        await upgrade(db)
        totals = await bulk_seed(db, parse_config(CONFIG), incidents, 730, 15)
    finally:
        await db.close()
    print(f"  footprint: seeded {totals['incidents']:,} incidents, {totals['events']:,} events")
    return {"DATABASE_URL": url, "FIREBELL_CONFIG": str(config)}


async def measure(server: Server, declares: int) -> tuple[float, float]:
    """(seconds from start to ready, RSS in MB after `declares` commands)."""
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        try:
            ready = await server.start(session)
            declarer = Declarer(session, server.base, expect_declared=server.name == "firebell")
            phase = await drive(Phase(server.name, 10, declares), declarer.declare)
            if phase.errors:
                raise RuntimeError(f"{server.name}: {declarer.failures[:3]}")
            return ready, server.rss_mb()
        except Exception:
            print(f"--- last lines of {server.name}'s output:\n{server.tail()}", file=sys.stderr)
            raise
        finally:
            await server.stop()


async def run(double: SlackDouble, directory: Path, args: argparse.Namespace) -> list[Target]:
    """RSS and start-up, floor first."""
    floor_ready, floor_rss = await measure(floor(double.url, directory), args.declares)
    directory = directory / "footprint"
    directory.mkdir()
    env = await seeded(directory, args.incidents)
    ready, rss = await measure(firebell(double.url, directory, **env), args.declares)
    label = f"{args.incidents:,} incidents"
    return [
        Target(f"RSS after {label}", rss, "MB", floor_rss, RSS_MB, relative=False),
        Target(f"start-up to /readyz on {label}", ready, "s", floor_ready, STARTUP_S, False),
    ]


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--incidents", type=int, default=10_000, help="incidents seeded")
    parser.add_argument("--declares", type=int, default=200, help="commands served before RSS")


def main(argv: list[str] | None = None) -> int:
    return alone(sys.modules[__name__], argv)


if __name__ == "__main__":
    sys.exit(main())
