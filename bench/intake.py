"""Alert intake at concurrency 20: Alertmanager notifications that open a new incident, and
repeats of an open group (the common case in a storm), against a bare aiohttp handler that
parses the same JSON and answers 200 (`bench/floor.py`).

Firebell runs as users start it (`python -m bot serve`, a fresh SQLite file,
`FIREBELL_ALERTS_TOKEN`, bench/alert_storm.py's config). Phase `new`: each notification is the
first of a group of its own (`--alerts` firing alerts, default one), so each opens an
incident that pages. Phase `repeat`: the first notification of those groups sent again, as
Alertmanager repeats a group at its `repeat_interval`. A notification counts when answered
200; afterwards the database must hold one incident per counted `new` and one notification
per counted request (2xx means stored).

Run from the repository root: `python -m bench.intake` (bench/targets.py runs it with the rest).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp

from bench.ack_latency import against_floor
from bench.ack_latency import firebell as served
from bench.alert_storm import ALERTS_TOKEN, notification, storm_config
from bench.load import Phase, drive, timed_post
from bench.process import Server
from bench.record import Target, alone, throughput
from bot.sandbox.standin.server import SlackDouble

CONCURRENCY = 20


class Notifier:
    """Posts each group's first notification, the groups in the order `groups` gives."""

    def __init__(
        self, session: aiohttp.ClientSession, base: str, groups: Iterator[int], alerts: int
    ):
        self.session = session
        self.alerts = alerts  # firing in each group
        self.url = f"{base}/alerts/alertmanager"
        self.groups = groups
        self.headers = {"Authorization": f"Bearer {ALERTS_TOKEN}"}
        self.failures: list[str] = []

    async def send(self) -> tuple[float, None] | None:
        body = notification(next(self.groups), self.alerts - 1, self.alerts + 1)  # all firing
        body = json.dumps(body).encode()
        headers = {**self.headers, "Content-Type": "application/json"}
        answered = await timed_post(self.session, self.url, body, headers, self.failures)
        return None if answered is None else (answered[0], None)


def firebell(api_url: str, directory: Path) -> Server:
    """Firebell with the alerts token and bench/alert_storm.py's config."""
    config = directory / "firebell.yml"
    config.write_text(storm_config())
    return served(
        api_url, directory, FIREBELL_CONFIG=str(config), FIREBELL_ALERTS_TOKEN=ALERTS_TOKEN
    )


async def measure(
    server: Server, args: argparse.Namespace, database: Path | None
) -> dict[str, Phase]:
    """Start one system, warm up and run `new`, then `repeat` over the groups `new` opened."""
    opened = args.warmup + args.notifications
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        try:
            await server.start(session)
            fresh = Notifier(session, server.base, itertools.count(), args.alerts)
            again = Notifier(session, server.base, itertools.cycle(range(opened)), args.alerts)
            phases: dict[str, Phase] = {}
            for name, notifier in (("new", fresh), ("repeat", again)):
                await drive(Phase("warm-up", CONCURRENCY, args.warmup), notifier.send)
                phase = Phase(server.name, CONCURRENCY, args.notifications)
                phases[name] = await drive(phase, notifier.send, cpu=server.cpu_seconds)
            for reason in (fresh.failures + again.failures)[:5]:
                print(f"  {server.name} intake failure: {reason}", file=sys.stderr)
        except Exception:
            print(f"--- last lines of {server.name}'s output:\n{server.tail()}", file=sys.stderr)
            raise
        finally:
            await server.stop()
    if database is not None:
        stored(database, phases, args.warmup)
    return phases


def stored(database: Path, phases: dict[str, Phase], warmup: int) -> None:
    """Every notification answered 200 is on record; every new one opened an incident."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        (incidents,) = conn.execute("SELECT COUNT(*) FROM incidents").fetchone()
        (notifications,) = conn.execute("SELECT COUNT(*) FROM alert_notifications").fetchone()
    new = warmup + len(phases["new"].latencies_ms)
    answered = new + warmup + len(phases["repeat"].latencies_ms)
    if incidents != new or notifications != answered:
        raise RuntimeError(
            f"{answered} notifications answered 200 ({new} new): "
            f"{notifications} on record, {incidents} incidents"
        )


async def run(double: SlackDouble, directory: Path, args: argparse.Namespace) -> list[Target]:
    """Alert intake's two targets, floor first."""
    ours, floors, durables = await against_floor(measure, double.url, directory, args, firebell)
    figures = {
        "repeat": (f"alert intake, repeat of an open group, c{CONCURRENCY}", 0.5),
        "new": (f"alert intake, new incident, c{CONCURRENCY}", 0.25),
    }
    return [
        throughput(name, ours[phase], floors[phase], bound, durables[phase])
        for phase, (name, bound) in figures.items()
    ]


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--notifications", type=int, default=1000, help="timed notifications per phase"
    )
    parser.add_argument(
        "--alerts", type=int, default=1, help="firing alerts in each group (and notification)"
    )


def main(argv: list[str] | None = None) -> int:
    return alone(sys.modules[__name__], argv, warmup="untimed notifications per phase")


if __name__ == "__main__":
    sys.exit(main())
