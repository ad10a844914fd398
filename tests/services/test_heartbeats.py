"""Heartbeat monitors over the real app with the injected clock: beats in time keep quiet, a
missed one opens one incident that pages, the next beat says so and resolves it, restarts
neither lose nor double a deadline, and Alertmanager's Watchdog beats without opening
anything. `POST /heartbeat/<name>` answers as documented."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.alerts import ALERTS_CONFIG, TOKEN, AlertBot, alertmanager, am_alert
from tests.support.db import rows
from tests.support.slack_views import replies

HEARTBEATS = """
heartbeats:
  - name: nightly-backup
    every: 5m
    grace: 1m
  - name: alertmanager-watchdog
    every: 1m
    grace: 30s
    severity: SEV2
    alertmanager: Watchdog
"""


@pytest.fixture
async def bot(tmp_path, double):
    running = AlertBot(tmp_path, double, config=ALERTS_CONFIG + HEARTBEATS)
    await running.start()
    await running.tick()  # the first timer round: rows and deadlines of the heartbeats
    yield running
    await running.close()


async def beat(bot, name: str, token: str | None = TOKEN) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with bot.http.post(f"{bot.base}/heartbeat/{name}", headers=headers) as answer:
        return answer.status


def incidents(bot) -> list[tuple]:
    return rows(bot, "SELECT id, title, severity, status, source FROM incidents ORDER BY id")


async def watchdog(bot) -> dict:
    body = alertmanager(
        [am_alert("Watchdog", "wd01", severity="none", service="monitoring")],
        group_key='{}:{alertname="Watchdog"}',
    )
    status, answer = await bot.alert("alertmanager", body)
    assert status == 200
    return answer


async def test_beats_in_time_keep_quiet(bot):
    for minute in range(1, 41):
        await bot.advance(timedelta(minutes=1))
        await watchdog(bot)
        if minute % 4 == 0:
            assert await beat(bot, "nightly-backup") == 204
    assert incidents(bot) == []
    states = rows(bot, "SELECT name, beats FROM heartbeats ORDER BY name")
    assert states == [("alertmanager-watchdog", 40), ("nightly-backup", 10)]


async def test_a_missed_heartbeat_opens_one_incident_that_pages_and_the_next_beat_resolves_it(
    bot, double
):
    await watchdog(bot)
    await bot.advance(timedelta(minutes=6))  # 5m + 1m after the first start: missed
    await bot.advance(timedelta(minutes=30))  # still silent: nothing more
    opened = [row for row in incidents(bot) if "nightly-backup" in row[1]]
    assert len(opened) == 1
    number, title, severity, status, source = opened[0]
    assert title.startswith("No heartbeat from nightly-backup since ")
    assert (severity, status, source) == ("SEV1", "declared", "heartbeat")  # the most severe
    await bot.deliver()
    assert any(c.params["channel"] == "U0AAA" for c in double.calls_to("chat.postMessage"))

    assert await beat(bot, "nightly-backup") == 204
    await bot.deliver()
    assert rows(bot, f"SELECT status, resolved_by FROM incidents WHERE id = {number}") == [
        ("resolved", "heartbeat")
    ]
    texts = replies(double, number)
    assert any("Heartbeat `nightly-backup` is back" in text for text in texts)
    await bot.advance(timedelta(minutes=5))  # back to beating in time: quiet again
    assert len([row for row in incidents(bot) if "nightly-backup" in row[1]]) == 1


async def test_an_acknowledged_silence_is_told_of_the_beat_but_left_open(bot):
    await bot.advance(timedelta(minutes=6))
    number = next(n for n, title, *_ in incidents(bot) if "nightly-backup" in title)
    await bot.command(f"ack INC-{number}", user="U0AAA")
    assert await beat(bot, "nightly-backup") == 204
    assert rows(bot, f"SELECT status FROM incidents WHERE id = {number}") == [("acknowledged",)]
    assert rows(bot, "SELECT count(*) FROM events WHERE kind = 'heartbeat_back'") == [(1,)]


async def test_the_alertmanager_watchdog_beats_and_opens_nothing(bot):
    for _ in range(5):
        await bot.advance(timedelta(minutes=1))
        answer = await watchdog(bot)
        assert answer["outcome"] == "heartbeat" and answer["incident"] is None
    assert not [row for row in incidents(bot) if "watchdog" in row[1].lower()]
    assert rows(bot, "SELECT count(*) FROM alert_groups") == [(0,)]
    assert rows(bot, "SELECT beats FROM heartbeats WHERE name = 'alertmanager-watchdog'") == [(5,)]


async def test_a_watchdog_among_other_alerts_beats_and_the_rest_open_an_incident(bot):
    body = alertmanager(
        [am_alert("Watchdog", "wd01"), am_alert("HighErrorRate", "he01")],
        group_key="{}:{}",
    )
    status, answer = await bot.alert("alertmanager", body)
    assert status == 200 and answer["outcome"] == "open"
    assert rows(bot, "SELECT beats FROM heartbeats WHERE name = 'alertmanager-watchdog'") == [(1,)]
    card = rows(bot, "SELECT count(*) FROM alert_notifications")
    assert card == [(1,)]


async def test_a_restart_while_overdue_opens_it_once(bot, tmp_path, double):
    await watchdog(bot)
    await bot.stop()  # down when the deadline passes
    bot.clock.advance(timedelta(minutes=20))
    await bot.start()
    await bot.tick()
    await bot.tick()
    opened = [row for row in incidents(bot) if "nightly-backup" in row[1]]
    assert len(opened) == 1
    await bot.stop()  # and again, with its incident open
    await bot.start()
    await bot.advance(timedelta(minutes=20))
    assert len([row for row in incidents(bot) if "nightly-backup" in row[1]]) == 1


async def test_a_heartbeat_that_never_beat_is_due_from_the_first_start_with_it(bot):
    first = rows(bot, "SELECT first_seen_at FROM heartbeats WHERE name = 'nightly-backup'")
    await bot.stop()
    await bot.start()  # a restart does not move the first start
    await bot.tick()
    assert rows(bot, "SELECT first_seen_at FROM heartbeats WHERE name = 'nightly-backup'") == first
    await bot.advance(timedelta(minutes=5, seconds=59))
    assert not [row for row in incidents(bot) if "nightly-backup" in row[1]]
    await bot.advance(timedelta(seconds=1))
    assert [row for row in incidents(bot) if "nightly-backup" in row[1]]


async def test_the_endpoint_answers_as_documented(bot, tmp_path, double):
    assert await beat(bot, "nightly-backup", token=None) == 401
    assert await beat(bot, "nightly-backup", token="wrong") == 401
    assert await beat(bot, "no-such-thing") == 404
    assert await beat(bot, "nightly-backup") == 204
    plain = AlertBot(tmp_path / "plain", double, config=ALERTS_CONFIG + HEARTBEATS, env={})
    (tmp_path / "plain").mkdir()
    await plain.start()
    try:
        assert await beat(plain, "nightly-backup") == 503
    finally:
        await plain.close()


async def test_its_own_token_replaces_the_alerts_one(tmp_path, double):
    env = {"firebell_alerts_token": TOKEN, "firebell_heartbeat_token": "beat-token-7a1c3e5f"}
    own = AlertBot(tmp_path, double, config=ALERTS_CONFIG + HEARTBEATS, env=env)
    await own.start()
    try:
        assert await beat(own, "nightly-backup") == 401
        assert await beat(own, "nightly-backup", token="beat-token-7a1c3e5f") == 204
    finally:
        await own.close()


async def test_metrics_show_each_heartbeats_last_beat_age(bot):
    await bot.advance(timedelta(seconds=40))
    assert await beat(bot, "nightly-backup") == 204
    await bot.advance(timedelta(seconds=90))
    async with bot.http.get(f"{bot.base}/metrics") as answer:
        text = await answer.text()
    ages = {
        line.split('"')[1]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("firebell_heartbeat_last_beat_age_seconds{")
    }
    assert ages == {"nightly-backup": 90.0, "alertmanager-watchdog": 130.0}


async def test_the_command_lists_each_heartbeat_with_its_state(bot):
    await watchdog(bot)
    await bot.advance(timedelta(minutes=6))  # the backup missed; the watchdog too
    await watchdog(bot)
    answer = await bot.command("heartbeats")
    assert answer["text"] == "2 heartbeats, 1 missing"
    shown = "\n".join(b["text"]["text"] for b in answer["blocks"] if b.get("text"))
    assert "`alertmanager-watchdog` :green_heart: beating" in shown
    assert "`nightly-backup` :broken_heart: missing: last beat never" in shown
    assert "INC-" in shown
