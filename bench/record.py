"""Every bench records its figures the same way, with the machine they were measured on."""

from __future__ import annotations

import json
import math
import os
import platform
from dataclasses import dataclass
from pathlib import Path

from bench.load import Phase


def machine() -> dict:
    """The machine the figures were measured on."""
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }


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
