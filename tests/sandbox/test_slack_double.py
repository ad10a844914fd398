"""The Slack double, driven by the real slack_sdk client over loopback, and the request signer."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qs

import aiohttp
import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.standin.server import SlackDouble
from tests.support import signing

CHANNEL = "C0INCIDENTS"
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*INC-1* Checkout down"}}


async def error_of(call) -> SlackApiError:
    """Await a client call that must fail; return the SlackApiError it raised."""
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value


# -- messages ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_post_then_update_changes_the_stored_message(slack, client):
    posted = await client.chat_postMessage(channel=CHANNEL, text="INC-1 declared", blocks=[SECTION])
    assert posted["ok"] and posted["channel"] == CHANNEL
    assert posted["ts"] == "1700000000.000100"
    assert posted["message"]["text"] == "INC-1 declared"
    assert posted["message"]["blocks"] == [SECTION]

    acked = {"type": "section", "text": {"type": "mrkdwn", "text": "*INC-1* acknowledged"}}
    updated = await client.chat_update(
        channel=CHANNEL, ts=posted["ts"], text="acked", blocks=[acked]
    )
    assert updated["ts"] == posted["ts"] and updated["text"] == "acked"

    [message] = slack.messages(CHANNEL)
    assert message["ts"] == posted["ts"] and message["thread_ts"] is None
    assert message["text"] == "acked" and message["blocks"] == [acked]
    assert slack.message(CHANNEL, posted["ts"]) == message
    assert slack.message(CHANNEL, "1.2") is None


@pytest.mark.asyncio
async def test_update_without_blocks_keeps_the_previous_blocks(slack, client):
    posted = await client.chat_postMessage(channel=CHANNEL, text="before", blocks=[SECTION])
    await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="after")
    message = slack.message(CHANNEL, posted["ts"])
    assert message["text"] == "after" and message["blocks"] == [SECTION]
    assert "edited" in message


@pytest.mark.asyncio
async def test_update_of_unknown_ts_is_message_not_found(slack, client):
    await client.chat_postMessage(channel=CHANNEL, text="only one")
    error = await error_of(client.chat_update(channel=CHANNEL, ts="1700000099.000100", text="x"))
    assert error.response["error"] == "message_not_found"
    assert [m["text"] for m in slack.messages(CHANNEL)] == ["only one"]


@pytest.mark.asyncio
async def test_thread_replies_are_kept_in_order_under_their_parent(slack, client):
    parent = await client.chat_postMessage(channel=CHANNEL, text="card")
    first = await client.chat_postMessage(channel=CHANNEL, text="one", thread_ts=parent["ts"])
    await client.chat_postMessage(channel=CHANNEL, text="two", thread_ts=parent["ts"])
    await client.chat_postMessage(channel=CHANNEL, text="another card")

    assert first["message"]["thread_ts"] == parent["ts"]
    assert [m["text"] for m in slack.thread(CHANNEL, parent["ts"])] == ["one", "two"]
    assert [m["text"] for m in slack.messages(CHANNEL)] == ["card", "one", "two", "another card"]
    top = slack.messages(CHANNEL, top_level_only=True)
    assert [m["text"] for m in top] == ["card", "another card"]
    assert top[0]["reply_count"] == 2

    with pytest.raises(SlackApiError) as refused:  # reading needs membership, as in Slack
        await client.conversations_history(channel=CHANNEL, limit=1)
    assert refused.value.response["error"] == "not_in_channel"
    await client.conversations_join(channel=CHANNEL)
    history = await client.conversations_history(channel=CHANNEL, limit=1)
    assert [m["text"] for m in history["messages"]] == ["another card"] and history["has_more"]
    replies = await client.conversations_replies(channel=CHANNEL, ts=parent["ts"])
    assert [m["text"] for m in replies["messages"]] == ["card", "one", "two"]


@pytest.mark.asyncio
async def test_concurrent_posts_get_unique_increasing_ts(slack, client):
    results = await asyncio.gather(
        *(client.chat_postMessage(channel=CHANNEL, text=f"m{i}") for i in range(25))
    )
    stamps = [r["ts"] for r in results]
    assert len(set(stamps)) == 25
    stored = [m["ts"] for m in slack.messages(CHANNEL)]
    assert stored == sorted(stored, key=float) and set(stored) == set(stamps)
    assert [c.seq for c in slack.calls] == list(range(1, 26))


@pytest.mark.asyncio
async def test_posting_to_a_missing_channel_is_channel_not_found(slack, client):
    slack.missing_channels.add("C0GONE")
    error = await error_of(client.chat_postMessage(channel="C0GONE", text="hello?"))
    assert error.response.status_code == 200
    assert error.response["error"] == "channel_not_found"
    assert slack.messages("C0GONE") == []
    info = await error_of(client.conversations_info(channel="C0GONE"))
    assert info.response["error"] == "channel_not_found"


@pytest.mark.asyncio
async def test_post_without_text_or_blocks_is_no_text(slack, client):
    error = await error_of(client.api_call("chat.postMessage", json={"channel": CHANNEL}))
    assert error.response["error"] == "no_text"
    assert slack.messages(CHANNEL) == []


# -- recording -----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_calls_are_recorded_with_token_and_decoded_json_fields(slack, client):
    await client.chat_postMessage(channel=CHANNEL, text="json body", blocks=[SECTION])
    # Form bodies carry blocks as a JSON string; the double decodes them before recording.
    await client.api_call(
        "chat.postMessage",
        data={"channel": CHANNEL, "text": "form body", "blocks": json.dumps([SECTION])},
    )
    as_json, as_form = slack.calls_to("chat.postMessage")
    assert (as_json.encoding, as_form.encoding) == ("json", "form")
    assert as_json.params["blocks"] == [SECTION] and as_form.params["blocks"] == [SECTION]
    assert as_json.token == as_form.token == "xoxb-test"
    assert as_json.seq < as_form.seq and as_json.fault is None
    assert slack.messages(CHANNEL)[1]["blocks"] == [SECTION]

    slack.reset_calls()
    assert slack.calls == [] and len(slack.messages(CHANNEL)) == 2


@pytest.mark.asyncio
async def test_get_requests_are_read_from_the_query_string(slack, client):
    slack.add_user("bob@example.com", "U0BOB", real_name="Bob Builder")
    info = await client.users_info(user="U0BOB")
    assert info["user"]["real_name"] == "Bob Builder"
    [call] = slack.calls_to("users.info")
    assert call.http_verb == "GET" and call.encoding == "query"
    assert call.params == {"user": "U0BOB"} and call.token == "xoxb-test"


@pytest.mark.asyncio
async def test_wait_for_returns_once_the_call_arrives(slack, client):
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Declare"}, "blocks": []}
    task = asyncio.create_task(client.views_open(trigger_id="123.456", view=modal))
    [call] = await slack.wait_for("views.open")
    assert call.params["trigger_id"] == "123.456"
    assert (await task)["ok"]
    with pytest.raises(AssertionError, match="views.open"):
        await slack.wait_for("views.open", count=2, within=0.05)


# -- faults --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_rate_limit_surfaces_status_429_and_retry_after(slack, client):
    slack.inject("chat.postMessage", status=429, retry_after=7)
    error = await error_of(client.chat_postMessage(channel=CHANNEL, text="limited"))
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "7"
    assert error.response["error"] == "ratelimited"
    assert slack.messages(CHANNEL) == []
    [call] = slack.calls_to("chat.postMessage")
    assert call.fault == "http 429" and call.params["text"] == "limited"

    retried = await client.chat_postMessage(channel=CHANNEL, text="limited")
    assert retried["ok"] and slack.faults_left() == 0
    assert len(slack.messages(CHANNEL)) == 1


@pytest.mark.asyncio
async def test_server_errors_surface_with_their_status_for_each_injected_time(slack, client):
    slack.inject("chat.update", status=503, times=2)
    posted = await client.chat_postMessage(channel=CHANNEL, text="before")
    for _ in range(2):
        error = await error_of(client.chat_update(channel=CHANNEL, ts=posted["ts"], text="after"))
        assert error.response.status_code == 503
    assert slack.message(CHANNEL, posted["ts"])["text"] == "before"
    await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="after")
    assert slack.message(CHANNEL, posted["ts"])["text"] == "after"


@pytest.mark.asyncio
async def test_500_is_an_error_with_a_plain_text_body(slack, client):
    slack.inject("auth.test", status=500)
    error = await error_of(client.auth_test())
    assert error.response.status_code == 500
    assert error.response.data == "Internal Server Error"


@pytest.mark.asyncio
async def test_injected_error_answers_ok_false_and_wildcard_hits_any_method(slack, client):
    slack.inject("*", error="fatal_error")
    error = await error_of(client.conversations_join(channel=CHANNEL))
    assert error.response.status_code == 200
    assert error.response.data == {"ok": False, "error": "fatal_error"}
    assert slack.joined == set()
    joined = await client.conversations_join(channel=CHANNEL)
    assert joined["channel"]["is_member"]


@pytest.mark.asyncio
async def test_slow_answer_times_out_the_client_but_the_post_still_lands(slack):
    impatient = AsyncWebClient(token="xoxb-test", base_url=slack.url, timeout=0.05)
    slack.inject("chat.postMessage", delay=0.3)
    with pytest.raises(TimeoutError):
        await impatient.chat_postMessage(channel=CHANNEL, text="slow")
    assert [m["text"] for m in slack.messages(CHANNEL)] == ["slow"]
    assert slack.calls_to("chat.postMessage")[0].fault == "delay 0.3s"


@pytest.mark.asyncio
async def test_slow_failure_has_no_side_effect(slack):
    impatient = AsyncWebClient(token="xoxb-test", base_url=slack.url, timeout=0.05)
    slack.inject("chat.postMessage", status=502, delay=0.3)
    with pytest.raises(TimeoutError):
        await impatient.chat_postMessage(channel=CHANNEL, text="lost")
    assert slack.messages(CHANNEL) == []


def test_inject_rejects_faults_that_do_nothing():
    double = SlackDouble()
    with pytest.raises(ValueError):
        double.inject("chat.postMessage")
    with pytest.raises(ValueError):
        double.inject("chat.postMessage", error="x", times=0)
    double.inject("chat.postMessage", retry_after=3, times=2)
    assert double.faults_left("chat.postMessage") == 2 and double.faults_left("auth.test") == 0


@pytest.mark.asyncio
async def test_clear_faults_drops_every_queued_fault(slack, client):
    slack.inject("chat.postMessage", status=503, times=1000)
    slack.inject("chat.postMessage", error="fatal_error")
    slack.inject("*", status=500, times=3)
    first = await error_of(client.chat_postMessage(channel=CHANNEL, text="fails"))
    assert first.response.status_code == 503
    slack.clear_faults()
    assert slack.faults_left() == 0
    posted = await client.chat_postMessage(channel=CHANNEL, text="lands")
    assert posted["ok"] and await client.auth_test()
    assert [c.fault for c in slack.calls] == ["http 503", None, None]
    assert [m["text"] for m in slack.messages(CHANNEL)] == ["lands"]


@pytest.mark.asyncio
async def test_wait_until_sees_state_after_the_call_took_effect(slack, client):
    waiting = asyncio.create_task(
        slack.wait_until(lambda: len(slack.messages(CHANNEL)) == 2, within=5)
    )
    await client.chat_postMessage(channel=CHANNEL, text="one")
    assert not waiting.done()
    await client.chat_postMessage(channel=CHANNEL, text="two")
    await waiting
    with pytest.raises(AssertionError, match="three messages did not hold within 0.05s"):
        await slack.wait_until(lambda: False, within=0.05, what="three messages")


# -- auth and unknown methods --------------------------------------------------------------


@pytest.mark.asyncio
async def test_bad_or_missing_token_is_invalid_auth_and_still_recorded(slack):
    wrong = AsyncWebClient(token="xoxp-not-a-bot", base_url=slack.url)
    error = await error_of(wrong.chat_postMessage(channel=CHANNEL, text="nope"))
    assert error.response["error"] == "invalid_auth"
    anonymous = AsyncWebClient(base_url=slack.url)
    error = await error_of(anonymous.auth_test())
    assert error.response["error"] == "invalid_auth"
    assert [(c.method, c.token) for c in slack.calls] == [
        ("chat.postMessage", "xoxp-not-a-bot"),
        ("auth.test", None),
    ]
    assert slack.messages(CHANNEL) == []


@pytest.mark.asyncio
async def test_unknown_method_is_ok_false(slack, client):
    error = await error_of(client.api_call("reactions.teleport", json={"name": "fire"}))
    assert error.response.status_code == 200
    assert error.response["error"] == "unknown_method"
    assert slack.calls_to("reactions.teleport")[0].params == {"name": "fire"}


@pytest.mark.asyncio
async def test_malformed_json_body_is_invalid_json(slack):
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            f"{slack.url}chat.postMessage",
            data="{not json",
            headers={"Content-Type": "application/json", "Authorization": "Bearer xoxb-test"},
        )
        assert response.status == 200
        assert await response.json() == {"ok": False, "error": "invalid_json"}
    [call] = slack.calls
    assert call.params == {} and call.token == "xoxb-test"


# -- other methods -------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_auth_test_names_the_bot(slack, client):
    me = await client.auth_test()
    assert (me["team_id"], me["user_id"], me["bot_id"]) == ("T0TEAM", "U0FIREBELL", "B0FIREBELL")
    assert me["url"] == "https://firebell-test.slack.com/"


@pytest.mark.asyncio
async def test_users_lookup_by_email(slack, client):
    slack.add_user("Carol@Example.com", "U0CAROL", tz="America/New_York", tz_offset=-18000)
    found = await client.users_lookupByEmail(email="carol@example.com")
    assert found["user"]["id"] == "U0CAROL" and found["user"]["tz"] == "America/New_York"
    missing = await error_of(client.users_lookupByEmail(email="nobody@example.com"))
    assert missing.response["error"] == "users_not_found"


@pytest.mark.asyncio
async def test_ephemeral_and_permalink(slack, client):
    note = await client.chat_postEphemeral(channel=CHANNEL, user="U0ALICE", text="only you")
    assert note["message_ts"] and slack.messages(CHANNEL) == []
    parent = await client.chat_postMessage(channel=CHANNEL, text="card")
    reply = await client.chat_postMessage(channel=CHANNEL, text="r", thread_ts=parent["ts"])
    link = await client.chat_getPermalink(channel=CHANNEL, message_ts=parent["ts"])
    assert link["permalink"] == (
        f"https://firebell-test.slack.com/archives/{CHANNEL}/p{parent['ts'].replace('.', '')}"
    )
    reply_link = await client.chat_getPermalink(channel=CHANNEL, message_ts=reply["ts"])
    assert reply_link["permalink"].endswith(f"?thread_ts={parent['ts']}&cid={CHANNEL}")


@pytest.mark.asyncio
async def test_views_open_update_and_publish(slack, client):
    modal = {
        "type": "modal",
        "callback_id": "declare",
        "private_metadata": "C0X",
        "title": {"type": "plain_text", "text": "Declare"},
        "blocks": [],
    }
    opened = await client.views_open(trigger_id="1.2.3", view=modal)
    assert opened["view"]["id"] and opened["view"]["callback_id"] == "declare"
    assert opened["view"]["private_metadata"] == "C0X"
    updated = await client.views_update(view_id=opened["view"]["id"], view=modal)
    assert updated["view"]["id"] == opened["view"]["id"]
    pushed = await client.views_push(trigger_id="1.2.4", view=modal)
    assert pushed["view"]["id"] != opened["view"]["id"]

    home = {"type": "home", "blocks": [SECTION]}
    first = await client.views_publish(user_id="U0ALICE", view=home)
    again = await client.views_publish(user_id="U0ALICE", view=home)
    assert first["view"]["id"] == again["view"]["id"]
    assert slack.home_view("U0ALICE")["blocks"] == [SECTION]
    assert slack.calls_to("views.publish")[0].params["view"] == home
    no_trigger = await error_of(client.api_call("views.open", json={"view": modal}))
    assert no_trigger.response["error"] == "invalid_arguments"


@pytest.mark.asyncio
async def test_conversations_and_usergroups(slack, client):
    slack.add_channel(CHANNEL, "incidents")
    slack.add_usergroup("S0PLATFORM", ["U0AAA", "U0BBB"])
    info = await client.conversations_info(channel=CHANNEL)
    assert info["channel"] == {
        **info["channel"],
        "id": CHANNEL,
        "name": "incidents",
        "is_member": False,
    }
    await client.conversations_join(channel=CHANNEL)
    again = await client.conversations_join(channel=CHANNEL)
    assert again["warning"] == "already_in_channel"
    members = await client.usergroups_users_list(usergroup="S0PLATFORM")
    assert members["users"] == ["U0AAA", "U0BBB"]
    nobody = await client.usergroups_users_list(usergroup="S0UNKNOWN")
    assert nobody["users"] == []


@pytest.mark.asyncio
async def test_file_upload_round_trip(slack, client):
    await client.conversations_join(channel=CHANNEL)  # files are shared where the bot is in
    result = await client.files_upload_v2(
        channel=CHANNEL, content="INC-1 timeline", filename="inc-1.md", title="INC-1"
    )
    assert result["file"]["title"] == "INC-1"
    assert slack.uploads[result["file"]["id"]] == b"INC-1 timeline"
    [complete] = slack.calls_to("files.completeUploadExternal")
    assert complete.params["files"][0]["id"] == result["file"]["id"]
    assert complete.params["channel_id"] == CHANNEL


# -- signing -------------------------------------------------------------------------------

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def test_signature_verifies_with_slack_sdk_and_rejects_tampering():
    body = signing.slash_command_body("declare sev2 Checkout down")
    now = int(time.time())
    headers = signing.sign(SECRET, body, now)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["X-Slack-Request-Timestamp"] == str(now)
    assert headers["X-Slack-Signature"].startswith("v0=")

    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body.replace("sev2", "sev1"), headers)
    assert not SignatureVerifier("another-secret").is_valid_request(body, headers)
    stale = signing.sign(SECRET, body, now - 600)
    assert not verifier.is_valid_request(body, stale)


def test_signature_matches_slacks_documented_example():
    # From https://api.slack.com/authentication/verifying-requests-from-slack
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
        "channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
        "command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
        "commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
        "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    headers = signing.sign(SECRET, body, 1531420618)
    assert headers["X-Slack-Signature"] == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


def test_json_bodies_get_a_json_content_type():
    body = signing.url_verification_body("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert signing.sign(SECRET, body, 1)["Content-Type"] == "application/json"
    assert json.loads(body) == {
        "token": signing.VERIFICATION_TOKEN,
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }


def bolt_request(body: str) -> AsyncBoltRequest:
    """Parse a body the way Bolt does, proving the format is one Bolt understands."""
    return AsyncBoltRequest(body=body, headers=signing.sign(SECRET, body, int(time.time())))


def test_slash_command_body_has_every_field_slack_sends():
    body = signing.slash_command_body("ack INC-1", user_id="U0BOB", channel_id="C0OTHER")
    fields = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    assert set(fields) == {
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    }
    assert (fields["command"], fields["text"], fields["user_id"]) == (
        "/incident",
        "ack INC-1",
        "U0BOB",
    )
    request = bolt_request(body)
    assert request.context.user_id == "U0BOB" and request.context.channel_id == "C0OTHER"
    assert request.context.team_id == "T0TEAM"
    assert parse_qs(signing.slash_command_body(""), keep_blank_values=True)["text"] == [""]


def test_block_actions_body_for_a_button():
    body = signing.block_actions_body("ack", value="1", user_id="U0BOB", message_ts="1.2")
    payload = json.loads(parse_qs(body)["payload"][0])
    assert payload["type"] == "block_actions"
    [action] = payload["actions"]
    assert action["type"] == "button" and action["action_id"] == "ack" and action["value"] == "1"
    assert payload["container"]["message_ts"] == payload["message"]["ts"] == "1.2"
    assert payload["container"]["channel_id"] == payload["channel"]["id"] == CHANNEL
    request = bolt_request(body)
    assert request.body["actions"][0]["action_id"] == "ack"
    assert request.context.user_id == "U0BOB" and request.context.channel_id == CHANNEL


def test_block_actions_body_for_a_static_select():
    option = {"text": {"type": "plain_text", "text": "SEV1"}, "value": "1:SEV1"}
    body = signing.block_actions_body("severity", selected_option=option)
    [action] = json.loads(parse_qs(body)["payload"][0])["actions"]
    assert action["type"] == "static_select" and action["selected_option"] == option
    assert "value" not in action


def test_view_submission_body_carries_state_values():
    values = {"title": {"value": {"type": "plain_text_input", "value": "Uploads failing"}}}
    body = signing.view_submission_body(
        "declare", values, private_metadata="C0X", user_id="U0BOB", view_id="V0MODAL"
    )
    payload = json.loads(parse_qs(body)["payload"][0])
    assert payload["type"] == "view_submission" and payload["user"]["id"] == "U0BOB"
    view = payload["view"]
    assert (view["id"], view["type"], view["callback_id"]) == ("V0MODAL", "modal", "declare")
    assert view["private_metadata"] == "C0X" and view["state"]["values"] == values
    assert bolt_request(body).context.user_id == "U0BOB"


def test_event_body_wraps_the_event_in_an_event_callback():
    event = {
        "type": "app_home_opened",
        "user": "U0ALICE",
        "channel": "D0HOME",
        "tab": "home",
        "event_ts": "1700000000.000001",
    }
    first = json.loads(signing.event_body(event))
    second = json.loads(signing.event_body(event, team_id="T0OTHER", event_time=42))
    assert first["type"] == "event_callback" and first["event"] == event
    assert first["team_id"] == "T0TEAM" and first["api_app_id"] == signing.APP_ID
    assert first["event_id"] != second["event_id"]
    assert second["team_id"] == "T0OTHER" and second["event_time"] == 42
    request = bolt_request(signing.event_body(event))
    assert request.context.user_id == "U0ALICE" and request.context.team_id == "T0TEAM"


# -- Socket Mode ---------------------------------------------------------------------------

APP_TOKEN = "xapp-test-A0FIREBELL-abcdef"


async def socket_url(slack: SlackDouble) -> str:
    app_client = AsyncWebClient(base_url=slack.url, timeout=5)
    try:
        opened = await app_client.apps_connections_open(app_token=APP_TOKEN)
    finally:
        if app_client.session is not None:
            await app_client.session.close()
    return opened["url"]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.mark.asyncio
async def test_apps_connections_open_needs_an_app_level_token(slack, client):
    url = await socket_url(slack)
    assert url.startswith(f"ws://127.0.0.1:{slack.port}/link/?ticket=")
    assert url.endswith("&app_id=A0FIREBELL")
    [call] = slack.calls_to("apps.connections.open")
    assert call.token == APP_TOKEN

    bot_token = await error_of(client.apps_connections_open(app_token="xoxb-test"))
    assert bot_token.response["error"] == "invalid_auth"
    no_token = await error_of(client.api_call("apps.connections.open"))
    assert no_token.response["error"] == "invalid_auth"


@pytest.mark.asyncio
async def test_socket_says_hello_and_tracks_connections(slack, http):
    assert slack.socket_connections == 0
    first = await http.ws_connect(await socket_url(slack))
    hello = await first.receive_json(timeout=5)
    assert hello["type"] == "hello" and hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": "A0FIREBELL"}
    assert set(hello["debug_info"]) >= {"host", "build_number", "approximate_connection_time"}
    assert await slack.wait_for_socket(within=5) == 1

    second = await http.ws_connect(await socket_url(slack))
    assert (await second.receive_json(timeout=5))["num_connections"] == 2
    await first.close()
    await second.close()
    await slack.wait_until(lambda: slack.socket_connections == 0, within=5)
    assert slack.socket_connections_total == 2


@pytest.mark.asyncio
async def test_socket_refuses_a_ticket_it_did_not_issue(slack, http):
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(f"ws://127.0.0.1:{slack.port}/link/?ticket=forged")
    assert refused.value.status == 401
    assert slack.socket_connections == 0


@pytest.mark.asyncio
async def test_socket_send_pushes_slacks_envelope_and_returns_the_ack(slack, http):
    ws = await http.ws_connect(await socket_url(slack))
    await ws.receive_json(timeout=5)  # hello
    command = {"command": "/incident", "text": "list", "user_id": "U0ALICE"}
    envelopes = []

    async def app() -> None:
        envelope = await ws.receive_json(timeout=5)
        envelopes.append(envelope)
        await ws.send_json(
            {"envelope_id": envelope["envelope_id"], "payload": {"text": "0 open incidents"}}
        )

    answering = asyncio.create_task(app())
    ack = await slack.socket_send("slash_commands", command, within=5)
    await answering
    [envelope] = envelopes
    assert envelope == {
        "envelope_id": envelope["envelope_id"],
        "type": "slash_commands",
        "payload": command,
        "accepts_response_payload": True,
        "retry_attempt": 0,
        "retry_reason": "",
    }
    assert ack == {"envelope_id": envelope["envelope_id"], "payload": {"text": "0 open incidents"}}
    assert slack.socket_sent == envelopes and slack.socket_received == [ack]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("type_", "payload", "expected"),
    [
        ("slash_commands", {"command": "/incident"}, True),
        ("interactive", {"type": "block_actions"}, False),
        ("interactive", {"type": "view_submission"}, True),
        ("events_api", {"type": "event_callback"}, False),
    ],
)
async def test_accepts_response_payload_defaults_as_slack_sets_it(
    slack, http, type_, payload, expected
):
    ws = await http.ws_connect(await socket_url(slack))
    await ws.receive_json(timeout=5)

    async def app() -> list[bool]:
        seen = []
        for _ in range(2):
            envelope = await ws.receive_json(timeout=5)
            seen.append(envelope["accepts_response_payload"])
            await ws.send_json({"envelope_id": envelope["envelope_id"]})
        return seen

    answering = asyncio.create_task(app())
    assert await slack.socket_send(type_, payload, within=5) == {
        "envelope_id": slack.socket_sent[0]["envelope_id"]
    }
    await slack.socket_send(type_, payload, accepts_response_payload=not expected, within=5)
    assert await answering == [expected, not expected]


@pytest.mark.asyncio
async def test_socket_send_rejects_unknown_envelope_types(slack):
    with pytest.raises(ValueError):
        await slack.socket_send("hello", {})


@pytest.mark.asyncio
async def test_an_unacknowledged_envelope_fails_within_its_bound(slack, http):
    ws = await http.ws_connect(await socket_url(slack))
    await ws.receive_json(timeout=5)
    with pytest.raises(AssertionError, match="did not acknowledge events_api envelope"):
        await slack.socket_send("events_api", {"type": "event_callback"}, within=0.2)
    assert (await ws.receive_json(timeout=5))["type"] == "events_api"  # it was sent


@pytest.mark.asyncio
async def test_an_envelope_fails_at_once_when_the_socket_closes_before_the_ack(slack, http):
    ws = await http.ws_connect(await socket_url(slack))
    await ws.receive_json(timeout=5)

    async def app() -> None:
        await ws.receive_json(timeout=5)
        await ws.close()

    closing = asyncio.create_task(app())
    with pytest.raises(AssertionError, match="socket closed before envelope"):
        await slack.socket_send("interactive", {"type": "block_actions"}, within=30)
    await closing


@pytest.mark.asyncio
async def test_waiting_for_a_socket_nobody_opens_fails_within_its_bound(slack):
    with pytest.raises(AssertionError, match="no app connected over Socket Mode within 0.05s"):
        await slack.wait_for_socket(within=0.05)
    with pytest.raises(AssertionError, match="no app connected"):
        await slack.socket_send("events_api", {}, within=0.05)


@pytest.mark.asyncio
async def test_the_double_answers_an_apps_ping_with_a_pong(slack, http):
    ws = await http.ws_connect(await socket_url(slack), autoping=False)
    await ws.receive_json(timeout=5)
    await ws.ping(b"sdk-ping-pong:1700000000.5")
    pong = await ws.receive(timeout=5)
    assert pong.type is aiohttp.WSMsgType.PONG and pong.data == b"sdk-ping-pong:1700000000.5"
    assert slack.socket_pings == 1


@pytest.mark.asyncio
async def test_socket_ping_waits_for_the_apps_pong(slack, http):
    ws = await http.ws_connect(await socket_url(slack), autoping=False)
    await ws.receive_json(timeout=5)

    async def app() -> bytes:
        ping = await ws.receive(timeout=5)
        assert ping.type is aiohttp.WSMsgType.PING
        await ws.pong(ping.data)
        return ping.data

    answering = asyncio.create_task(app())
    await slack.socket_ping(within=5)
    assert (await answering).startswith(b"firebell-double-ping:")

    silent = asyncio.create_task(slack.socket_ping(within=0.2))  # nobody reads: no pong
    with pytest.raises(AssertionError, match="did not answer a ping"):
        await silent


@pytest.mark.asyncio
async def test_stop_closes_connected_sockets_as_going_away(http):
    slack = await SlackDouble().start()
    try:
        ws = await http.ws_connect(await socket_url(slack))
        await ws.receive_json(timeout=5)
        await slack.stop()
        closed = await ws.receive(timeout=5)
        assert closed.type is aiohttp.WSMsgType.CLOSE
        assert closed.data == aiohttp.WSCloseCode.GOING_AWAY
        assert slack.socket_connections == 0
    finally:
        await slack.stop()


@pytest.mark.asyncio
async def test_slack_sdks_socket_mode_client_round_trip(slack):
    web = AsyncWebClient(base_url=slack.url, timeout=5)
    sdk = SocketModeClient(app_token=APP_TOKEN, web_client=web, ping_interval=30)

    async def on_request(client: SocketModeClient, request: SocketModeRequest) -> None:
        answer = (
            {"text": f"got {request.payload['text']}"} if request.type == "slash_commands" else None
        )
        await client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload=answer)
        )

    sdk.socket_mode_request_listeners.append(on_request)
    try:
        await sdk.connect()
        assert await slack.wait_for_socket(within=5) == 1
        ack = await slack.socket_send("slash_commands", {"text": "help"}, within=5)
        assert ack["payload"] == {"text": "got help"}
        event = await slack.socket_send("events_api", {"type": "event_callback"}, within=5)
        assert "payload" not in event
        await slack.socket_ping(within=5)  # the SDK pongs
        await slack.wait_until(lambda: slack.socket_pings >= 1, within=5)  # and pings

        await slack.socket_disconnect("refresh_requested")  # the SDK reconnects
        await slack.wait_until(
            lambda: slack.socket_connections_total == 2 and slack.socket_connections == 1,
            within=10,
            what="a reconnect",
        )
        assert len(slack.calls_to("apps.connections.open")) == 2
        again = await slack.socket_send("slash_commands", {"text": "list"}, within=5)
        assert again["payload"] == {"text": "got list"}
    finally:
        await sdk.close()
        if web.session is not None:
            await web.session.close()
    await slack.wait_until(lambda: slack.socket_connections == 0, within=5)
