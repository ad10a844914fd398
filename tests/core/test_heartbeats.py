"""Heartbeats, decided: due times, states, the missed incident's title, and which alerts of an
Alertmanager notification beat which heartbeat."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.heartbeats import Seen, State, beating, due, missed_title, state

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
EVERY, ALLOWED = timedelta(minutes=5), timedelta(minutes=6)
BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class Alert:
    labels: dict = field(default_factory=dict)
    status: str = "firing"


def test_due_counts_from_the_last_beat_else_the_first_start():
    assert due(Seen(START, None), ALLOWED) == START + ALLOWED
    beat = START + timedelta(hours=1)
    assert due(Seen(START, beat), ALLOWED) == beat + ALLOWED


def test_states_along_the_way():
    beat = START
    seen = Seen(START, beat)
    assert state(seen, EVERY, ALLOWED, beat + timedelta(minutes=4)) is State.OK
    assert state(seen, EVERY, ALLOWED, beat + timedelta(minutes=5)) is State.LATE
    assert state(seen, EVERY, ALLOWED, beat + timedelta(minutes=6)) is State.MISSING
    assert state(Seen(START, None), EVERY, ALLOWED, START) is State.WAITING
    assert state(Seen(START, beat, incident_id=3), EVERY, ALLOWED, beat) is State.MISSING


def test_the_title_says_since_when_in_local_time_with_the_date_when_not_today():
    seen = Seen(START, START + timedelta(minutes=2))  # 09:02 in Berlin
    assert missed_title("wd", seen, BERLIN, START + timedelta(minutes=9)) == (
        "No heartbeat from wd since 09:02"
    )
    assert missed_title("wd", seen, BERLIN, START + timedelta(days=1)) == (
        "No heartbeat from wd since 2026-03-02 09:02"
    )


def test_watched_alerts_beat_once_and_never_reach_grouping():
    watching = {"Watchdog": "am-watchdog"}
    alerts = [
        Alert({"alertname": "Watchdog"}),
        Alert({"alertname": "Watchdog"}, status="firing"),
        Alert({"alertname": "Watchdog"}, status="resolved"),
        Alert({"alertname": "HighErrorRate"}),
        Alert({}),
    ]
    beats, rest = beating(alerts, watching)
    assert beats == ["am-watchdog"]
    assert rest == alerts[3:]
    assert beating([Alert({"alertname": "Watchdog"}, status="resolved")], watching) == ([], [])
