"""What one answer of /readyz means to the watchdog (`probe.judge`, pure), and `look` against
servers that refuse, hang or answer."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import aiohttp
from aiohttp import web

from bot.watchdog.probe import Limits, Seen, judge, look
from tests.support.smtp import SilentServer

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LIMITS = Limits(outbox_age=timedelta(minutes=10), slack_failures=5)


def ready(**changes) -> dict:
    body = {
        "ok": True,
        "replica": "r1",
        "database": "ok",
        "migrations": {"current": "0011", "head": "0011"},
        "outbox": {"backlog": 0, "recent_failures": [], "oldest_age_s": 0},
        "slack": {"last_success_at": NOW.isoformat(), "consecutive_failures": 0},
        "timers": {"lag_s": 0},
    }
    for key, value in changes.items():
        body[key] = {**body[key], **value} if isinstance(value, dict) else value
    return body


def test_a_ready_firebell_is_ok():
    verdict = judge(Seen(200, ready()), NOW, LIMITS)
    assert verdict.ok and verdict.describe() == "ready"


def test_no_answer_is_unreachable():
    verdict = judge(Seen(error="cannot connect (Connection refused)"), NOW, LIMITS)
    assert verdict.problems == ("unreachable: cannot connect (Connection refused)",)


def test_not_ready_says_why():
    body = {"ok": False, "replica": "r1", "database": "unreachable: OperationalError"}
    assert judge(Seen(503, body), NOW, LIMITS).problems == (
        "not ready: database unreachable: OperationalError",
    )
    behind = ready(ok=False, migrations={"current": "0010", "head": "0011"})
    assert judge(Seen(503, behind), NOW, LIMITS).problems == (
        "not ready: database schema at 0010, the code needs 0011 (run firebell migrate)",
    )
    assert judge(Seen(502, None), NOW, LIMITS).problems == (
        "not ready: /readyz answered HTTP 502 without Firebell's JSON",
    )
    assert not judge(Seen(200, {"ok": False}), NOW, LIMITS).ok


def test_an_old_outbox_row_pages_past_the_threshold_only():
    assert judge(Seen(200, ready(outbox={"oldest_age_s": 600})), NOW, LIMITS).ok
    verdict = judge(Seen(200, ready(outbox={"oldest_age_s": 601.5, "backlog": 7})), NOW, LIMITS)
    assert verdict.problems == (
        "outbox stuck: the oldest undelivered message has waited 10m2s (7 undelivered), over 10m",
    )


def test_slack_fails_after_enough_failures_and_no_recent_success():
    long_ago = (NOW - timedelta(minutes=11)).isoformat()
    recent = (NOW - timedelta(minutes=2)).isoformat()
    cases = [
        ({"consecutive_failures": 4, "last_success_at": None}, True),  # too few
        ({"consecutive_failures": 50, "last_success_at": recent}, True),  # a blip
        ({"consecutive_failures": 5, "last_success_at": None}, False),
        ({"consecutive_failures": 5, "last_success_at": long_ago}, False),
    ]
    for slack, ok in cases:
        assert judge(Seen(200, ready(slack=slack)), NOW, LIMITS).ok is ok, slack
    verdict = judge(Seen(200, ready(slack=cases[3][0])), NOW, LIMITS)
    assert verdict.problems == (
        "Slack delivery failing: 5 Slack deliveries failed in a row (last one 11m ago)",
    )
    verdict = judge(Seen(200, ready(slack=cases[2][0])), NOW, LIMITS)
    assert "none since Firebell started" in verdict.describe()


def test_every_problem_is_named():
    body = ready(
        slack={"consecutive_failures": 9, "last_success_at": None},
        outbox={"oldest_age_s": 3600, "backlog": 3},
    )
    verdict = judge(Seen(200, body), NOW, LIMITS)
    assert [p.split(":")[0] for p in verdict.problems] == ["Slack delivery failing", "outbox stuck"]


def test_an_older_firebell_without_the_new_keys_is_judged_by_its_status():
    assert judge(Seen(200, {"ok": True, "outbox": {"backlog": 3}}), NOW, LIMITS).ok


async def test_look_reads_an_answer_a_refusal_and_a_silence():
    async def readyz(_request):
        return web.json_response(ready(), status=200)

    app = web.Application()
    app.router.add_get("/readyz", readyz)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        closed = unused.getsockname()[1]
    try:
        async with aiohttp.ClientSession() as session, SilentServer() as silent:
            seen = await look(session, f"http://127.0.0.1:{port}/", 5.0)
            assert seen.status == 200 and seen.body["ok"] is True
            seen = await look(session, f"http://127.0.0.1:{closed}", 5.0)
            assert seen.status is None and seen.error.startswith("cannot connect")
            seen = await look(session, f"http://127.0.0.1:{silent.port}", 0.3)
            assert seen == Seen(error="no answer within 0.3s")
    finally:
        await runner.cleanup()
