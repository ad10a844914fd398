"""An alert storm's first page: 200 alert groups in 10 s, each paging the same on-call person;
how soon after the first notification the first page leaves for Slack.

Firebell runs as users start it (`python -m bot serve`, a fresh SQLite file) with
bench/alert_storm.py's config narrowed to one on-call person, `U0ONCALL`. The bench sends the
first notification of `--groups` (200) new Alertmanager groups open-loop, evenly over
`--seconds` (10), and notes when the Slack double receives the first `chat.postMessage` to
`U0ONCALL` (a page by DM). Also printed: how many DMs that person got by the storm's end plus
5 s (without bundling, one per second at Slack's pace).

Run from the repository root: `python -m bench.first_page` (bench/targets.py runs it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import aiohttp

from bench.ack_latency import firebell as served
from bench.alert_storm import ALERTS_TOKEN, TimedDouble, notification, storm_config
from bench.record import Target, alone

PERSON = "U0ONCALL"
FIRST_PAGE_S = 1.0  # the target: the first page leaves within this of the first notification
SETTLE_S = 5.0  # after the storm, how long DMs are still counted


def pages(double: TimedDouble) -> list[float]:
    """When each DM to the on-call person reached the double (monotonic seconds)."""
    return [
        at
        for call, at in zip(double.calls, double.times, strict=False)
        if call.method == "chat.postMessage"
        and call.params.get("channel") == PERSON
        and not call.fault
    ]


async def storm(session: aiohttp.ClientSession, url: str, groups: int, seconds: float) -> float:
    """Send each group's first notification on schedule; when the first was sent."""
    headers = {"Authorization": f"Bearer {ALERTS_TOKEN}", "Content-Type": "application/json"}
    bodies = [json.dumps(notification(1000 + g, 0, 2)).encode() for g in range(groups)]
    begin = time.monotonic() + 0.2

    async def one(g: int) -> None:
        await asyncio.sleep(max(begin + g * seconds / groups - time.monotonic(), 0))
        async with session.post(url, data=bodies[g], headers=headers) as response:
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {await response.text()}")

    await asyncio.gather(*(one(g) for g in range(groups)))
    return begin


async def run(double: TimedDouble, directory: Path, args: argparse.Namespace) -> list[Target]:
    """The storm's first-page target (no floor: the bound is absolute)."""
    directory = directory / "first_page"
    directory.mkdir()
    config = directory / "firebell.yml"
    config.write_text(storm_config(members=PERSON))
    server = served(
        double.url, directory, FIREBELL_CONFIG=str(config), FIREBELL_ALERTS_TOKEN=ALERTS_TOKEN
    )
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        try:
            await server.start(session)
            before = len(pages(double))
            begin = await storm(
                session, f"{server.base}/alerts/alertmanager", args.groups, args.seconds
            )
            await asyncio.sleep(SETTLE_S)
            sent = pages(double)[before:]
        except Exception:
            print(f"--- last lines of Firebell's output:\n{server.tail()}", file=sys.stderr)
            raise
        finally:
            await server.stop()
    first = sent[0] - begin if sent else float("nan")
    print(f"  storm: {len(sent)} DMs to {PERSON} by {SETTLE_S:g}s after its end")
    return [Target("storm: first page after first alert", first, "s", None, FIRST_PAGE_S, False)]


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--groups", type=int, default=200, help="alert groups in the storm")
    parser.add_argument("--seconds", type=float, default=10.0, help="the storm's length")


def main(argv: list[str] | None = None) -> int:
    return alone(sys.modules[__name__], argv, double=TimedDouble)


if __name__ == "__main__":
    sys.exit(main())
