"""FastClock: the sandbox's clock, N times as fast as the wall clock, never going back."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FastClock

START = datetime(2026, 3, 2, 8, 50, tzinfo=UTC)


class Wall:
    """A monotonic seconds counter the test moves by hand."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def test_runs_at_its_rate_from_its_start():
    wall = Wall()
    clock = FastClock(START, 60, wall=wall)
    assert clock.now() == START
    wall.seconds += 10
    assert clock.now() == START + timedelta(minutes=10)
    assert clock.now().tzinfo is not None


def test_a_rate_change_takes_effect_from_now_without_a_jump():
    wall = Wall()
    clock = FastClock(START, 1, wall=wall)
    wall.seconds += 30
    changed_at = clock.set_rate(600)
    assert changed_at == START + timedelta(seconds=30) == clock.now()
    wall.seconds += 1
    assert clock.now() == START + timedelta(seconds=30 + 600)
    clock.set_rate(1)
    wall.seconds += 1
    assert clock.now() == START + timedelta(seconds=631)


def test_advance_jumps_ahead_and_never_back():
    wall = Wall()
    clock = FastClock(START, 60, wall=wall)
    clock.advance(timedelta(minutes=15))
    assert clock.now() == START + timedelta(minutes=15)
    wall.seconds += 1
    assert clock.now() == START + timedelta(minutes=16)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


def test_zero_pauses_and_bad_rates_are_refused():
    wall = Wall()
    clock = FastClock(START, 0, wall=wall)
    wall.seconds += 100
    assert clock.now() == START
    for rate in (-1, FastClock.MAX_RATE + 1, math.nan):
        with pytest.raises(ValueError, match="rate"):
            clock.set_rate(rate)
    with pytest.raises(ValueError, match="aware"):
        FastClock(datetime(2026, 3, 2, 8, 50))


def test_defaults_to_the_real_time_at_real_speed():
    before = datetime.now(UTC)
    clock = FastClock()
    assert before <= clock.now() <= datetime.now(UTC) + timedelta(seconds=1)
    assert clock.rate == 1
