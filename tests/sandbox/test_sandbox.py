"""The sandbox without a browser: what the page's buttons do, through the real bot.

Every interaction here goes the way the page sends it: the workspace signs it in Slack's format
and posts it to the bot's `POST /slack/events`, where Bolt verifies the signature; what the
bot does comes back through the stand-in's Web API. Waits are conditions on the stand-in.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.sandbox.runner import Sandbox
from tests.support.slack_views import buttons, card_of, card_text, cards, replies

SHIPPED = Path(__file__).parents[2] / "config" / "sandbox.yml"
INCIDENTS = "C0INCIDENTS"
ALICE, BOB = "U0ALICE", "U0BOB"


@pytest.fixture
async def sandbox(tmp_path):
    running = await Sandbox(SHIPPED, port=0, database=tmp_path / "sandbox.db").start()
    yield running
    await running.stop()


def current_card(sandbox: Sandbox) -> dict:
    """INC-1's card as the sandbox's incident channel shows it now."""
    return card_of(sandbox.standin, channel=INCIDENTS)


def thread_texts(sandbox: Sandbox) -> list[str]:
    """The text of each reply under INC-1's card."""
    return replies(sandbox.standin, channel=INCIDENTS)


def actions(card: dict) -> int:
    return next(i for i, b in enumerate(card["blocks"]) if b["type"] == "actions")


async def until(sandbox: Sandbox, predicate, what: str, within: float = 10.0) -> None:
    await sandbox.standin.wait_until(predicate, within=within, what=what)


async def declared(sandbox: Sandbox, text: str = "declare sev2 Checkout is failing") -> dict:
    answer = await sandbox.workspace.type(ALICE, INCIDENTS, f"/incident {text}")
    assert answer == {"ok": True}
    await until(
        sandbox,
        lambda: cards(sandbox.standin, channel=INCIDENTS) and thread_texts(sandbox),
        "the card and its thread",
    )
    return current_card(sandbox)


async def click(sandbox: Sandbox, action_id: str, user: str = ALICE, selected=None) -> dict:
    card = current_card(sandbox)
    return await sandbox.workspace.click(
        user,
        block_index=actions(card),
        action_id=action_id,
        channel=INCIDENTS,
        ts=card["ts"],
        selected=selected,
    )


async def test_a_whole_incident_from_the_message_box_to_resolved(sandbox):
    card = await declared(sandbox)
    assert "INC-1 · Checkout is failing" in card_text(card)
    [note] = sandbox.standin.ephemerals  # the command's answer, as Slack shows an ack's body
    assert note["user"] == ALICE and note["text"].startswith("Declared INC-1 (SEV2)")

    assert await click(sandbox, "incident_ack", user=BOB) == {"ok": True}
    await until(
        sandbox, lambda: "Acknowledged by <@U0BOB>" in card_text(current_card(sandbox)), "ack"
    )
    await until(
        sandbox, lambda: "acknowledged INC-1" in thread_texts(sandbox)[-1], "the ack's reply"
    )

    assert await click(sandbox, "incident_update", user=BOB) == {"ok": True}
    await until(sandbox, lambda: sandbox.standin.views, "the update modal")
    [view] = sandbox.standin.views.values()
    assert view["user"] == BOB and view["callback_id"] == "update_modal"
    index = {b.get("block_id"): str(i) for i, b in enumerate(view["blocks"])}
    bad = {index["text"]: {"value": "Rolled back"}, index["eta"]: {"value": "soon"}}
    answer = await sandbox.workspace.submit(BOB, view["id"], bad)
    assert answer["ok"] is False and "is not a duration" in answer["errors"]["eta"]
    assert view["id"] in sandbox.standin.views  # the modal stays open with the error
    good = {index["text"]: {"value": "Rolled back"}, index["eta"]: {"value": "30m"}}
    assert await sandbox.workspace.submit(BOB, view["id"], good) == {"ok": True}
    assert not sandbox.standin.views
    await until(
        sandbox, lambda: "Update from <@U0BOB>: Rolled back" in thread_texts(sandbox)[-1], "update"
    )

    assert await click(sandbox, "incident_resolve") == {"ok": True}  # asks for a summary
    await until(sandbox, lambda: sandbox.standin.views, "the resolve modal")
    [view] = sandbox.standin.views.values()
    assert view["user"] == ALICE and view["callback_id"] == "resolve_modal"
    index = {b.get("block_id"): str(i) for i, b in enumerate(view["blocks"])}
    summary = {index["summary"]: {"value": "A bad deploy, rolled back"}}
    assert await sandbox.workspace.submit(ALICE, view["id"], summary) == {"ok": True}
    await until(
        sandbox, lambda: "Resolved by <@U0ALICE>" in card_text(current_card(sandbox)), "resolve"
    )
    await until(
        sandbox, lambda: "Summary: A bad deploy" in thread_texts(sandbox)[-1], "the summary"
    )
    await until(
        sandbox, lambda: "incident_reopen" in buttons(current_card(sandbox)), "Reopen button"
    )


async def test_the_severity_select_sends_the_option_slack_would(sandbox):
    await declared(sandbox)
    card = current_card(sandbox)
    select = next(
        e for e in card["blocks"][actions(card)]["elements"] if e["type"] == "static_select"
    )
    sev1 = next(o["value"] for o in select["options"] if o["value"].endswith(":SEV1"))
    assert await click(sandbox, "incident_severity", selected=sev1) == {"ok": True}
    await until(sandbox, lambda: "*Severity*\nSEV1" in card_text(current_card(sandbox)), "SEV1")


async def test_the_declare_form_opens_for_a_bare_command_and_declares(sandbox):
    assert await sandbox.workspace.type(BOB, INCIDENTS, "/incident") == {"ok": True}
    await until(sandbox, lambda: sandbox.standin.views, "the declare modal")
    [view] = sandbox.standin.views.values()
    index = {b.get("block_id"): str(i) for i, b in enumerate(view["blocks"])}
    values = {index["title"]: {"value": "Search is slow"}, index["severity"]: {"selected": "SEV3"}}
    assert await sandbox.workspace.submit(BOB, view["id"], values) == {"ok": True}
    await until(sandbox, lambda: cards(sandbox.standin, channel=INCIDENTS), "the card")
    assert "INC-1 · Search is slow" in card_text(current_card(sandbox))
    assert "SEV3" in card_text(current_card(sandbox))


async def test_app_home_is_published_when_opened(sandbox):
    assert await sandbox.workspace.open_home(ALICE) == {"ok": True}
    await until(sandbox, lambda: ALICE in sandbox.standin.home_views, "the App Home")
    home = json.dumps(sandbox.standin.home_views[ALICE]["blocks"])
    assert "On call" in home and "Open incidents" in home


async def test_what_slack_itself_answers(sandbox):
    ws = sandbox.workspace
    assert (await ws.type(ALICE, INCIDENTS, "/deploy now"))["error"] == "invalid_command"
    card = await declared(sandbox)
    refused = await ws.type(ALICE, INCIDENTS, "/incident list", thread_ts=card["ts"])
    assert refused["error"] == "not_in_threads"
    said = [e["text"] for e in sandbox.standin.ephemerals if e["slackbot"]]
    assert "`/deploy` is not a valid command" in said[0]
    assert "not supported in threads" in said[1]
    posted = await ws.type(BOB, INCIDENTS, "looking at it", thread_ts=card["ts"])
    assert sandbox.standin.message(INCIDENTS, posted["ts"])["user"] == BOB


async def test_requests_are_verified_by_the_bot_with_the_sessions_secret(sandbox):
    ws = sandbox.workspace
    ws.connect(ws.app_url, "not-the-secret")
    answer = await ws.type(ALICE, INCIDENTS, "/incident declare sev1 forged")
    assert answer == {"ok": False, "error": "dispatch_failed"}
    assert 'failed with the error "dispatch_failed"' in sandbox.standin.ephemerals[-1]["text"]
    assert cards(sandbox.standin, channel=INCIDENTS) == []


async def test_the_fast_clock_runs_escalations_and_handovers(sandbox):
    await declared(sandbox)  # SEV2: acknowledge within 10 minutes
    sandbox.workspace.skip(11)  # sandbox time 08:50 -> 09:01: past the deadline and 09:00
    await until(
        sandbox,
        lambda: any("escalated INC-1 to level 2" in t for t in thread_texts(sandbox)),
        "esc",
    )
    await until(
        sandbox,
        lambda: any(
            "Handover for *primary*" in m["text"] for m in sandbox.standin.messages(INCIDENTS)
        ),
        "the 09:00 handover",
    )
    state = sandbox.workspace.set_rate(60)["clock"]
    assert state["rate"] == 60 and state["timezone"] == "Europe/Berlin"


async def test_reset_starts_over_with_a_fresh_database(sandbox):
    await declared(sandbox)
    start = sandbox.loaded.spec.start_instant(sandbox.loaded.config)
    sandbox.workspace.skip(120)
    await sandbox.workspace.reset()
    assert sandbox.standin.messages(INCIDENTS) == [] and sandbox.standin.ephemerals == []
    assert start <= sandbox.clock.now() < start + timedelta(minutes=5)  # back at its start
    card = await declared(sandbox, "declare sev3 Again")
    assert "INC-1 · Again" in card_text(card)  # numbering starts over: a fresh database


async def test_reset_keeps_the_bots_address_and_new_messages_carry_the_new_time(sandbox):
    port = sandbox.bot.port  # as printed at start: "Firebell itself listens on ..."
    start = sandbox.loaded.spec.start_instant(sandbox.loaded.config)
    await declared(sandbox)
    sandbox.workspace.skip(180)
    said = await sandbox.workspace.type(BOB, INCIDENTS, "three hours on, still looking")
    assert float(said["ts"]) >= (start + timedelta(hours=3)).timestamp()

    assert await sandbox.workspace.reset() == {"ok": True}
    assert sandbox.bot.port == port
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/healthz") as health,
    ):
        assert health.status == 200
    card = await declared(sandbox, "declare sev3 After the reset")
    first = [m for m in sandbox.standin.messages(INCIDENTS) if m["ts"] == card["ts"]]
    assert (
        first and start.timestamp() <= float(card["ts"]) < (start + timedelta(hours=1)).timestamp()
    )
    assert all(
        float(r["ts"]) < (start + timedelta(hours=1)).timestamp()
        for r in sandbox.standin.messages(INCIDENTS)
    )


async def test_the_page_and_its_api_refuse_what_a_page_would_not_send(sandbox):
    base = sandbox.url.removesuffix("/sandbox")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/sandbox") as page:
            assert page.status == 200
            assert "script-src 'self'" in page.headers["Content-Security-Policy"]
            assert "<script" in await page.text()
        async with http.post(f"{base}/sandbox/api/type", data={"text": "x"}) as form:
            assert form.status == 415
        async with http.post(
            f"{base}/sandbox/api/reset", json={}, headers={"Origin": "https://evil.example"}
        ) as foreign:
            assert foreign.status == 403
        async with http.post(
            f"{base}/sandbox/api/type", json={"user": "U0NOBODY", "channel": INCIDENTS, "text": "x"}
        ) as unknown:
            assert unknown.status == 400 and "no user" in (await unknown.json())["error"]
        async with http.get(f"{base}/sandbox/events") as stream:
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            line = await stream.content.readline()
            first = json.loads(line.decode().removeprefix("data: "))
            assert first["kind"] == "snapshot"
            assert first["data"]["incident_channel"] == INCIDENTS
            assert {u["id"] for u in first["data"]["users"]} >= {ALICE, BOB}
