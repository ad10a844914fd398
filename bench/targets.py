"""Issue #15's targets in one run: each figure beside its floor, measured in the same run on
the same machine, the ratio and the target.

In turn: `/incident declare` (bench/ack_latency.py), the Acknowledge button (bench/clicks.py),
alert intake at concurrency 20 (bench/intake.py), an alert storm's first page
(bench/first_page.py), and RSS and start-up on 10,000 incidents (bench/footprint.py), all
against one Slack double served from this process. With `--rounds N` all of it runs N times
and each figure printed is its median round's (`record.median`), each round's ratios listed
first. The figures go to `bench/results/targets.json` (every round's too); the exit status is
0 only when every target is met and every declared incident was stored before its ack.

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
from bench.record import Target, latency, machine, median, print_targets, save, throughput

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


PARTS = {
    "declare": declare,
    "acknowledge button": clicks.run,
    "alert intake": intake.run,
    "storm's first page": first_page.run,
    "footprint": footprint.run,
}


async def bench(args: argparse.Namespace) -> int:
    rounds: list[list[Target]] = []
    with tempfile.TemporaryDirectory(prefix="firebell-targets-") as tmp:
        async with TimedDouble() as double:
            for number in range(1, args.rounds + 1):
                directory = Path(tmp) / f"round-{number}"
                directory.mkdir()
                found: list[Target] = []
                for name, part in PARTS.items():
                    print(
                        f"{name}…" if args.rounds == 1 else f"{name} ({number}/{args.rounds})…",
                        flush=True,
                    )
                    found += await part(double, directory, args)
                rounds.append(found)
    if args.rounds > 1:
        _each_round(rounds)
    chosen = median(rounds)
    print_targets(chosen)
    settings = {k: v for k, v in vars(args).items() if k != "profile"}
    save(
        RESULTS,
        {
            "machine": machine(),
            "settings": settings,
            "targets": {t.name: t.figures() for t in chosen},
            "rounds": [{t.name: t.figures() for t in found} for found in rounds],
        },
    )
    print(f"\nfigures written to {RESULTS.relative_to(ROOT)}")
    return 0 if all(t.passed for t in chosen) else 1


def _each_round(rounds: list[list[Target]]) -> None:
    """Each figure's ratio (its value, for an absolute bound) in every round."""
    print("\neach round (the figure printed below is the median round's):")
    for target in rounds[0]:
        judged = [t.judged for found in rounds for t in found if t.name == target.name]
        unit = "x" if target.relative else f" {target.unit}"
        print(
            f"  {target.name}: " + ", ".join("-" if j is None else f"{j:.2f}{unit}" for j in judged)
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.targets", description=__doc__)
    parser.add_argument("--requests-c1", type=int, default=500, help="timed declares at c1")
    parser.add_argument("--requests-c50", type=int, default=2000, help="timed declares at c50")
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests per phase")
    parser.add_argument(
        "--rounds", type=int, default=1, help="run everything this many times; print the medians"
    )
    profile_option(parser, "run the declaring Firebell under cProfile, its stats here")
    for part in (clicks, intake, first_page, footprint):
        part.options(parser)
    return interruptible(bench(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
