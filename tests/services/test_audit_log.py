"""The audit log, end to end: every change, from any source, and every refusal is one row,
written in the transaction of the change; views and deliveries write none; the chain holds.

Each step is driven the way it happens in production (signed Slack requests, webhook POSTs,
the timer loop on the manual clock, a restart) and watched with `Watch`: exactly the rows the
step appended, each with who (`actor`), from where (`source`), what (`action`, `target`,
`outcome`) and the fields it changed. The harness clock starts Monday 2026-03-02 09:00 UTC.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from bot.config import parse_config
from bot.core.audit import stamp
from bot.services import audit
from bot.services.incidents import declare_in
from bot.slack.ids import Action, Shortcut, View
from bot.slack.listeners.outcomes import OOPS
from bot.store.db import Database
from tests.support import alerts, database, sentry, signing, teams
from tests.support.audit import (
    Watch,
    brief,
    crash_on_insert,
    head,
    log,
    moved,
    stop_crashing,
    verified,
)
from tests.support.db import count, rows
from tests.support.harness import CHANNEL, CONFIG, COVERED, Bot, modal_values
from tests.support.shortcuts import message_action_body, reaction_event

ADMINS = alerts.ALERTS_CONFIG + 'admins: ["@U0ROOT"]\n'
AUTO_RESOLVE = alerts.ALERTS_CONFIG.replace("auto_resolve: false", "auto_resolve: true")


async def one(bot, step) -> dict:
    """Run `step` (an awaitable); the one row it appended."""
    async with Watch(bot) as new:
        await step
    return new.one


async def nothing(bot, step) -> None:
    """Run `step`; it appends no row."""
    async with Watch(bot) as new:
        await step
    assert new.rows == [], [brief(r) for r in new.rows]


# -- incidents, from commands, buttons and modals ---------------------------------------------


async def test_each_change_to_an_incident_is_one_row_with_who_where_and_what(bot, double):
    row = await one(bot, bot.command("declare sev2 Checkout API 500s service:api tenant:acme"))
    assert brief(row) == ("U0ALICE", "command", "declare", "INC-1", "done")
    assert row["at"] == stamp(bot.clock.now()) and row["before"] is None
    assert {k: row["after"][k] for k in ("title", "severity", "status", "service", "tenants")} == {
        "title": "Checkout API 500s",
        "severity": "SEV2",
        "status": "declared",
        "service": "api",
        "tenants": ["acme"],
    }
    assert row["after"]["notified"] == ["U0AAA"]  # who the page reached

    bot.clock.advance(timedelta(minutes=4))
    row = await one(bot, bot.click(Action.ACK, "1", user="U0BOB"))
    assert brief(row) == ("U0BOB", "button", "acknowledge", "INC-1", "done")
    assert moved(row, "status", "acknowledged_by", "acknowledged_at") == {
        "status": ("declared", "acknowledged"),
        "acknowledged_by": (None, "U0BOB"),
        "acknowledged_at": (None, stamp(bot.clock.now())),
    }
    assert "escalation_fence" not in row["before"] | row["after"]  # bookkeeping stays out

    row = await one(bot, bot.command("escalate INC-1 need the lead", user="U0BOB"))
    assert brief(row) == ("U0BOB", "command", "escalate", "INC-1", "done")
    assert moved(row, "escalation_level") == {"escalation_level": (0, 1)}
    row = await one(bot, bot.click(Action.ESCALATE, "1", user="U0CAROL"))
    assert brief(row) == ("U0CAROL", "button", "escalate", "INC-1", "done")
    assert moved(row, "escalation_level") == {"escalation_level": (1, 2)}

    row = await one(bot, bot.command("update INC-1 Rolled back the deploy eta 30m"))
    assert brief(row) == ("U0ALICE", "command", "update", "INC-1", "done")
    assert moved(row, "last_update_at") == {"last_update_at": (None, stamp(bot.clock.now()))}
    assert row["after"]["eta_at"] == stamp(bot.clock.now() + timedelta(minutes=30))
    modal = bot.submit(
        View.UPDATE, modal_values(text="Error rate normal", eta="15m"), private_metadata="1"
    )
    assert brief(await one(bot, modal)) == ("U0ALICE", "modal", "update", "INC-1", "done")

    row = await one(bot, bot.command("sev INC-1 1"))
    assert brief(row) == ("U0ALICE", "command", "severity", "INC-1", "done")
    assert moved(row, "severity") == {"severity": ("SEV2", "SEV1")}
    option = {"text": {"type": "plain_text", "text": "SEV3"}, "value": "1:SEV3"}
    row = await one(bot, bot.click(Action.SEVERITY, None, selected_option=option))
    assert brief(row) == ("U0ALICE", "button", "severity", "INC-1", "done")
    assert moved(row, "severity") == {"severity": ("SEV1", "SEV3")}

    row = await one(bot, bot.command("assign INC-1 commander <@U0DAVE|dave>"))
    assert brief(row) == ("U0ALICE", "command", "assign", "INC-1", "done")
    assert moved(row, "commander") == {"commander": (None, "U0DAVE")}
    row = await one(bot, bot.command("assign INC-1 comms U0ERIN"))
    assert moved(row, "comms_lead") == {"comms_lead": (None, "U0ERIN")}

    row = await one(bot, bot.command("resolve INC-1 rolled back", user="U0BOB"))
    assert brief(row) == ("U0BOB", "command", "resolve", "INC-1", "done")
    assert moved(row, "status", "summary") == {
        "status": ("acknowledged", "resolved"),
        "summary": (None, "rolled back"),
    }
    row = await one(bot, bot.click(Action.REOPEN, "1", user="U0BOB"))  # a responder
    assert brief(row) == ("U0BOB", "button", "reopen", "INC-1", "done")
    assert moved(row, "status", "resolved_by") == {
        "status": ("resolved", "declared"),
        "resolved_by": ("U0BOB", None),
    }
    row = await one(bot, bot.submit(View.RESOLVE, modal_values(summary=""), private_metadata="1"))
    assert brief(row) == ("U0ALICE", "modal", "resolve", "INC-1", "done")
    row = await one(bot, bot.command("reopen INC-1 errors are back"))
    assert brief(row) == ("U0ALICE", "command", "reopen", "INC-1", "done")

    assert len(await verified(bot)) == 1 + 14  # the config's first load, then one per change


async def test_a_refused_change_to_an_incident_is_one_denied_row_and_nothing_else(bot, double):
    await bot.command("declare sev2 Checkout API 500s")
    await bot.deliver()
    incident = rows(bot, "SELECT * FROM incidents")
    outbox, events = count(bot, "outbox"), count(bot, "events")
    row = await one(bot, bot.command("resolve INC-1 not mine", user="U0MALLORY"))
    assert brief(row) == ("U0MALLORY", "command", "resolve", "INC-1", "denied")
    row = await one(bot, bot.click(Action.REOPEN, "1", user="U0MALLORY"))
    assert brief(row) == ("U0MALLORY", "button", "reopen", "INC-1", "denied")
    assert rows(bot, "SELECT * FROM incidents") == incident and count(bot, "events") == events
    assert count(bot, "outbox") == outbox + 1  # only the private answer to the button
    form = bot.submit(
        View.RESOLVE, modal_values(summary="mine"), user="U0MALLORY", private_metadata="1"
    )
    row = await one(bot, form)
    assert brief(row) == ("U0MALLORY", "modal", "resolve", "INC-1", "denied")
    assert rows(bot, "SELECT * FROM incidents") == incident and count(bot, "events") == events
    assert count(bot, "outbox") == outbox + 1  # the form says why itself
    await verified(bot)


async def test_a_request_sent_again_adds_no_row(bot, double):
    await bot.command("declare sev2 Queue backlog growing")
    body, sent = signing.block_actions_body(Action.ACK, value="1", user_id="U0BOB"), time.time()
    row = await one(bot, bot.post_signed(body, timestamp=int(sent)))
    assert brief(row) == ("U0BOB", "button", "acknowledge", "INC-1", "done")
    async with Watch(bot) as new:
        replayed = await bot.post_signed(body, timestamp=int(sent))
    assert replayed.status == 409 and new.rows == []


async def test_a_declaration_by_modal_is_recorded_as_from_the_modal(bot, double):
    values = modal_values(title="Uploads failing", severity="SEV2", service="api")
    row = await one(bot, bot.submit(View.DECLARE, values, private_metadata="C0OTHER"))
    assert brief(row) == ("U0ALICE", "modal", "declare", "INC-1", "done")
    assert row["after"]["title"] == "Uploads failing" and row["after"]["severity"] == "SEV2"
    await verified(bot)


async def test_views_and_deliveries_write_no_row(bot, double):
    await bot.command("declare sev2 Login errors")
    await nothing(bot, bot.deliver())  # posting what changed is not a change
    for text in ("list", "show INC-1", "oncall", "override list", "maintenance list", "help"):
        await nothing(bot, bot.command(text))
    event = {"type": "app_home_opened", "user": "U0ALICE", "channel": "D0HOME", "tab": "home"}
    await nothing(bot, bot.post_signed(signing.event_body(event)))
    await double.wait_for("views.publish")
    await nothing(bot, bot.deliver())
    assert len(await verified(bot)) == 2


async def test_a_message_added_to_the_timeline_is_recorded_as_from_its_gesture(bot, double):
    await bot.command("declare sev2 Disk full")
    await bot.deliver()
    [card] = double.messages(CHANNEL, top_level_only=True)
    said = double.post_as_user(CHANNEL, "U0BOB", "Freed 40 GB", thread_ts=card["ts"])
    message = {k: v for k, v in said.items() if v is not None}
    # the reaction only queues reading the message; the sender adds it: that is the change
    react = reaction_event("U0CAROL", "pushpin", CHANNEL, message["ts"])
    await nothing(bot, bot.post_signed(signing.event_body(react)))
    row = await one(bot, bot.deliver())
    assert brief(row) == ("U0CAROL", "reaction", "timeline.add", "INC-1", "done")
    assert row["after"]["text"] == "Freed 40 GB" and row["after"]["author"] == "U0BOB"

    said = double.post_as_user(CHANNEL, "U0BOB", "Rotated the logs", thread_ts=card["ts"])
    message = {k: v for k, v in said.items() if v is not None}
    body = message_action_body(Shortcut.ADD_TO_TIMELINE, message, user_id="U0DAN")
    row = await one(bot, bot.post_signed(body))
    assert brief(row) == ("U0DAN", "shortcut", "timeline.add", "INC-1", "done")
    await nothing(bot, bot.deliver())
    await verified(bot)


async def test_a_snooze_is_recorded_and_the_reminders_themselves_are_not(bot, double):
    await bot.command("declare sev1 Database failover")
    await bot.command("ack INC-1", user="U0AAA")
    await nothing(bot, bot.advance(timedelta(minutes=35)))  # a reminder at 09:30: a post
    row = await one(bot, bot.click(Action.SNOOZE, "1", user="U0BOB"))
    assert brief(row) == ("U0BOB", "button", "reminder.snooze", "INC-1", "done")
    assert row["after"] == {"until": (bot.clock.now() + timedelta(minutes=30)).isoformat()}
    await verified(bot)


async def test_a_transfer_is_one_row_naming_both_teams(tmp_path, double):
    bot = await Bot(tmp_path, double, config=teams.CONFIG).start()
    try:
        await bot.command("declare sev1 Checkout errors service:api")
        row = await one(bot, bot.command("transfer INC-1 payments", user="U0PLAT"))
        assert brief(row) == ("U0PLAT", "command", "transfer", "INC-1", "done")
        assert moved(row, "team") == {"team": ("platform", "payments")}
        await verified(bot)
    finally:
        await bot.close()


# -- overrides and maintenance windows, and their refusals ------------------------------------


async def test_overrides_are_recorded_and_a_non_member_is_denied_changing_nothing(bot, double):
    row = await one(bot, bot.command("override primary <@U0BOB|bob> 4h", user="U0AAA"))
    assert brief(row) == ("U0AAA", "command", "override.add", "override:1", "done")
    assert row["after"] == {
        "rotation": "primary",
        "user": "U0BOB",
        "starts_at": stamp(bot.clock.now()),
        "ends_at": stamp(bot.clock.now() + timedelta(hours=4)),
    }
    row = await one(bot, bot.command("override primary <@U0EVE> 4h", user="U0MALLORY"))
    assert brief(row) == ("U0MALLORY", "command", "override.add", "rotation:primary", "denied")
    row = await one(bot, bot.command("override remove 1", user="U0MALLORY"))
    assert brief(row) == ("U0MALLORY", "command", "override.remove", "override:1", "denied")
    assert rows(bot, "SELECT id, user_id, removed_at FROM overrides") == [(1, "U0BOB", None)]

    row = await one(bot, bot.command("override remove 1", user="U0BBB"))
    assert brief(row) == ("U0BBB", "command", "override.remove", "override:1", "done")
    assert row["after"]["removed_by"] == "U0BBB"
    assert count(bot, "overrides", "removed_at IS NOT NULL") == 1
    await verified(bot)


async def test_maintenance_is_recorded_and_a_non_admin_is_denied_every_service(tmp_path, double):
    bot = await alerts.start(tmp_path, double, config=ADMINS)
    try:
        row = await one(bot, bot.command("maintenance 2h all", user="U0MALLORY"))
        assert row["outcome"] == "denied"
        assert row["actor"] == "U0MALLORY" and row["action"] == "maintenance.start"
        assert count(bot, "maintenance_windows") == 0 and count(bot, "outbox") == 0

        row = await one(bot, bot.command("maintenance 2h api deploy", user="U0ROOT"))
        assert brief(row) == ("U0ROOT", "command", "maintenance.start", "maintenance:1", "done")
        assert {k: row["after"][k] for k in ("service", "reason", "ends_at")} == {
            "service": "api",
            "reason": "deploy",
            "ends_at": stamp(bot.clock.now() + timedelta(hours=2)),
        }
        row = await one(bot, bot.command("maintenance end 1", user="U0MALLORY"))
        assert brief(row) == ("U0MALLORY", "command", "maintenance.end", "maintenance:1", "denied")
        assert count(bot, "maintenance_windows", "ended_at IS NULL") == 1

        bot.clock.advance(timedelta(minutes=10))
        row = await one(bot, bot.command("maintenance end 1", user="U0ROOT"))
        assert brief(row) == ("U0ROOT", "command", "maintenance.end", "maintenance:1", "done")
        assert moved(row, "ends_at") == {
            "ends_at": (stamp(bot.clock.now() + timedelta(minutes=110)), stamp(bot.clock.now()))
        }
        row = await one(bot, bot.command("maintenance 1h all", user="U0ROOT"))
        assert brief(row) == ("U0ROOT", "command", "maintenance.start", "maintenance:2", "done")
        assert row["after"]["service"] is None
        await verified(bot)
    finally:
        await bot.close()


# -- alert webhooks ---------------------------------------------------------------------------

API_DOWN = alerts.am_alert("ApiDown", "a1")
API_2_DOWN = alerts.am_alert("ApiDown", "a2", instance="api-2.prod:9100")


def resolved(alert: dict) -> dict:
    return {**alert, "status": "resolved", "endsAt": "2026-03-02T09:10:00Z"}


async def test_a_webhook_is_one_row_by_its_source(tmp_path, double):
    env = {"firebell_alerts_token": alerts.TOKEN}
    env["firebell_sentry_client_secret"] = sentry.CLIENT_SECRET
    bot = await sentry.start(tmp_path, double, env=env)
    try:
        row = await one(bot, bot.alert("alertmanager", alerts.alertmanager([API_DOWN])))
        assert brief(row) == ("alertmanager", "webhook", "declare", "INC-1", "done")
        assert {k: row["after"][k] for k in ("title", "severity", "service", "source")} == {
            "title": "ApiDown on api-1.prod:9100",
            "severity": "SEV1",
            "service": "api",
            "source": "alertmanager",
        }
        both = alerts.alertmanager([API_DOWN, API_2_DOWN])
        row = await one(bot, bot.alert("alertmanager", both))
        assert brief(row) == ("alertmanager", "webhook", "alerts", "INC-1", "done")
        assert row["after"]["firing"] == 2
        await nothing(bot, bot.alert("alertmanager", both))  # nothing new: nothing changed
        over = alerts.alertmanager([resolved(API_DOWN), resolved(API_2_DOWN)])
        row = await one(bot, bot.alert("alertmanager", over))
        assert brief(row) == ("alertmanager", "webhook", "alerts", "INC-1", "done")
        assert row["after"]["all_resolved"] is True  # auto_resolve is off: still open

        await bot.command("resolve INC-1", user="U0AAA")  # paged for it: a responder
        again = {**API_DOWN, "startsAt": "2026-03-02T09:20:00Z"}  # firing anew
        row = await one(bot, bot.alert("alertmanager", alerts.alertmanager([again])))
        assert brief(row) == ("alertmanager", "webhook", "reopen", "INC-1", "done")
        assert moved(row, "status") == {"status": ("resolved", "declared")}

        row = await one(bot, bot.alert("generic", alerts.generic()))
        assert brief(row) == ("generic", "webhook", "declare", "INC-2", "done")
        critical = alerts.grafana_alert("ApiLatencyHigh", "g1", severity="critical")
        row = await one(bot, bot.alert("grafana", alerts.grafana([critical])))
        assert brief(row) == ("grafana", "webhook", "declare", "INC-3", "done")
        row = await one(bot, bot.sentry(sentry.issue_alert(level="fatal")))
        assert brief(row) == ("sentry", "webhook", "declare", "INC-4", "done")
        await nothing(bot, bot.deliver())
        await verified(bot)
    finally:
        await bot.close()


async def test_an_incident_its_alerts_resolve_is_one_resolve_row(tmp_path, double):
    bot = await alerts.start(tmp_path, double, config=AUTO_RESOLVE)
    try:
        await bot.alert("alertmanager", alerts.alertmanager([API_DOWN]))
        row = await one(bot, bot.alert("alertmanager", alerts.alertmanager([resolved(API_DOWN)])))
        assert brief(row) == ("alertmanager", "webhook", "resolve", "INC-1", "done")
        assert moved(row, "status", "resolved_by") == {
            "status": ("declared", "resolved"),
            "resolved_by": (None, "alertmanager"),
        }
        await verified(bot)
    finally:
        await bot.close()


# -- timers -----------------------------------------------------------------------------------


async def test_escalation_timers_are_recorded_as_the_timer_and_bookkeeping_is_not(bot, double):
    await bot.command("declare sev2 Queue backlog growing")  # ack within 1h; level 3 after 30m
    await nothing(bot, bot.advance(timedelta(minutes=59)))
    row = await one(bot, bot.advance(timedelta(minutes=1)))
    assert brief(row) == ("timer", "timer", "escalate", "INC-1", "done")
    assert moved(row, "escalation_level") == {"escalation_level": (0, 1)}
    assert row["after"]["escalated_at"] == stamp(bot.clock.now())
    row = await one(bot, bot.advance(timedelta(minutes=30)))
    assert brief(row) == ("timer", "timer", "escalate", "INC-1", "done")
    assert moved(row, "escalation_level") == {"escalation_level": (1, 2)}
    row = await one(bot, bot.advance(timedelta(hours=1)))  # past the last level
    assert brief(row) == ("timer", "timer", "escalation.exhausted", "INC-1", "done")
    assert moved(row, "ack_due_at") == {"ack_due_at": (stamp(bot.clock.now()), None)}
    # reminders, timers gone stale and the outbox: none of it is a change
    await bot.command("ack INC-1")
    await nothing(bot, bot.advance(timedelta(hours=6)))
    await nothing(bot, bot.deliver())
    await verified(bot)


async def test_a_page_when_coverage_resumes_is_recorded_as_the_timer(tmp_path, double):
    bot = Bot(tmp_path, double, config=COVERED)
    bot.clock.advance(timedelta(hours=8))  # 18:00 in Berlin: nobody covers SEV3 until 09:00
    await bot.start()
    try:
        row = await one(bot, bot.command("declare sev3 Slow search"))
        assert row["after"]["waiting_until"] is not None and "notified" not in row["after"]
        await nothing(bot, bot.advance(timedelta(hours=14, minutes=59)))
        row = await one(bot, bot.advance(timedelta(minutes=1)))
        assert brief(row) == ("timer", "timer", "page", "INC-1", "done")
        assert row["after"]["notified"] == ["U0AAA"]
        await verified(bot)
    finally:
        await bot.close()


async def test_alerts_a_maintenance_window_held_back_open_by_the_timer(tmp_path, double):
    bot = await alerts.start(tmp_path, double, config=ADMINS)
    try:
        await bot.command("maintenance 1h api", user="U0ROOT")
        await nothing(bot, bot.alert("alertmanager", alerts.alertmanager([API_DOWN])))
        row = await one(bot, bot.advance(timedelta(hours=1)))  # the window ends; still firing
        assert brief(row) == ("alertmanager", "timer", "declare", "INC-1", "done")
        await verified(bot)
    finally:
        await bot.close()


# -- the config -------------------------------------------------------------------------------


async def test_a_config_load_is_recorded_only_when_its_content_changed(bot, double):
    [loaded] = await verified(bot)
    assert brief(loaded) == ("config", "startup", "config.load", "config", "done")
    assert loaded["before"] is None and len(loaded["after"]["sha256"]) == 64

    await bot.stop()
    await bot.start()  # the same config again
    assert await log(bot) == [loaded]

    await bot.stop()
    bot.config = parse_config(CONFIG.replace("timezone: Europe/Berlin", "timezone: UTC"))
    await bot.start()
    [_, changed] = await verified(bot)
    assert brief(changed) == ("config", "startup", "config.load", "config", "done")
    assert changed["before"] == {"sha256": loaded["after"]["sha256"]}
    assert changed["after"]["sha256"] != loaded["after"]["sha256"]

    await bot.stop()
    bot.config = parse_config(CONFIG)  # back as it was: a change too
    await bot.start()
    assert [r["after"]["sha256"] for r in (await verified(bot))[1:]] == [
        changed["after"]["sha256"],
        loaded["after"]["sha256"],
    ]


# -- one transaction: the change and its row exist together or not at all ---------------------


async def test_a_crash_after_the_row_is_written_leaves_neither_it_nor_the_change(bot, double):
    await bot.command("declare sev2 Payments failing")
    mark = await head(bot)
    events = count(bot, "events")
    crash_on_insert(bot, "outbox")  # each change writes its outbox rows after its audit row
    try:
        assert (await bot.command("ack INC-1", user="U0BOB"))["text"] == OOPS
        assert (await bot.command("declare sev1 Everything is down"))["text"] == OOPS
        assert (await bot.command("maintenance 1h api", user="U0AAA"))["text"] == OOPS
    finally:
        stop_crashing(bot, "outbox")
    assert await head(bot) == mark and len(await log(bot)) == mark[0]
    assert rows(bot, "SELECT id, status, acknowledged_by FROM incidents") == [(1, "declared", None)]
    assert count(bot, "events") == events and count(bot, "maintenance_windows") == 0

    row = await one(bot, bot.command("ack INC-1", user="U0BOB"))  # the same request, now fine
    assert brief(row) == ("U0BOB", "command", "acknowledge", "INC-1", "done")
    assert row["seq"] == mark[0] + 1
    await verified(bot)


async def test_a_row_that_cannot_be_written_takes_its_change_with_it(bot, double):
    await bot.command("declare sev2 Payments failing")
    seq, _ = await head(bot)
    # a row already where the next one goes: the append fails after the change was written
    rows(
        bot,
        "INSERT INTO audit_log (seq, at, actor, source, action, target, outcome, prev_hash, hash)"
        " VALUES (?, ?, 'U0X', 'cli', 'squat', 'x', 'done', ?, ?)",
        seq + 1,
        "2026-03-02 09:00:00.000000+00:00",
        "0" * 64,
        "0" * 64,
    )
    assert (await bot.command("ack INC-1", user="U0BOB"))["text"] == OOPS
    assert rows(bot, "SELECT status FROM incidents") == [("declared",)]
    rows(bot, "DELETE FROM audit_log WHERE action = 'squat'")
    assert brief(await one(bot, bot.command("ack INC-1", user="U0BOB")))[2] == "acknowledge"
    await verified(bot)


async def test_a_failed_use_case_rolls_back_alone_beside_one_that_commits(bot, double):
    """On SQLite both land in one group commit (each in its own savepoint); on PostgreSQL in
    two transactions. The one that raises after declaring leaves no incident and no row."""
    services = bot.app.services
    ctx, now = services.incidents.ctx, bot.clock.now()

    def doomed(conn):
        declare_in(conn, ctx, now, "U0ALICE", "Doomed", "SEV2")
        raise RuntimeError("crash before commit")

    def fine(conn):
        return declare_in(conn, ctx, now, "U0BOB", "Fine", "SEV3")

    async with Watch(bot) as new:
        with audit.origin("cli"):
            failed, declared = await asyncio.gather(
                bot.app.db.write(doomed), bot.app.db.write(fine), return_exceptions=True
            )
    assert isinstance(failed, RuntimeError)
    assert rows(bot, "SELECT id, title FROM incidents") == [(declared.id, "Fine")]
    assert brief(new.one) == ("U0BOB", "cli", "declare", declared.ref, "done")
    assert count(bot, "timers", "incident_id IS NULL OR incident_id <> ?", declared.id) == 0
    await verified(bot)


@pytest.mark.skipif(
    not database.on_postgres(),
    reason=f"two writers at once need PostgreSQL (SQLite has one writer): set {database.ENV}",
)
async def test_replicas_appending_at_once_leave_one_unforked_chain(tmp_path, double):
    first, second = Bot(tmp_path / "a", double), Bot(tmp_path / "b", double)
    database.drop(second.database_url)
    second.database_url = first.database_url  # two replicas, one database
    writers: list[Database] = []
    try:
        await asyncio.gather(first.start(), second.start())
        writers = [Database(first.database_url) for _ in range(2)]
        now = first.clock.now()

        async def append(n: int) -> None:
            with audit.origin("cli"):
                await writers[n % 2].write(
                    lambda conn: audit.note(conn, now, f"U0{n:04d}", "test.append", f"n:{n}")
                )

        declares = [
            bot.command(f"declare sev3 Load {n}", user=f"U0{n:04d}")
            for n in range(20)
            for bot in (first, second)
        ]
        await asyncio.gather(*declares, *(append(n) for n in range(300)))
        found = await verified(first)
        assert len(found) == 1 + 40 + 300  # the config once, though both replicas started
        assert [r["action"] for r in found].count("config.load") == 1
        assert sorted(r["target"] for r in found if r["action"] == "declare") == sorted(
            f"INC-{n}" for n in range(1, 41)
        )
        assert len({r["prev_hash"] for r in found}) == len(found)  # no two rows on one link
    finally:
        for writer in writers:
            await writer.close()
        await second.stop()
        await first.close()
        await second.close()
