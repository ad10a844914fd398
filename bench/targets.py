"""Issue #15's targets in one run: each figure beside its floor, measured in the same run on
the same machine, the ratio and the target.

In turn: `/incident declare` (bench/ack_latency.py), the Acknowledge button (bench/clicks.py),
alert intake at concurrency 20 (bench/intake.py), an alert storm's first page
(bench/first_page.py), and RSS and start-up on 10,000 incidents (bench/footprint.py), all
against one Slack double served from this process. The figures go to
`bench/results/targets.json`; the exit status is 0 only when every target is met and every
declared incident was stored before its ack.

Run from the repository root: `python -m bench.targets` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench import ack_latency, clicks, first_page, footprint, intake
from bench.alert_storm import TimedDouble
from bench.process import ROOT, Server, interruptible, profile_option
from bench.record import Target, latency, machine, print_targets, save, throughput

RESULTS = ROOT / "bench" / "results" / "targets.json"


async def declare(double: TimedDouble, directory: Path, args: argparse.Namespace) -> list[Target]:
    """`/incident declare`'s two targets, and whether each acked incident was stored first."""

    def profiled(api_url: str, directory: Path) -> Server:
        return ack_latency.firebell(api_url, directory, args.profile)

    (ours, check), (floors, _), (durables, _) = await ack_latency.against_floor(
        ack_latency.measure, double.url, directory, args, profiled
    )
    assert check is not None
    print(
        f"  declare: {check.checked} acked incidents looked up right after their ack, "
        f"{len(check.missing)} missing; {check.rows} rows for {check.acked} acks"
    )
    if not check.ok:
        raise RuntimeError("a declared incident was acked before it was stored")
    return [
        latency("declare p50, c1", ours[0], floors[0], 2.0, durables[0]),
        throughput(
            f"declare throughput, c{ack_latency.CONCURRENCY}", ours[1], floors[1], 0.5, durables[1]
        ),
    ]


async def bench(args: argparse.Namespace) -> int:
    found: list[Target] = []
    with tempfile.TemporaryDirectory(prefix="firebell-targets-") as tmp:
        async with TimedDouble() as double:
            parts = {
                "declare": declare,
                "acknowledge button": clicks.run,
                "alert intake": intake.run,
                "storm's first page": first_page.run,
                "footprint": footprint.run,
            }
            for name, part in parts.items():
                print(f"{name}…", flush=True)
                found += await part(double, Path(tmp), args)
    print_targets(found)
    settings = {k: v for k, v in vars(args).items() if k != "profile"}
    save(
        RESULTS,
        {
            "machine": machine(),
            "settings": settings,
            "targets": {t.name: t.figures() for t in found},
        },
    )
    print(f"\nfigures written to {RESULTS.relative_to(ROOT)}")
    return 0 if all(t.passed for t in found) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.targets", description=__doc__)
    parser.add_argument("--requests-c1", type=int, default=500, help="timed declares at c1")
    parser.add_argument("--requests-c50", type=int, default=2000, help="timed declares at c50")
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests per phase")
    profile_option(parser, "run the declaring Firebell under cProfile, its stats here")
    for part in (clicks, intake, first_page, footprint):
        part.options(parser)
    return interruptible(bench(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
