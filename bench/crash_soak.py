"""Crash soak, counted: duplicate and lost Slack posts per 100 SIGKILLs, and the time from a
restart to a drained outbox.

The run is `tests/support/soak.py`'s (the same load, storm and checks as
`tests/app/test_crash_soak.py`), with more kills: real `python -m bot serve` processes, signed
declares, acknowledgements and updates at concurrency 6, Slack answering 10% 429, 10% 5xx and
10% after the client's timeout, SIGKILL at random moments. On SQLite one process; with
`--postgres URL` also two replicas on a fresh database of that server.

Run from the repository root: `python -m bench.crash_soak` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
from pathlib import Path

from bench.record import machine, save
from bot.sandbox.standin.server import SlackDouble
from tests.support import database
from tests.support.soak import Report, Soak

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "crash_soak.json"


async def soak(
    name: str, url: str | None, replicas: int, kills: int, seed: int, settle: float
) -> dict:
    with tempfile.TemporaryDirectory(prefix="firebell-soak-") as tmp:
        directory = Path(tmp)
        url = url or f"sqlite+aiosqlite:///{directory / 'firebell.db'}"
        try:
            async with SlackDouble() as double:
                report = await Soak(
                    double,
                    directory,
                    url,
                    replicas=replicas,
                    kills=kills,
                    seed=seed,
                    settle_within=settle,
                ).run()
        finally:
            database.drop(url)
    return figures(name, report)


def figures(name: str, report: Report) -> dict:
    per_100 = 100 / max(report.kills, 1)
    return {
        "system": name,
        "kills": report.kills,
        "requests": report.requests,
        "requests_cut_off": report.acked.cut_off,
        "acknowledged": {
            "declares": len(report.acked.declared),
            "acks": len(report.acked.acknowledged),
            "updates": len(report.acked.updates),
        },
        "incidents": report.incidents,
        "messages": report.messages,
        "duplicates_per_100_kills": round(len(report.duplicates) * per_100, 2),
        "lost_per_100_kills": round(len(report.lost) * per_100, 2),
        "wrong_cards_or_threads": len(report.wrong),
        "unsettled": len(report.unsettled),
        "backlog_at_kill_median": statistics.median(report.backlog_at_kills or [0]),
        "backlog_at_last_kill": (report.backlog_at_kills or [0])[-1],
        "restart_to_drained_s": round(report.drained_after, 2),
        "slack_calls": dict(report.calls),
        "problems": report.problems().splitlines()[:20],
    }


def show(result: dict) -> None:
    print(
        f"{result['system']:<12} {result['kills']:>5} kills  {result['requests']:>6} requests "
        f"({result['requests_cut_off']} cut off)  {result['incidents']:>4} incidents  "
        f"{result['messages']:>5} messages\n"
        f"{'':<12} duplicates/100 kills {result['duplicates_per_100_kills']}  "
        f"lost/100 kills {result['lost_per_100_kills']}  wrong {result['wrong_cards_or_threads']}"
        f"  unsettled {result['unsettled']}\n"
        f"{'':<12} backlog at a kill: median {result['backlog_at_kill_median']}, last "
        f"{result['backlog_at_last_kill']} rows; restart to drained outbox "
        f"{result['restart_to_drained_s']} s"
    )
    for problem in result["problems"]:
        print(f"{'':<12} ! {problem}")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", metavar="URL", help="also soak two replicas there")
    parser.add_argument(
        "--settle", type=float, default=900.0, help="seconds the backlog may take to drain"
    )
    args = parser.parse_args()
    results = [await soak("sqlite-1", None, 1, args.kills, args.seed, args.settle)]
    show(results[-1])
    if args.postgres:
        os.environ[database.ENV] = args.postgres  # fresh_url/drop work on that server
        url = database.fresh_url(Path(tempfile.gettempdir()))
        results.append(await soak("postgres-2", url, 2, args.kills, args.seed + 1, args.settle))
        show(results[-1])
    save(RESULTS, {"machine": machine(), "args": vars(args), "results": results})
    clean = all(
        r["duplicates_per_100_kills"] == 0
        and r["lost_per_100_kills"] == 0
        and not r["wrong_cards_or_threads"]
        and not r["unsettled"]
        for r in results
    )
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
