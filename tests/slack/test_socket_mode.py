"""Socket Mode end to end: the real bot connects to the double's websocket and is driven
with the envelopes Slack sends, carrying the same payloads as the HTTP requests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, parse_qsl

import pytest

from bot.sandbox.standin.server import SlackDouble
from bot.slack.ids import Action
from tests.support import signing
from tests.support.db import count
from tests.support.harness import CHANNEL, Bot
from tests.support.slack_views import card_fields, card_of, replies, thread


def command_payload(text: str, user: str = "U0ALICE") -> dict:
    """A slash command in Socket Mode: the HTTP form's fields as a dict, not urlencoded."""
    body = signing.slash_command_body(text, user_id=user)
    return dict(parse_qsl(body, keep_blank_values=True))


def interactive_payload(form_body: str) -> dict:
    """An interaction in Socket Mode: the JSON that HTTP carries in the `payload` field."""
    return json.loads(parse_qs(form_body)["payload"][0])


def event_payload(event: dict) -> dict:
    """An Events API delivery in Socket Mode: the event_callback envelope as a dict."""
    return json.loads(signing.event_body(event))


@pytest.fixture
async def socket_bot(tmp_path, double: SlackDouble) -> AsyncIterator[Bot]:
    running = await Bot(tmp_path, double).start(socket_mode=True)
    await double.wait_for_socket(within=10)
    yield running
    await running.close()


def db(bot: Bot):
    return bot


async def declare_over_socket(double: SlackDouble, text: str = "declare sev2 Over the socket"):
    return await double.socket_send("slash_commands", command_payload(text), within=10)


async def test_connects_with_the_app_token_and_needs_no_signing_secret(socket_bot, double):
    assert socket_bot.app.settings.slack_signing_secret is None
    assert socket_bot.app.settings.socket_mode
    [opened] = double.calls_to("apps.connections.open")
    assert opened.token == "xapp-test"
    assert double.socket_connections == 1
    assert double.socket_pings >= 1  # the SDK checks the link with a ping at once


async def test_slash_command_is_acked_over_the_socket_and_the_card_follows(socket_bot, double):
    ack = await declare_over_socket(double)
    assert ack["envelope_id"] == double.socket_sent[-1]["envelope_id"]
    assert ack["payload"]["response_type"] == "ephemeral"
    assert "Declared INC-1 (SEV2)" in ack["payload"]["text"]
    assert double.calls_to("chat.postMessage") == []  # nothing is sent before the ack

    await socket_bot.deliver()
    card = card_of(double)
    assert card["blocks"][0]["text"]["text"] == "INC-1 · Over the socket"
    [declared] = thread(double)
    assert "<@U0ALICE> declared INC-1 (SEV2)" in declared["text"]


async def test_bare_command_opens_the_declare_modal(socket_bot, double):
    payload = command_payload("")
    ack = await double.socket_send("slash_commands", payload, within=10)
    assert ack["payload"]["text"] == "Opening the declare form…"
    [opened] = await double.wait_for("views.open", within=10)
    assert opened.params["trigger_id"] == payload["trigger_id"]
    assert opened.params["view"]["private_metadata"] == CHANNEL


async def test_button_click_over_the_socket_acknowledges(socket_bot, double):
    await declare_over_socket(double)
    await socket_bot.deliver()
    card = card_of(double)

    click = interactive_payload(
        signing.block_actions_body(Action.ACK, value="1", user_id="U0BOB", message_ts=card["ts"])
    )
    ack = await double.socket_send("interactive", click, within=10)
    assert ack == {"envelope_id": double.socket_sent[-1]["envelope_id"]}  # a bare ack
    assert double.socket_sent[-1]["accepts_response_payload"] is False

    await socket_bot.deliver()
    assert "Acknowledged by <@U0BOB>" in card_fields(card_of(double))
    texts = replies(double)
    assert len(texts) == 2 and "<@U0BOB> acknowledged INC-1" in texts[1]
    assert count(db(socket_bot), "events", "kind = 'acknowledged'") == 1


async def test_app_home_opened_event_publishes_the_home_tab(socket_bot, double):
    await declare_over_socket(double, "declare sev1 Everything is down")
    event = {
        "type": "app_home_opened",
        "user": "U0ALICE",
        "channel": "D0HOME",
        "tab": "home",
        "event_ts": "1700000000.000001",
    }
    ack = await double.socket_send("events_api", event_payload(event), within=10)
    assert ack == {"envelope_id": double.socket_sent[-1]["envelope_id"]}
    [published] = await double.wait_for("views.publish", within=10)
    assert published.params["user_id"] == "U0ALICE"
    home = double.home_view("U0ALICE")
    assert home["type"] == "home" and "INC-1" in json.dumps(home["blocks"])


async def test_health_endpoints_still_answer_over_http(socket_bot):
    async with socket_bot.http.get(f"{socket_bot.base}/healthz") as response:
        assert response.status == 200 and await response.json() == {"ok": True}
    async with socket_bot.http.get(f"{socket_bot.base}/readyz") as response:
        body = await response.json()
        assert response.status == 200 and body["ok"] and body["outbox"]["backlog"] == 0


async def test_stopping_the_bot_closes_its_socket(tmp_path, double):
    bot = await Bot(tmp_path, double).start(socket_mode=True)
    try:
        await double.wait_for_socket(within=10)
    finally:
        await bot.close()
    await double.wait_until(lambda: double.socket_connections == 0, within=10)


async def test_http_events_endpoint_refuses_unsigned_requests_in_socket_mode(socket_bot):
    body = signing.slash_command_body("declare sev1 forged over http", user_id="U0MALLORY")
    response = await socket_bot.http.post(
        f"{socket_bot.base}/slack/events",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status in (401, 403, 404), await response.text()
    assert count(db(socket_bot), "incidents") == 0
