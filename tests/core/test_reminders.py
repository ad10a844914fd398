"""Update reminders: whom they mention and when they fall due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.incident import SYSTEM_ACTOR
from bot.core.reminders import (
    SNOOZE,
    reminder_due,
    silence_since,
    snoozed_until,
    updated_since,
    who_to_remind,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def test_the_commander_is_reminded_first():
    assert who_to_remind("U0CMD", "U0ACK", "U0DEC") == "U0CMD"


def test_else_whoever_acknowledged_else_whoever_declared():
    assert who_to_remind(None, "U0ACK", "U0DEC") == "U0ACK"
    assert who_to_remind(None, None, "U0DEC") == "U0DEC"


def test_firebell_and_alert_sources_are_never_mentioned():
    assert who_to_remind(None, None, SYSTEM_ACTOR) is None
    assert who_to_remind(None, None, "alertmanager") is None
    assert who_to_remind(None, "U0ACK", "alertmanager") == "U0ACK"


def test_a_reminder_falls_due_update_every_after_the_silence_began():
    assert reminder_due(NOW - 10 * MINUTE, HOUR, NOW) == NOW + 50 * MINUTE


def test_an_overdue_reminder_falls_due_now():
    assert reminder_due(NOW - 3 * HOUR, HOUR, NOW) == NOW


def test_a_snooze_never_brings_a_later_reminder_forward():
    assert snoozed_until(None, NOW, SNOOZE) == NOW + SNOOZE
    assert snoozed_until(NOW + 5 * MINUTE, NOW, SNOOZE) == NOW + SNOOZE
    assert snoozed_until(NOW + HOUR, NOW, SNOOZE) == NOW + HOUR


def test_an_update_after_the_silence_began_makes_the_reminder_stale():
    since = NOW - HOUR
    assert updated_since(NOW, since)
    assert not updated_since(since, since)
    assert not updated_since(None, since)


def test_the_silence_begins_at_the_last_update_else_the_declaration():
    declared = NOW - 3 * HOUR
    assert silence_since(None, declared, None) == declared
    assert silence_since(NOW - HOUR, declared, None) == NOW - HOUR


def test_an_incident_that_waited_for_coverage_is_silent_from_when_it_resumed():
    declared = NOW - 3 * HOUR
    assert silence_since(None, declared, NOW - HOUR) == NOW - HOUR
    assert silence_since(NOW - 30 * MINUTE, declared, NOW - HOUR) == NOW - 30 * MINUTE
