"""What the sandbox prints to its terminal: one readable line per thing a person does in the
page, in sandbox time; no JSON. Driven through the page's own API over loopback."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from bot.sandbox import terminal
from bot.sandbox.runner import Sandbox
from tests.support import sandbox_process
from tests.support.slack_views import card_of

SHIPPED = Path(__file__).parents[2] / "config" / "sandbox.yml"
INCIDENTS = "C0INCIDENTS"
STAMP = r"\d\d:\d\d:\d\d"
NAMES = {"U0BOB": "Bob Builder", "C0INCIDENTS": "incidents"}.get


def test_slacks_markup_reads_as_the_page_shows_it():
    said = "Declared *INC-3* (SEV2); its card is going up in <#C0INCIDENTS>. Paging <@U0BOB>."
    assert terminal.plain(said, NAMES) == (
        "Declared INC-3 (SEV2); its card is going up in #incidents. Paging @Bob Builder."
    )
    assert terminal.first_clause(said, NAMES) == "Declared INC-3 (SEV2)"
    assert terminal.first_clause("Acknowledged INC-1.", NAMES) == "Acknowledged INC-1"
    assert terminal.first_clause("`frobnicate` is not a command.\nUsage:", NAMES) == (
        "frobnicate is not a command"
    )
    shown = terminal.plain(
        "<https://x.example/a?b=1&amp;c=2|runbook> <!date^1700000000^{time}|23:13> "
        "<!subteam^S0PRODUCT|@product-leads> <!here> x &lt; y",
        NAMES,
    )
    assert shown == "runbook 23:13 @product-leads @here x < y"
    assert terminal.clip("word " * 40).endswith("…") and len(terminal.clip("word " * 40)) == 100


@pytest.fixture
async def told(tmp_path):
    """The sandbox, serving its page; `.lines` holds what it would print."""
    running = await Sandbox(SHIPPED, port=0, database=tmp_path / "sandbox.db").start()
    running.lines = []
    running.workspace.narrate = running.lines.append
    yield running
    await running.stop()


async def page(sandbox: Sandbox, action: str, **body) -> dict:
    """A call the page makes, from the page's origin."""
    base = sandbox.url.removesuffix("/sandbox")
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base}/sandbox/api/{action}", json=body) as response,
    ):
        return await response.json()


async def test_each_action_is_one_line_saying_who_what_and_what_came_of_it(told):
    said = await page(
        told, "type", user="U0CAROL", channel=INCIDENTS, text="/incident declare Database down"
    )
    assert said == {"ok": True}
    assert re.fullmatch(
        rf"{STAMP} Carol Chen /incident declare Database down -> Declared INC-1 \(SEV\d\)",
        told.lines[-1],
    ), told.lines
    await page(told, "type", user="U0BOB", channel=INCIDENTS, text="/incident frobnicate")
    assert told.lines[-1].endswith(
        "Bob Builder /incident frobnicate -> frobnicate is not a command"
    )

    await told.standin.wait_until(lambda: told.standin.messages(INCIDENTS), what="the card")
    card = card_of(told.standin, channel=INCIDENTS)
    index = next(i for i, b in enumerate(card["blocks"]) if b["type"] == "actions")
    sev1 = next(
        o["value"]
        for e in card["blocks"][index]["elements"]
        for o in e.get("options", [])
        if o["value"].endswith(":SEV1")
    )
    where = {"channel": INCIDENTS, "ts": card["ts"], "block_index": index}
    await page(told, "click", user="U0BOB", action_id="incident_severity", selected=sev1, **where)
    assert re.fullmatch(rf"{STAMP} Bob Builder picked “SEV1” on INC-1 -> ok", told.lines[-1])
    await page(told, "click", user="U0BOB", action_id="incident_resolve", **where)
    assert re.fullmatch(rf"{STAMP} Bob Builder clicked “Resolve” on INC-1 -> ok", told.lines[-1])
    await told.standin.wait_until(lambda: told.standin.views, what="the resolve form")
    [view] = told.standin.views.values()
    await page(told, "submit", user="U0BOB", view_id=view["id"], values={})
    assert re.fullmatch(rf"{STAMP} Bob Builder submitted “Resolve INC-1” -> ok", told.lines[-1])

    await page(told, "type", user="U0BOB", channel=INCIDENTS, text="all good now")
    assert told.lines[-1].endswith("Bob Builder said in #incidents: all good now")
    await page(told, "home", user="U0SAM")
    assert told.lines[-1].endswith("Sam Support opened Firebell's App Home -> ok")
    await page(told, "clock", skip_minutes=15)
    assert told.lines[-1].endswith("Sandbox time skipped 15 minutes ahead")
    await page(told, "reset")
    assert told.lines[-1].endswith(
        "Sandbox reset: a fresh database, an empty workspace, time at its start"
    )
    assert len(told.lines) == 9  # one line per action, nothing else
    assert not any(line.lstrip().startswith("{") for line in told.lines)


def test_firebell_sandbox_prints_the_lines_in_its_terminal(tmp_path):
    with sandbox_process.sandbox(tmp_path) as started:
        assert started.next_line() == "What people do in the page, in sandbox time:"
        body = {
            "user": "U0ALICE",
            "channel": INCIDENTS,
            "text": "/incident declare sev2 Search down",
        }
        request = urllib.request.Request(
            started.page.removesuffix("/sandbox") + "/sandbox/api/type",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=sandbox_process.WAIT) as answer:
            assert json.load(answer) == {"ok": True}
        line = started.next_line("Alice")
        assert re.fullmatch(
            rf"{STAMP} Alice Adams /incident declare sev2 Search down -> Declared INC-1 \(SEV2\)",
            line,
        ), line
