"""The alert webhooks over real HTTP: tokens, refusals that store nothing, size limits."""

from __future__ import annotations

import json

import pytest

from tests.support.alerts import (
    TOKEN,
    alertmanager,
    am_alert,
    generic,
    grafana,
    grafana_alert,
    start,
)
from tests.support.db import count

TABLES = ("alert_groups", "alerts", "alert_notifications", "incidents", "outbox", "timers")


def db(bot):
    return bot  # its database, SQLite or PostgreSQL


def stored(bot) -> dict[str, int]:
    return {t: count(db(bot), t, "kind != 'handover'" if t == "timers" else "1=1") for t in TABLES}


NOTHING = dict.fromkeys(TABLES, 0)


@pytest.fixture
async def bot(tmp_path, double):
    running = await start(tmp_path, double)
    yield running
    await running.close()


BODIES = {
    "alertmanager": alertmanager([am_alert("HighErrorRate", "4d3c1f0e2b8a9d77")]),
    "grafana": grafana([grafana_alert("ApiLatencyHigh", "c6eadffa33fcdf37")]),
    "generic": generic(),
}


@pytest.mark.parametrize("source", sorted(BODIES))
async def test_missing_or_wrong_token_is_401_and_stores_nothing(bot, source):
    for token, headers in (
        (None, {}),
        ("wrong-token", {}),
        (TOKEN[:-1], {}),
        (None, {"Authorization": f"Basic {TOKEN}"}),
        (None, {"Authorization": "Bearer"}),
        (None, {"Authorization": TOKEN}),
    ):
        status, answer = await bot.alert(source, BODIES[source], token=token, headers=headers)
        assert status == 401, (token, headers, status, answer)
        assert answer == {"error": "missing or wrong bearer token"}
    assert stored(bot) == NOTHING


@pytest.mark.parametrize("source", sorted(BODIES))
async def test_the_right_token_is_taken(bot, source):
    status, answer = await bot.alert(source, BODIES[source])
    assert status == 200 and answer["ok"] is True and answer["outcome"] == "open"
    # the scheme is case-insensitive, as HTTP says
    status, answer = await bot.alert(
        source, BODIES[source], token=None, headers={"Authorization": f"bearer {TOKEN}"}
    )
    assert status == 200 and answer["outcome"] == "unchanged"


async def test_without_a_token_the_endpoints_are_off(tmp_path, double):
    bot = await start(tmp_path, double, env={})
    try:
        for source, body in BODIES.items():
            status, answer = await bot.alert(source, body)
            assert status == 503
            assert answer["error"].startswith(
                "alerts are not configured: set FIREBELL_ALERTS_TOKEN"
            )
        assert stored(bot) == NOTHING
    finally:
        await bot.close()


async def test_a_per_source_token_replaces_the_shared_one_there(tmp_path, double):
    env = {"firebell_alerts_token": TOKEN, "firebell_alerts_token_grafana": "grafana-only-token"}
    bot = await start(tmp_path, double, env=env)
    try:
        assert (await bot.alert("grafana", BODIES["grafana"]))[0] == 401
        status, _ = await bot.alert("grafana", BODIES["grafana"], token="grafana-only-token")
        assert status == 200
        assert (
            await bot.alert("alertmanager", BODIES["alertmanager"], token="grafana-only-token")
        )[0] == 401
        assert (await bot.alert("alertmanager", BODIES["alertmanager"]))[0] == 200
    finally:
        await bot.close()


async def test_the_token_is_never_logged(tmp_path, double, capsys):
    bot = await start(tmp_path, double)
    try:
        await bot.alert("alertmanager", BODIES["alertmanager"])
        await bot.alert("alertmanager", BODIES["alertmanager"], token="not-the-token-xyz")
        await bot.alert("alertmanager", raw=b"{", token=TOKEN)
    finally:
        await bot.close()
    out = capsys.readouterr()
    logged = out.out + out.err
    assert "alert_received" in logged and "alert_unauthorized" in logged
    assert TOKEN not in logged and "not-the-token-xyz" not in logged


@pytest.mark.parametrize(
    ("source", "raw", "field", "reason"),
    [
        ("alertmanager", b"{not json", "body", "not valid JSON"),
        ("alertmanager", b"\xff\xfe", "body", "not valid JSON"),
        ("alertmanager", b"[]", "body", "must be a JSON object"),
        ("alertmanager", b'{"status": "firing", "groupKey": "k"}', "alerts", "is required"),
        (
            "alertmanager",
            json.dumps({**BODIES["alertmanager"], "alerts": "many"}).encode(),
            "alerts",
            "must be a list",
        ),
        (
            "alertmanager",
            json.dumps(
                {
                    **BODIES["alertmanager"],
                    "alerts": [{**am_alert("X", "f1"), "labels": {"severity": ["critical"]}}],
                }
            ).encode(),
            "alerts[0].labels.severity",
            "must be a string",
        ),
        (
            "grafana",
            json.dumps(
                {
                    **BODIES["grafana"],
                    "alerts": [{**grafana_alert("X", "f1"), "values": {"B": "x"}}],
                }
            ).encode(),
            "alerts[0].values.B",
            "must be a number",
        ),
        ("generic", json.dumps({"title": ["x"]}).encode(), "title", "must be a string"),
        ("generic", json.dumps({"title": "x", "status": "maybe"}).encode(), "status", "neither"),
    ],
)
async def test_malformed_bodies_are_400_naming_the_field_and_store_nothing(
    bot, source, raw, field, reason
):
    status, answer = await bot.alert(source, raw=raw)
    assert status == 400, answer
    assert answer["field"] == field and reason in answer["error"]
    assert answer["error"].startswith(field)
    assert stored(bot) == NOTHING


async def test_a_body_over_1_mib_is_413_and_stores_nothing(bot):
    big = alertmanager([am_alert("HighErrorRate", "f1", description="x" * (1024 * 1024))])
    status, answer = await bot.alert("alertmanager", big)
    assert status == 413 and "body over" in answer["error"]

    async def chunks():  # no Content-Length: the limit holds for a chunked body too
        yield b'{"alerts": ["'
        for _ in range(20):
            yield b"y" * (64 * 1024)
        yield b'"]}'

    async with bot.http.post(
        f"{bot.base}/alerts/alertmanager",
        data=chunks(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    ) as response:
        assert response.status == 413
    assert stored(bot) == NOTHING


async def test_a_body_just_under_the_limit_is_read(bot):
    body = alertmanager([am_alert("HighErrorRate", "f1", description="x" * 450_000)])
    status, answer = await bot.alert("alertmanager", body)
    assert status == 200 and answer["outcome"] == "open"
