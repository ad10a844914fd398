"""What a notification reads: a new group's first one reads none of the group's alerts or
past notifications (it has none), a changed group's alerts are not read back after they
are written, and a repeat that changes nothing reads neither the incident nor maintenance
windows; the figures and outcomes stay those of the stored rows."""

from __future__ import annotations

import json
import re

import pytest

from tests.support.alerts import alertmanager, am_alert, start
from tests.support.db import rows, statements_from_now

A = am_alert("DiskFull", "a1a1a1a1a1a1a1a1", instance="db-1:9100", summary="disk full on db-1")
B = am_alert("DiskFull", "b2b2b2b2b2b2b2b2", instance="db-2:9100", summary="disk full on db-2")
C = am_alert("DiskFull", "c3c3c3c3c3c3c3c3", instance="db-3:9100", summary="disk full on db-3")


def resolved(alert: dict) -> dict:
    return {**alert, "status": "resolved", "endsAt": "2026-03-02T09:20:00Z"}


@pytest.fixture
async def bot(tmp_path, double):
    running = await start(tmp_path, double)
    yield running
    await running.close()


def reads_of(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if s.startswith("SELECT") and re.search(rf"\bFROM {table}\b", s)]


def figures(bot) -> tuple[int, int]:
    """Firing and total alerts as the latest notification recorded them."""
    [(data,)] = rows(bot, "SELECT data FROM alert_notifications ORDER BY id DESC LIMIT 1")
    found = json.loads(data)  # `rows` gives JSON as text on either backend
    return found["firing"], found["total"]


def stored(bot) -> list[tuple]:
    return rows(bot, "SELECT fingerprint, status FROM alerts ORDER BY fingerprint")


async def test_a_new_groups_first_notification_reads_no_alerts_and_no_past_notifications(bot):
    seen = statements_from_now(bot.app.db, "SELECT")
    status, answer = await bot.alert("alertmanager", alertmanager([A, B]))
    assert (status, answer["outcome"]) == (200, "open")
    assert reads_of(seen, "alerts") == []
    assert reads_of(seen, "alert_notifications") == []
    assert figures(bot) == (2, 2)
    assert stored(bot) == [("a1a1a1a1a1a1a1a1", "firing"), ("b2b2b2b2b2b2b2b2", "firing")]


async def test_a_change_reads_the_groups_alerts_once_and_counts_them_as_written(bot):
    await bot.alert("alertmanager", alertmanager([A, B]))
    seen = statements_from_now(bot.app.db, "SELECT")
    # one alert resolves, one is new, one is repeated unchanged
    status, answer = await bot.alert("alertmanager", alertmanager([resolved(A), B, C]))
    assert (status, answer["outcome"]) == (200, "update")
    assert len(reads_of(seen, "alerts")) == 1  # before the change, none after it
    assert figures(bot) == (2, 3)
    assert stored(bot) == [
        ("a1a1a1a1a1a1a1a1", "resolved"),
        ("b2b2b2b2b2b2b2b2", "firing"),
        ("c3c3c3c3c3c3c3c3", "firing"),
    ]
    await bot.alert("alertmanager", alertmanager([resolved(B), resolved(C)]))
    assert figures(bot) == (0, 3)
    [(group_status,)] = rows(bot, "SELECT status FROM alert_groups")
    assert group_status == "resolved"


async def test_a_repeat_that_changes_nothing_reads_no_incident_nor_maintenance(bot):
    await bot.alert("alertmanager", alertmanager([A, B]))
    seen = statements_from_now(bot.app.db, "SELECT")
    status, answer = await bot.alert("alertmanager", alertmanager([A, B]))
    assert (status, answer["outcome"], answer["incident"]) == (200, "unchanged", "INC-1")
    assert reads_of(seen, "incidents") == []
    assert reads_of(seen, "maintenance_windows") == []
    assert reads_of(seen, "alert_notifications") == []
    assert figures(bot) == (2, 2)
    [(notifications, group_status)] = rows(bot, "SELECT notifications, status FROM alert_groups")
    assert (notifications, group_status) == (2, "firing")
    # and one that does change something still sees its open incident
    status, answer = await bot.alert("alertmanager", alertmanager([A, B, C]))
    assert (status, answer["outcome"], answer["incident"]) == (200, "update", "INC-1")
