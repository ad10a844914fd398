"""Shift handover: posted at each scheduled handoff, and only the latest one after downtime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.handover import next_handoff, superseded
from bot.core.rotation import RotationSpec

BERLIN = ZoneInfo("Europe/Berlin")
WEEKLY = RotationSpec(
    "primary", ("U0A", "U0B"), timedelta(weeks=1), datetime(2026, 1, 5, 9, 0), BERLIN
)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_the_next_handoff_ends_the_shift_in_force():
    assert next_handoff(WEEKLY, berlin(2026, 1, 7, 12, 0)) == berlin(2026, 1, 12, 9, 0)
    assert next_handoff(WEEKLY, berlin(2026, 1, 12, 9, 0)) == berlin(2026, 1, 19, 9, 0)


def test_a_handoff_in_daylight_saving_time_stays_at_local_nine():
    assert next_handoff(WEEKLY, berlin(2026, 3, 25, 12, 0)) == berlin(2026, 3, 30, 9, 0)


def test_a_handoff_just_due_is_posted():
    due = berlin(2026, 1, 12, 9, 0)
    assert not superseded(WEEKLY, due, due)
    assert not superseded(WEEKLY, due, due + timedelta(days=6))


def test_a_handoff_overdue_past_the_next_one_is_stale():
    due = berlin(2026, 1, 12, 9, 0)
    assert superseded(WEEKLY, due, berlin(2026, 1, 19, 9, 0))
    assert superseded(WEEKLY, due, berlin(2026, 2, 1, 0, 0))


def test_the_instants_compare_across_zones():
    due = berlin(2026, 1, 12, 9, 0).astimezone(UTC)
    assert not superseded(WEEKLY, due, datetime(2026, 1, 19, 7, 59, tzinfo=UTC))
    assert superseded(WEEKLY, due, datetime(2026, 1, 19, 8, 0, tzinfo=UTC))
