"""Time is injected: services and workers ask a clock, so tests advance time instead of sleeping."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to: for tests and benchmarks."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        self._now += delta
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when


class FastClock:
    """Time that runs `rate` times as fast as the wall clock from `start`: the sandbox's fast
    forward, so a visitor watches a 15-minute escalation in 15 seconds at 60x.

    The rate can change while it runs (0 pauses it) and `advance` jumps ahead; time never goes
    back, so timers and message timestamps stay in order. `wall` is a monotonic seconds
    counter, injectable for tests.
    """

    MAX_RATE = 3600.0

    def __init__(
        self,
        start: datetime | None = None,
        rate: float = 1.0,
        *,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        self._wall = wall
        self._anchor = start or datetime.now(UTC)
        if self._anchor.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._anchor_wall = wall()
        self._rate = self._checked(rate)

    @property
    def rate(self) -> float:
        return self._rate

    def now(self) -> datetime:
        elapsed = (self._wall() - self._anchor_wall) * self._rate
        return (self._anchor + timedelta(seconds=elapsed)).astimezone(UTC)

    def set_rate(self, rate: float) -> datetime:
        """Run `rate` times as fast from now on; returns the instant the change took effect."""
        rate = self._checked(rate)
        self._anchor, self._anchor_wall = self.now(), self._wall()
        self._rate = rate
        return self._anchor

    def advance(self, delta: timedelta | float) -> datetime:
        """Jump ahead by `delta` (never back): whatever fell due on the way is due now."""
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        if delta < timedelta(0):
            raise ValueError("a fast clock only jumps forward")
        self._anchor, self._anchor_wall = self.now() + delta, self._wall()
        return self._anchor

    def _checked(self, rate: float) -> float:
        rate = float(rate)
        if not 0 <= rate <= self.MAX_RATE:  # also refuses NaN
            raise ValueError(f"rate must be between 0 and {self.MAX_RATE:g}, not {rate!r}")
        return rate
