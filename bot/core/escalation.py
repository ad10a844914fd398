"""Escalation policy: levels tried in order, the whole chain run again `repeat` times.

A policy is snapshotted onto the incident at declaration, so editing the config never
changes an escalation already in flight. Level indexes count across repeats: with 3
levels and repeat 1, index 4 is the second level of the second pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.core.targets import Target, parse_target


@dataclass(frozen=True)
class Level:
    targets: tuple[Target, ...]
    after: timedelta | None = None  # wait before this level is called; None: ack_within


@dataclass(frozen=True)
class Policy:
    levels: tuple[Level, ...]
    repeat: int = 0

    @property
    def steps(self) -> int:
        """How many notifications the chain can make in all."""
        return len(self.levels) * (self.repeat + 1)

    def level(self, index: int) -> Level:
        return self.levels[index % len(self.levels)]

    def has_next(self, index: int) -> bool:
        return index + 1 < self.steps

    def wait(self, index: int, ack_within: timedelta) -> timedelta:
        """How long level `index` has to acknowledge before the next one is called.

        A level's `after` is the wait before that level is called; without one, the
        severity's ack_within. After the last level, ack_within until "nobody answered"."""
        if self.has_next(index):
            return self.level(index + 1).after or ack_within
        return ack_within

    def to_json(self) -> dict[str, Any]:
        return {
            "repeat": self.repeat,
            "levels": [
                {
                    "targets": [str(t) for t in level.targets],
                    "after": int(level.after.total_seconds()) if level.after else None,
                }
                for level in self.levels
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Policy:
        return cls(
            repeat=int(data.get("repeat", 0)),
            levels=tuple(
                Level(
                    targets=tuple(parse_target(t) for t in level["targets"]),
                    after=timedelta(seconds=level["after"]) if level.get("after") else None,
                )
                for level in data["levels"]
            ),
        )


EMPTY = Policy(levels=(Level(targets=()),), repeat=0)
