"""Alert groups over real HTTP: incidents opened, repeats grouped, resolves, reopen, escalation."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.slack.ids import Action
from tests.support.alerts import (
    ALERTS_CONFIG,
    alertmanager,
    am_alert,
    generic,
    grafana,
    grafana_alert,
    start,
)
from tests.support.db import count, rows
from tests.support.harness import CHANNEL, CONFIG
from tests.support.slack_views import card_of, card_text, dms, replies


def db(bot):
    return bot  # its database, SQLite or PostgreSQL


@pytest.fixture
async def bot(tmp_path, double):
    running = await start(tmp_path, double)
    yield running
    await running.close()


FIRST = am_alert(
    "HighErrorRate",
    "4d3c1f0e2b8a9d77",
    instance="api-1.prod:9100",
    summary="5xx above 5% on api-1",
    description="Error ratio 7.2% over 5m",
)
SECOND = am_alert(
    "HighErrorRate", "9a8b7c6d5e4f3a2b", instance="api-2.prod:9100", summary="5xx above 5% on api-2"
)


def resolved(alert: dict) -> dict:
    return {**alert, "status": "resolved", "endsAt": "2026-03-02T09:20:00Z"}


# -- Alertmanager -----------------------------------------------------------------------------


async def test_alertmanager_firing_opens_an_incident_with_card_labels_links_and_runbook(
    bot, double
):
    status, answer = await bot.alert("alertmanager", alertmanager([FIRST]))
    assert (status, answer["outcome"], answer["incident"]) == (200, "open", "INC-1")
    [(title, severity, service, source, declared_by)] = rows(
        db(bot), "SELECT title, severity, service, source, declared_by FROM incidents"
    )
    assert (title, severity, service) == ("5xx above 5% on api-1", "SEV1", "api")
    assert (source, declared_by) == ("alertmanager", "alertmanager")
    await bot.deliver()
    card = card_of(double)
    text = card_text(card)
    assert "Declared by*\nAlertmanager" in text
    assert "<https://docs.example.com/ops/api|runbook>" in text  # the runbook of its service
    assert "*Alerts* (Alertmanager): 1 of 1 firing" in text
    assert "`alertname` HighErrorRate · `instance` api-1.prod:9100 · `job` api" in text
    assert "<http://prometheus.example.com:9090/graph?g0.expr=" in text and "|Source>" in text
    assert "<http://alertmanager.example.com:9093|Alertmanager>" in text
    assert "Error ratio 7.2% over 5m" in text  # the description annotation
    declared, listed = replies(double)
    assert declared.startswith(":rotating_light: Alertmanager declared INC-1 (SEV1).")
    assert "Paging level 1: <@U0AAA>" in declared
    assert listed.startswith(":bell: *Alertmanager*: 1 new · 1 of 1 alerts firing")
    assert (
        "firing *HighErrorRate* · instance=api-1.prod:9100, job=api · 5xx above 5% on api-1"
        in listed
    )
    assert sorted(dms(double)) == ["U0AAA", "U0PRODUCT"]  # level 1 and SEV1's page list


async def test_an_incident_alerts_open_has_one_card_row_that_shows_the_alerts(bot, double):
    await bot.alert("alertmanager", alertmanager([FIRST]))
    kinds = [k for (k,) in rows(db(bot), "SELECT kind FROM outbox ORDER BY id")]
    assert kinds.count("card") == 1 and kinds.count("alert_reply") == 1
    await bot.deliver()
    assert "*Alerts* (Alertmanager): 1 of 1 firing" in card_text(card_of(double))
    assert double.calls_to("chat.update") == []  # posted once, as it stood after the change


async def test_repeat_and_duplicate_deliveries_change_nothing(bot, double):
    body = alertmanager([FIRST])
    await bot.alert("alertmanager", body)
    await bot.deliver()
    before = len(double.calls_to("chat.postMessage"))
    for _ in range(3):  # Alertmanager's repeat_interval, or a retry after a lost answer
        status, answer = await bot.alert("alertmanager", body)
        assert (status, answer["outcome"], answer["incident"]) == (200, "unchanged", "INC-1")
    await bot.deliver()
    assert count(db(bot), "incidents") == 1
    assert count(db(bot), "alert_notifications") == 4  # every delivery is on record
    assert count(db(bot), "events", "kind = 'alerts'") == 1
    assert len(double.calls_to("chat.postMessage")) == before
    assert len(replies(double)) == 2


async def test_the_same_notification_twice_at_once_gives_one_incident_and_one_reply(bot, double):
    body = alertmanager([FIRST])
    answers = await asyncio.gather(*(bot.alert("alertmanager", body) for _ in range(2)))
    assert sorted(a["outcome"] for _, a in answers) == ["open", "unchanged"]
    await bot.deliver()
    assert count(db(bot), "incidents") == 1
    assert [r for r in replies(double) if r.startswith(":bell:")] == [replies(double)[1]]


async def test_concurrent_notifications_of_one_group_open_one_incident(bot, double):
    bodies = [
        alertmanager([am_alert("HighErrorRate", f"fp{i:02d}", instance=f"api-{i}:9100")])
        for i in range(20)
    ]
    answers = await asyncio.gather(*(bot.alert("alertmanager", b) for b in bodies))
    assert all(status == 200 for status, _ in answers)
    assert sorted(a["outcome"] for _, a in answers).count("open") == 1
    assert {a["incident"] for _, a in answers} == {"INC-1"}
    assert count(db(bot), "incidents") == 1 and count(db(bot), "alert_groups") == 1
    assert count(db(bot), "alerts") == 20
    await bot.deliver()
    thread = replies(double)
    listed = "\n".join(t for t in thread if t.startswith(":bell:"))
    assert all(f"instance=api-{i}:9100" in listed for i in range(20))  # every alert accounted for
    assert len(thread) <= 3  # declared, then the alert replies coalesced


async def test_partially_resolved_then_resolved_group(bot, double):
    await bot.alert("alertmanager", alertmanager([FIRST, SECOND]))
    await bot.deliver()
    bot.clock.advance(timedelta(minutes=10))
    status, answer = await bot.alert("alertmanager", alertmanager([resolved(FIRST), SECOND]))
    assert answer["outcome"] == "update" and answer["changes"] == 1
    await bot.deliver()
    partial = replies(double)[-1]
    assert partial.startswith(":bell: *Alertmanager*: 1 resolved · 1 of 2 alerts firing")
    assert "resolved *HighErrorRate* · instance=api-1.prod:9100" in partial
    assert "All alerts resolved" not in partial
    assert "1 of 2 firing" in card_text(card_of(double))

    status, answer = await bot.alert(
        "alertmanager", alertmanager([resolved(FIRST), resolved(SECOND)])
    )
    assert answer["outcome"] == "update" and answer["changes"] == 1
    await bot.deliver()
    last = replies(double)[-1]
    assert "0 of 2 alerts firing" in last
    assert "All alerts resolved. Resolve INC-1 when you are done." in last
    [(state,)] = rows(db(bot), "SELECT status FROM incidents")
    assert state == "declared"  # auto_resolve is off: a person decides
    # the resolved notification again (Alertmanager repeats it until it is flushed)
    assert (await bot.alert("alertmanager", alertmanager([resolved(FIRST), resolved(SECOND)])))[1][
        "outcome"
    ] == "unchanged"


async def test_alerts_moved_on_and_new_in_one_notification_are_all_stored(bot, double):
    """Two alerts resolve and two more fire in one notification: the group's four alerts
    stored as they now stand, the first two keeping when they were first seen."""
    await bot.alert("alertmanager", alertmanager([FIRST, SECOND]))
    started = bot.clock.now()
    bot.clock.advance(timedelta(minutes=10))
    third = am_alert("HighErrorRate", "1111aaaa2222bbbb", instance="api-3.prod:9100")
    fourth = am_alert("HighErrorRate", "3333cccc4444dddd", instance="api-4.prod:9100")
    both = alertmanager([resolved(FIRST), resolved(SECOND), third, fourth])
    status, answer = await bot.alert("alertmanager", both)
    assert (status, answer["outcome"], answer["changes"]) == (200, "update", 4)
    stored = rows(
        db(bot), "SELECT fingerprint, status, first_seen_at, ends_at FROM alerts ORDER BY id"
    )
    at = [str(when)[:16] for when in (started, bot.clock.now())]
    assert [(f, s, str(seen)[:16], ends is not None) for f, s, seen, ends in stored] == [
        ("4d3c1f0e2b8a9d77", "resolved", at[0], True),
        ("9a8b7c6d5e4f3a2b", "resolved", at[0], True),
        ("1111aaaa2222bbbb", "firing", at[1], False),
        ("3333cccc4444dddd", "firing", at[1], False),
    ]
    await bot.deliver()
    assert "2 of 4 alerts firing" in replies(double)[-1]
    assert "2 of 4 firing" in card_text(card_of(double))
    assert (await bot.alert("alertmanager", both))[1]["outcome"] == "unchanged"


AUTO = ALERTS_CONFIG.replace("auto_resolve: false", "auto_resolve: true")


async def test_auto_resolve_resolves_an_unacknowledged_incident_as_the_source(tmp_path, double):
    bot = await start(tmp_path, double, config=AUTO)
    try:
        await bot.alert("alertmanager", alertmanager([FIRST]))
        bot.clock.advance(timedelta(minutes=12))
        status, answer = await bot.alert("alertmanager", alertmanager([resolved(FIRST)]))
        assert answer["outcome"] == "update"
        [(state, resolved_by, summary)] = rows(
            db(bot), "SELECT status, resolved_by, summary FROM incidents"
        )
        assert (state, resolved_by, summary) == (
            "resolved",
            "alertmanager",
            "all its alerts resolved",
        )
        assert count(db(bot), "timers", "status = 'pending' AND kind = 'escalate'") == 0
        await bot.deliver()
        thread = replies(double)
        assert thread[-2].endswith("All alerts resolved.")
        assert thread[-1] == (
            ":white_check_mark: Alertmanager resolved INC-1 after 12m. Summary: all its alerts resolved"
        )
        assert "Resolved by Alertmanager" in card_text(card_of(double))
        answer = await bot.command("resolve INC-1")
        assert "already resolved by Alertmanager at" in answer["text"]
    finally:
        await bot.close()


async def test_an_acknowledged_incident_is_not_auto_resolved(tmp_path, double):
    bot = await start(tmp_path, double, config=AUTO)
    try:
        await bot.alert("alertmanager", alertmanager([FIRST]))
        await bot.command("ack INC-1", user="U0BOB")
        await bot.alert("alertmanager", alertmanager([resolved(FIRST)]))
        [(state,)] = rows(db(bot), "SELECT status FROM incidents")
        assert state == "acknowledged"
        await bot.deliver()
        assert replies(double)[-1].endswith(
            "All alerts resolved. <@U0BOB> acknowledged INC-1, so it stays open: "
            "resolve it when you are done."
        )
    finally:
        await bot.close()


async def test_flapping_group_reopens_its_incident_within_the_window(bot, double):
    await bot.alert("alertmanager", alertmanager([FIRST]))
    await bot.command("resolve INC-1 flaky probe")
    bot.clock.advance(timedelta(minutes=5))
    await bot.alert("alertmanager", alertmanager([resolved(FIRST)]))
    bot.clock.advance(timedelta(minutes=20))  # reopen_within: 30m of the incident's resolve
    again = {**FIRST, "startsAt": "2026-03-02T09:24:00Z"}
    status, answer = await bot.alert("alertmanager", alertmanager([again]))
    assert (answer["outcome"], answer["incident"]) == ("reopen", "INC-1")
    assert count(db(bot), "incidents") == 1
    [(state,)] = rows(db(bot), "SELECT status FROM incidents")
    assert state == "declared"
    await bot.deliver()
    thread = replies(double)
    reopened = next(t for t in thread if "reopened INC-1" in t)
    assert reopened.startswith(":leftwards_arrow_with_hook: Alertmanager reopened INC-1.")
    assert "Reason: its alerts are firing again" in reopened
    assert "firing again *HighErrorRate*" in thread[-1]


async def test_firing_again_after_the_window_opens_a_new_incident(bot, double):
    await bot.alert("alertmanager", alertmanager([FIRST]))
    await bot.alert("alertmanager", alertmanager([resolved(FIRST)]))
    await bot.command("resolve INC-1")
    bot.clock.advance(timedelta(minutes=31))
    again = {**FIRST, "startsAt": "2026-03-02T09:31:00Z"}
    status, answer = await bot.alert("alertmanager", alertmanager([again]))
    assert (answer["outcome"], answer["incident"]) == ("open", "INC-2")
    # the group moved on to the new incident
    await bot.alert("alertmanager", alertmanager([again, SECOND]))
    assert rows(
        db(bot), "SELECT incident_id FROM alert_notifications ORDER BY id DESC LIMIT 1"
    ) == [(2,)]


async def test_a_late_older_notification_does_not_undo_a_newer_one(bot, double):
    await bot.alert("alertmanager", alertmanager([FIRST]))
    await bot.alert("alertmanager", alertmanager([resolved(FIRST)]))
    status, answer = await bot.alert("alertmanager", alertmanager([FIRST]))  # a retry, late
    assert answer["outcome"] == "unchanged"
    assert rows(db(bot), "SELECT status FROM alerts") == [("resolved",)]


async def test_escalation_starts_for_an_alert_opened_incident_as_for_a_declared_one(bot, double):
    await bot.alert("alertmanager", alertmanager([am_alert("Slow", "s1", severity="error")]))
    await bot.command("declare sev2 Declared by hand")
    await bot.deliver()
    [page] = double.messages(double.dm_channel("U0AAA"))  # both pages due at once: one DM
    assert "2 incidents" in page["text"] and "INC-1" in page["text"] and "INC-2" in page["text"]
    timers = rows(
        db(bot), "SELECT incident_id, due_at FROM timers WHERE kind = 'escalate' ORDER BY 1"
    )
    assert [t[1] for t in timers] == ["2026-03-02 10:00:00.000000"] * 2  # SEV2: ack within 1h
    await bot.advance(timedelta(hours=1))
    assert rows(
        db(bot), "SELECT incident_id, actor FROM events WHERE kind = 'escalated' ORDER BY 1"
    ) == [(1, "firebell"), (2, "firebell")]
    await bot.deliver()
    assert sorted(dms(double)) == ["U0AAA", "U0LEAD"]  # each person's two pages in one DM
    assert any("Firebell escalated INC-1 to level 2: <@U0LEAD>." in r for r in replies(double, 1))
    # and an acknowledgement stops it, as for any incident
    await bot.click(Action.ACK, "1", user="U0LEAD")
    await bot.advance(timedelta(days=1))
    assert count(db(bot), "events", "kind = 'escalated' AND incident_id = 1") == 1


# -- Grafana ----------------------------------------------------------------------------------

G1 = grafana_alert("ApiLatencyHigh", "c6eadffa33fcdf37", severity="critical")
G2 = grafana_alert("ApiLatencyHigh", "bc97ff14869b13e3", severity="critical", service="api")


def g_resolved(alert: dict) -> dict:
    return {**alert, "status": "resolved", "endsAt": "2026-03-02T10:12:10+01:00"}


async def test_grafana_firing_repeat_partial_and_resolved(bot, double):
    status, answer = await bot.alert("grafana", grafana([G1]))
    assert (answer["outcome"], answer["incident"]) == ("open", "INC-1")
    assert (await bot.alert("grafana", grafana([G1])))[1]["outcome"] == "unchanged"
    await bot.deliver()
    text = card_text(card_of(double))
    assert "*Alerts* (Grafana): 1 of 1 firing" in text
    assert "<https://grafana.example.com/d/api-overview?orgId=1|Dashboard>" in text
    assert "<https://grafana.example.com/d/api-overview?orgId=1&amp;viewPanel=4|Panel>" in text or (
        "<https://grafana.example.com/d/api-overview?orgId=1&viewPanel=4|Panel>" in text
    )
    assert "|Silence>" in text and "<https://grafana.example.com/|Grafana>" in text
    assert "Declared by*\nGrafana" in text
    first = replies(double)[-1]
    assert "firing *ApiLatencyHigh*" in first and "B=2.731, C=1" in first

    await bot.alert("grafana", grafana([G1, G2]))
    await bot.alert("grafana", grafana([g_resolved(G1), G2]))
    await bot.deliver()
    assert "1 of 2 firing" in card_text(card_of(double))
    status, answer = await bot.alert("grafana", grafana([g_resolved(G1), g_resolved(G2)]))
    assert answer["outcome"] == "update"
    await bot.deliver()
    thread = replies(double)
    assert "All alerts resolved. Resolve INC-1 when you are done." in thread[-1]
    assert count(db(bot), "incidents") == 1


# -- generic ----------------------------------------------------------------------------------


async def test_generic_alerts_open_group_and_resolve(bot, double):
    body = generic(tenant="acme", details="pg_dump exited 2", url="https://ci.example.com/jobs/42")
    status, answer = await bot.alert("generic", body)
    assert (answer["outcome"], answer["incident"]) == ("open", "INC-1")
    [(severity, service, tenants, description)] = rows(
        db(bot), "SELECT severity, service, tenants, description FROM incidents"
    )
    assert (severity, service, tenants, description) == (
        "SEV2",
        "storage",
        '["acme"]',
        "pg_dump exited 2",
    )
    assert (await bot.alert("generic", body))[1]["outcome"] == "unchanged"
    resolved_body = {**body, "status": "resolved"}
    assert (await bot.alert("generic", resolved_body))[1]["outcome"] == "update"
    again = await bot.alert("generic", body)  # generic alerts have no start time: fires again
    assert again[1]["outcome"] == "update"
    await bot.deliver()
    thread = replies(double)
    assert "Declared by*\nAlert webhook" in card_text(card_of(double))
    assert "<https://ci.example.com/jobs/42|Source>" in card_text(card_of(double))
    assert any("firing again *Nightly backup failed*" in t for t in thread)
    assert count(db(bot), "incidents") == 1


async def test_user_text_in_alerts_is_escaped(bot, double):
    body = generic("<!channel> disk <https://evil.example|bank> & more", dedup_key="esc")
    await bot.alert("generic", body)
    await bot.deliver()
    everything = "\n".join(m["text"] for m in double.messages(CHANNEL))
    assert "<!channel>" not in everything and "<https://evil.example|bank>" not in everything
    assert "&lt;!channel&gt; disk" in everything


# -- severities that only post ----------------------------------------------------------------

QUIET = (
    CONFIG
    + """
alerts:
  open_incidents: [SEV1, SEV2]
"""
)


async def test_a_severity_that_opens_no_incident_is_posted_quietly(tmp_path, double):
    bot = await start(tmp_path, double, config=QUIET)
    try:
        warning = am_alert("DiskFilling", "d1", severity="warning", service="storage")
        status, answer = await bot.alert("alertmanager", alertmanager([warning]))
        assert (answer["outcome"], answer["incident"]) == ("post", None)
        assert (await bot.alert("alertmanager", alertmanager([warning])))[1][
            "outcome"
        ] == "unchanged"
        await bot.alert("alertmanager", alertmanager([resolved(warning)]))
        await bot.deliver()
        assert count(db(bot), "incidents") == 0
        posts = double.messages(CHANNEL)
        assert len(posts) == 1  # the two posts went out together
        text = "\n".join(b["text"]["text"] for b in posts[0]["blocks"])
        assert "*Alertmanager*: [SEV3] DiskFilling on api-1.prod:9100" in text
        assert "SEV3 alerts open no incident." in text
        assert "all alerts resolved" in text
        assert "<@" not in text and "<!" not in text
        assert dms(double) == []
    finally:
        await bot.close()


async def test_show_lists_alert_notifications_in_the_timeline(bot, double):
    await bot.alert("alertmanager", alertmanager([FIRST]))
    await bot.alert("alertmanager", alertmanager([FIRST, SECOND]))
    answer = await bot.command("show INC-1")
    timeline = answer["blocks"][-1]["text"]["text"]
    assert "Alertmanager declared INC-1 (SEV1)" in timeline
    assert ":bell: *Alertmanager*: 1 new · 2 of 2 alerts firing" in timeline
    assert "/incident maintenance &lt;duration&gt;" in (await bot.command("help"))["text"]
