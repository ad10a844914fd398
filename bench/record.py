"""Every bench records its figures the same way, with the machine they were measured on."""

from __future__ import annotations

import json
import math
import os
import platform
from dataclasses import dataclass
from pathlib import Path


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
    value (or ratio) must reach the bound (throughput), else stay within it (time, memory)."""

    name: str
    value: float
    unit: str
    floor: float | None
    bound: float
    relative: bool = True
    at_least: bool = False

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
            "floor": None if self.floor is None else round(self.floor, 3),
            "ratio": None if self.ratio is None else round(self.ratio, 3),
            "target": self.goal(),
            "pass": self.passed,
        }
