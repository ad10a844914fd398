"""When an update reminder is due and whom it mentions: the arithmetic of silences, pure.

A reminder measures a silence: from `since` (the last status update, declaration, reopening,
or when coverage resumed) it falls due `update_every` later, never in the past. A status
update newer than `since` makes a reminder stale; a snooze moves it to the later of its due
time and the snooze's end.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.incident import is_person

SNOOZE = timedelta(minutes=30)


def who_to_remind(
    commander: str | None, acknowledged_by: str | None, declared_by: str | None
) -> str | None:
    """The commander, else whoever acknowledged, else whoever declared: a person, never
    Firebell or the alert source that opened it (None: the reminder mentions nobody)."""
    for person in (commander, acknowledged_by, declared_by):
        if is_person(person):
            return person
    return None


def reminder_due(since: datetime, every: timedelta, now: datetime) -> datetime:
    """When the reminder of a silence begun at `since` falls due (now, if already overdue)."""
    return max(since + every, now)


def snoozed_until(pending_due: datetime | None, now: datetime, length: timedelta) -> datetime:
    """The end of a snooze: `length` from now, or the pending reminder's later due time."""
    until = now + length
    return until if pending_due is None else max(pending_due, until)


def updated_since(last_update_at: datetime | None, since: datetime) -> bool:
    """Whether a status update broke the silence a reminder measures (the reminder is stale)."""
    return last_update_at is not None and last_update_at > since


def silence_since(
    last_update_at: datetime | None, declared_at: datetime, waiting_until: datetime | None
) -> datetime:
    """Where the current silence of an open incident began: its last status update, else its
    declaration; for an incident that waited for coverage, no earlier than coverage resumed."""
    since = last_update_at or declared_at
    return max(since, waiting_until) if waiting_until else since
