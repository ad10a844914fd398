"""Every bench records its figures the same way, with the machine they were measured on."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import tempfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from bench.load import Phase
from bench.process import interruptible
from bot.sandbox.standin.server import SlackDouble


def machine() -> dict:
    """The machine the figures were measured on."""
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def print_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], left: Collection[int] = (0,)
) -> None:
    """Print `rows` under `header` in columns, the `left` ones aligned left, others right."""
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" if i in left else f"{{:>{w}}}" for i, w in enumerate(widths))
    print()
    print(line.format(*header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))


def save(path: Path, figures: dict) -> None:
    """Write `figures` to `path` as indented JSON, creating its directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2, default=str) + "\n")


@dataclass(frozen=True)
class Target:
    """One figure of issue #15 beside its floor (measured in the same run) and its target.

    `relative`: the bound is on value / floor, else on the value itself; `at_least`: the
    value (or ratio) must reach the bound (throughput), else stay within it (time, memory).
    `cpu_ms`, `floor_cpu_ms`: each server's CPU milliseconds per request over the phase the
    figure comes from (steadier than wall-clock ratios on a busy machine)."""

    name: str
    value: float
    unit: str
    floor: float | None
    bound: float
    relative: bool = True
    at_least: bool = False
    cpu_ms: float | None = None
    floor_cpu_ms: float | None = None

    @property
    def ratio(self) -> float | None:
        return self.value / self.floor if self.floor else None

    @property
    def passed(self) -> bool:
        judged = self.ratio if self.relative else self.value
        if judged is None or math.isnan(judged):
            return False
        return judged >= self.bound if self.at_least else judged <= self.bound

    def goal(self) -> str:
        sign = ">=" if self.at_least else "<="
        return (
            f"{sign} {self.bound:g}x floor"
            if self.relative
            else f"{sign} {self.bound:g} {self.unit}"
        )

    def figures(self) -> dict:
        return {
            "value": round(self.value, 3),
            "unit": self.unit,
            "floor": _rounded(self.floor),
            "ratio": _rounded(self.ratio),
            "target": self.goal(),
            "pass": self.passed,
            "cpu_ms_per_request": _rounded(self.cpu_ms),
            "floor_cpu_ms_per_request": _rounded(self.floor_cpu_ms),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def latency(name: str, ours: Phase, floor: Phase, bound: float) -> Target:
    """p50 latency within `bound` times the floor's, with both servers' CPU per request."""
    return Target(
        name, ours.p50, "ms", floor.p50, bound, cpu_ms=ours.cpu_ms, floor_cpu_ms=floor.cpu_ms
    )


def throughput(name: str, ours: Phase, floor: Phase, bound: float) -> Target:
    """Throughput at least `bound` times the floor's, with both servers' CPU per request."""
    return Target(
        name,
        ours.throughput,
        "req/s",
        floor.throughput,
        bound,
        at_least=True,
        cpu_ms=ours.cpu_ms,
        floor_cpu_ms=floor.cpu_ms,
    )


def print_targets(found: list[Target]) -> None:
    """Each figure beside its floor, ratio and target; then each server's CPU ms per request
    over the phase the figure comes from, and their ratio."""
    header = ("figure", "Firebell", "floor", "ratio", "target", "", "CPU/req", "floor", "ratio")
    rows = [
        (
            t.name,
            f"{t.value:.2f} {t.unit}",
            "-" if t.floor is None else f"{t.floor:.2f} {t.unit}",
            "-" if t.ratio is None else f"{t.ratio:.2f}x",
            t.goal(),
            "PASS" if t.passed else "FAIL",
            _ms(t.cpu_ms),
            _ms(t.floor_cpu_ms),
            f"{t.cpu_ms / t.floor_cpu_ms:.2f}x" if t.cpu_ms and t.floor_cpu_ms else "-",
        )
        for t in found
    ]
    print_table(header, rows, left=(0, 4))


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f} ms"


def alone(
    part: ModuleType, argv: list[str] | None, warmup: str = "", double: type = SlackDouble
) -> int:
    """Run one part of bench.targets (a module with `options(parser)` and `run(double,
    directory, args)`) by itself, with its own temporary directory and Slack double, and
    print its figures; `warmup`: the help of a `--warmup` option, when the part has one. The
    exit status is 0 only when all its targets are met."""
    name = part.__spec__.name if part.__spec__ else part.__name__
    parser = argparse.ArgumentParser(prog=f"python -m {name}", description=part.__doc__)
    part.options(parser)
    if warmup:
        parser.add_argument("--warmup", type=int, default=50, help=warmup)
    args = parser.parse_args(argv)

    async def run() -> int:
        with tempfile.TemporaryDirectory(prefix="firebell-bench-") as tmp:
            async with double() as served:
                found = await part.run(served, Path(tmp), args)
        print_targets(found)
        return 0 if all(t.passed for t in found) else 1

    return interruptible(run())
