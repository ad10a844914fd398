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
    figure comes from (steadier than wall-clock ratios on a busy machine). `durable`,
    `durable_cpu_ms`: the same figure of floor+write (the floor storing one row, durably,
    before it answers), the yardstick the bound is also read against: it passes or fails
    nothing, it shows what the targets would say measured from a durable write."""

    name: str
    value: float
    unit: str
    floor: float | None
    bound: float
    relative: bool = True
    at_least: bool = False
    cpu_ms: float | None = None
    floor_cpu_ms: float | None = None
    durable: float | None = None
    durable_cpu_ms: float | None = None

    @property
    def ratio(self) -> float | None:
        return self.value / self.floor if self.floor else None

    @property
    def durable_ratio(self) -> float | None:
        return self.value / self.durable if self.durable else None

    @property
    def judged(self) -> float | None:
        """What the bound is read against: the ratio to the floor, or the value itself."""
        return self.ratio if self.relative else self.value

    @property
    def passed(self) -> bool:
        return self._within(self.judged)

    @property
    def passed_durable(self) -> bool | None:
        """The bound read against floor+write; None when there is none to read it against."""
        return None if self.durable_ratio is None else self._within(self.durable_ratio)

    def _within(self, judged: float | None) -> bool:
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
            "floor_write": _rounded(self.durable),
            "ratio_to_floor_write": _rounded(self.durable_ratio),
            "within_target_of_floor_write": self.passed_durable,
            "floor_write_cpu_ms_per_request": _rounded(self.durable_cpu_ms),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def latency(
    name: str, ours: Phase, floor: Phase, bound: float, durable: Phase | None = None
) -> Target:
    """p50 latency within `bound` times the floor's, with both servers' CPU per request
    (and floor+write's figures, when it was measured)."""
    return Target(
        name,
        ours.p50,
        "ms",
        floor.p50,
        bound,
        cpu_ms=ours.cpu_ms,
        floor_cpu_ms=floor.cpu_ms,
        durable=durable.p50 if durable else None,
        durable_cpu_ms=durable.cpu_ms if durable else None,
    )


def throughput(
    name: str, ours: Phase, floor: Phase, bound: float, durable: Phase | None = None
) -> Target:
    """Throughput at least `bound` times the floor's, with both servers' CPU per request
    (and floor+write's figures, when it was measured)."""
    return Target(
        name,
        ours.throughput,
        "req/s",
        floor.throughput,
        bound,
        at_least=True,
        cpu_ms=ours.cpu_ms,
        floor_cpu_ms=floor.cpu_ms,
        durable=durable.throughput if durable else None,
        durable_cpu_ms=durable.cpu_ms if durable else None,
    )


def median(rounds: Sequence[Sequence[Target]]) -> list[Target]:
    """Per figure, the round whose judged figure (its ratio to the floor, or its value where
    the bound is on the value) is the median, the lower of two middles: the machine's speed
    drifts within minutes, and floor and Firebell are measured one after the other, so a
    slowdown during one of them moves one round's ratio, not the figure printed. The round is
    taken whole, so a figure's value, floor and CPU stay from one measurement."""
    by_name: dict[str, list[Target]] = {}
    for found in rounds:
        for target in found:
            by_name.setdefault(target.name, []).append(target)
    chosen = []
    for measured in by_name.values():
        ordered = sorted(measured, key=_in_order)
        chosen.append(ordered[(len(ordered) - 1) // 2])
    return chosen


def _in_order(target: Target) -> float:
    judged = target.judged
    return math.inf if judged is None or math.isnan(judged) else judged


def print_targets(found: list[Target]) -> None:
    """Each figure beside its floor, ratio and target, with each server's CPU ms per request
    over the phase the figure comes from; then the relative figures against floor+write."""
    header = ("figure", "Firebell", "floor", "ratio", "target", "", "CPU/req", "floor", "ratio")
    rows = [
        _row(t, t.floor, t.ratio, t.goal(), "PASS" if t.passed else "FAIL", t.floor_cpu_ms)
        for t in found
    ]
    print_table(header, rows, left=(0, 4))
    against = [t for t in found if t.durable is not None]
    if not against:
        return
    print("\nthe same bounds read against floor+write (the floor storing one row durably):")
    header = ("figure", "Firebell", "floor+write", "ratio", "bound", "", "CPU/req", "f+w", "ratio")
    rows = [
        _row(
            t,
            t.durable,
            t.durable_ratio,
            t.goal().replace("floor", "floor+write"),
            "within" if t.passed_durable else "beyond",
            t.durable_cpu_ms,
        )
        for t in against
    ]
    print_table(header, rows, left=(0, 4))


def _row(
    t: Target,
    yardstick: float | None,
    ratio: float | None,
    goal: str,
    verdict: str,
    yardstick_cpu_ms: float | None,
) -> tuple[str, ...]:
    """One line of a targets table: the figure beside one yardstick, and both CPU figures."""
    cpu_ratio = t.cpu_ms / yardstick_cpu_ms if t.cpu_ms and yardstick_cpu_ms else None
    return (
        t.name,
        f"{t.value:.2f} {t.unit}",
        "-" if yardstick is None else f"{yardstick:.2f} {t.unit}",
        _x(ratio),
        goal,
        verdict,
        _ms(t.cpu_ms),
        _ms(yardstick_cpu_ms),
        _x(cpu_ratio),
    )


def _x(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


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
