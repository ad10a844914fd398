"""`POST /alerts/sentry` over real HTTP: signed Sentry webhooks open and resolve incidents;
an unsigned or wrongly signed one is 401 and stores nothing; no client secret is 503."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.support.alerts import TOKEN
from tests.support.db import count, rows
from tests.support.sentry import (
    CLIENT_SECRET,
    SENTRY_CONFIG,
    issue,
    issue_alert,
    metric_alert,
    sign,
    start,
)
from tests.support.slack_views import card_of, card_text, dms, replies

TABLES = ("alert_groups", "alerts", "alert_notifications", "incidents", "outbox", "timers")
NOTHING = dict.fromkeys(TABLES, 0)
AUTO = SENTRY_CONFIG.replace("auto_resolve: false", "auto_resolve: true")


def stored(bot) -> dict[str, int]:
    return {t: count(bot, t, "kind != 'handover'" if t == "timers" else "1=1") for t in TABLES}


@pytest.fixture
async def bot(tmp_path, double):
    running = await start(tmp_path, double)
    yield running
    await running.close()


async def test_a_signed_issue_alert_opens_an_incident_for_the_mapped_service(bot, double):
    status, answer = await bot.sentry(issue_alert(project=42, slug="gateway", level="error"))
    assert (status, answer["ok"], answer["outcome"], answer["incident"]) == (
        200,
        True,
        "open",
        "INC-1",
    )
    [(title, severity, service, source, declared_by)] = rows(
        bot, "SELECT title, severity, service, source, declared_by FROM incidents"
    )
    assert (title, severity, service) == ("ReferenceError: heck is not defined", "SEV2", "api")
    assert (source, declared_by) == ("sentry", "sentry")
    await bot.deliver()
    text = card_text(card_of(double))
    assert "ReferenceError: heck is not defined" in text
    assert "Declared by*\nSentry" in text
    assert "<https://docs.example.com/ops/api|runbook>" in text  # the runbook of `api`
    assert "*Alerts* (Sentry): 1 of 1 firing" in text
    assert "<https://sentry.io/organizations/test-org/issues/1117540176/events/" in text
    assert "Sentry alert rule: Very Important Alert Rule!" in text  # the description
    declared, listed = replies(double)
    assert declared.startswith(":rotating_light: Sentry declared INC-1 (SEV2).")
    assert listed.startswith(":bell: *Sentry*: 1 new · 1 of 1 alerts firing")
    assert dms(double) == ["U0AAA"]  # level 1 of the escalation
    # the alert again (the rule fires for the issue's next event): nothing new
    status, answer = await bot.sentry(issue_alert(project=42, slug="gateway", event_id="0" * 32))
    assert (status, answer["outcome"], answer["incident"]) == (200, "unchanged", "INC-1")
    assert count(bot, "incidents") == 1


async def test_the_project_slug_in_the_event_url_gives_the_service_and_fatal_is_sev1(bot):
    status, answer = await bot.sentry(issue_alert(project=7, slug="front-end", level="fatal"))
    assert (status, answer["outcome"]) == (200, "open")
    assert rows(bot, "SELECT severity, service FROM incidents") == [("SEV1", "web")]


async def test_a_missing_or_wrong_signature_is_401_and_stores_nothing(bot):
    body = issue_alert()
    raw = json.dumps(body).encode()
    for signature in (
        None,  # no header
        "",
        "   ",
        "0" * 64,
        sign(raw)[:-1],
        sign(raw) + "0",
        sign(raw, "another-secret"),
        sign(raw, CLIENT_SECRET[:-1]),
        "sha256=" + sign(raw),
        "not hex at all",
    ):
        status, answer = await bot.sentry(raw=raw, signature=signature, resource="event_alert")
        assert status == 401, (signature, status, answer)
        assert answer == {"error": "missing or wrong Sentry-Hook-Signature"}
    # the alert token of the other sources is no way in: Sentry signs, it sends no token
    async with bot.http.post(
        f"{bot.base}/alerts/sentry",
        data=raw,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    ) as response:
        assert response.status == 401
    assert stored(bot) == NOTHING


async def test_a_signature_computed_over_another_body_is_refused(bot):
    signed = json.dumps(issue_alert(level="info")).encode()
    sent = json.dumps(issue_alert(level="fatal")).encode()
    status, answer = await bot.sentry(raw=sent, signature=sign(signed))
    assert status == 401 and answer["error"] == "missing or wrong Sentry-Hook-Signature"
    # the same JSON written with other whitespace is another body, too
    respaced = json.dumps(issue_alert(), indent=2).encode()
    status, _ = await bot.sentry(raw=respaced, signature=sign(json.dumps(issue_alert()).encode()))
    assert status == 401
    assert stored(bot) == NOTHING
    # signed over exactly the bytes sent, either is taken
    assert (await bot.sentry(raw=respaced))[0] == 200


async def test_the_hex_signature_is_read_in_either_case(bot):
    raw = json.dumps(issue_alert()).encode()
    status, answer = await bot.sentry(raw=raw, signature=sign(raw).upper())
    assert (status, answer["outcome"]) == (200, "open")


async def test_without_a_client_secret_the_endpoint_is_off(tmp_path, double):
    bot = await start(tmp_path, double, env={"firebell_alerts_token": TOKEN})
    try:
        status, answer = await bot.sentry(issue_alert())
        assert status == 503
        assert answer == {"error": "alerts are not configured: set FIREBELL_SENTRY_CLIENT_SECRET"}
        assert stored(bot) == NOTHING
        # the token sources are unaffected
        status, _ = await bot.alert("generic", {"title": "Backup failed", "severity": "error"})
        assert status == 200
    finally:
        await bot.close()


async def test_a_client_secret_alone_leaves_the_token_sources_off(tmp_path, double):
    bot = await start(tmp_path, double)  # only FIREBELL_SENTRY_CLIENT_SECRET
    try:
        status, answer = await bot.alert("generic", {"title": "x"}, token=CLIENT_SECRET)
        assert status == 503 and "FIREBELL_ALERTS_TOKEN" in answer["error"]
        assert (await bot.sentry(issue_alert()))[0] == 200
    finally:
        await bot.close()


async def test_a_resolved_issue_posts_in_the_thread_and_resolves_the_incident(tmp_path, double):
    bot = await start(tmp_path, double, config=AUTO)
    try:
        assert (await bot.sentry(issue_alert()))[1]["outcome"] == "open"
        await bot.deliver()
        bot.clock.advance(timedelta(minutes=12))
        status, answer = await bot.sentry(issue("resolved"), resource="issue")
        assert (status, answer["outcome"], answer["incident"]) == (200, "update", "INC-1")
        [(state, resolved_by, summary)] = rows(
            bot, "SELECT status, resolved_by, summary FROM incidents"
        )
        assert (state, resolved_by, summary) == ("resolved", "sentry", "all its alerts resolved")
        assert count(bot, "timers", "status = 'pending' AND kind = 'escalate'") == 0
        await bot.deliver()
        thread = replies(double)
        assert thread[-2].endswith("All alerts resolved.")
        assert ":large_green_circle: resolved *ReferenceError: heck is not defined*" in thread[-2]
        assert thread[-1] == (
            ":white_check_mark: Sentry resolved INC-1 after 12m. Summary: all its alerts resolved"
        )
        assert "Resolved by Sentry" in card_text(card_of(double))
        # Sentry sends it again (a retry): nothing changes
        assert (await bot.sentry(issue("resolved")))[1]["outcome"] == "unchanged"
    finally:
        await bot.close()


async def test_without_auto_resolve_a_resolved_issue_only_posts(bot, double):
    await bot.sentry(issue_alert())
    status, answer = await bot.sentry(issue("resolved"))
    assert (status, answer["outcome"]) == (200, "update")
    assert rows(bot, "SELECT status FROM incidents") == [("declared",)]
    await bot.deliver()
    assert replies(double)[-1].endswith("All alerts resolved. Resolve INC-1 when you are done.")


async def test_a_metric_alert_opens_an_incident_and_resolves_it(tmp_path, double):
    config = AUTO.replace('    "42": api\n', '    "42": api\n    bar: api\n')
    bot = await start(tmp_path, double, config=config)
    try:
        status, answer = await bot.sentry(metric_alert("critical"))
        assert (status, answer["outcome"], answer["incident"]) == (200, "open", "INC-1")
        assert rows(bot, "SELECT title, severity, service FROM incidents") == [
            ("Critical: Too many errors", "SEV1", "api")
        ]
        assert (await bot.sentry(metric_alert("warning")))[1]["outcome"] == "unchanged"
        status, answer = await bot.sentry(metric_alert("resolved"))
        assert (status, answer["outcome"]) == (200, "update")
        assert rows(bot, "SELECT status, resolved_by FROM incidents") == [("resolved", "sentry")]
        # the rule fires again later: a new episode, which reopens the incident
        again = metric_alert("critical", started="2020-09-13T12:40:00.000000Z")
        assert (await bot.sentry(again))[1]["outcome"] == "reopen"
    finally:
        await bot.close()


@pytest.mark.parametrize(
    ("body", "resource"),
    [
        (issue("created"), "issue"),
        (issue("assigned"), "issue"),
        ({"action": "created", "data": {"installation": {"uuid": "x"}}}, "installation"),
    ],
)
async def test_webhooks_that_are_no_alert_are_taken_and_store_nothing(bot, body, resource):
    status, answer = await bot.sentry(body, resource=resource)
    assert (status, answer) == (200, {"ok": True, "outcome": "ignored", "incident": None})
    assert stored(bot) == NOTHING


@pytest.mark.parametrize(
    ("raw", "field", "reason"),
    [
        (b"{not json", "body", "not valid JSON"),
        (b"[]", "body", "must be a JSON object"),
        (("[" * 10_000 + "]" * 10_000).encode(), "body", "deeper than 64"),
        (json.dumps({**issue_alert(), "action": "fired"}).encode(), "action", "triggered"),
        (
            json.dumps(
                {"action": "triggered", "data": {"event": {"issue_id": "1", "title": [1]}}}
            ).encode(),
            "data.event.title",
            "must be a string",
        ),
        (
            json.dumps({"action": "critical", "data": {"metric_alert": {}}}).encode(),
            "data.metric_alert.alert_rule",
            "is required",
        ),
        (json.dumps({"action": "x", "data": {"y": 1}}).encode(), "data", "not a Sentry alert"),
    ],
)
async def test_signed_bodies_that_cannot_be_read_are_400_naming_the_field(bot, raw, field, reason):
    status, answer = await bot.sentry(raw=raw)
    assert status == 400, answer
    assert answer["field"] == field and reason in answer["error"]
    assert stored(bot) == NOTHING


async def test_a_body_over_1_mib_is_413_and_stores_nothing(bot):
    body = issue_alert(title="x" * (1024 * 1024))
    status, answer = await bot.sentry(body)
    assert status == 413 and "body over" in answer["error"]
    assert stored(bot) == NOTHING


async def test_neither_the_secret_nor_a_signature_is_logged(bot, capsys):
    raw = json.dumps(issue_alert()).encode()
    wrong = sign(raw, "a-wrong-secret-0f9e8d7c")
    await bot.sentry(raw=raw, signature=wrong)
    await bot.sentry(raw=raw)
    await bot.sentry(raw=b"{", resource="event_alert")
    logged = "".join(capsys.readouterr())
    assert "alert_received" in logged and "alert_unauthorized" in logged
    assert "alert_refused" in logged
    assert CLIENT_SECRET not in logged and wrong not in logged and sign(raw) not in logged
