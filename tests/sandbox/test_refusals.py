"""The stand-in refuses what Slack refuses, through slack_sdk over HTTP: Block Kit over its
limits or malformed, text over 40,000 characters, views breaking their rules, files shared
where the bot is not a member and private channels it is not in."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.standin.server import SlackDouble

CHANNEL = "C0INCIDENTS"
PRIVATE = "C0PRIVATE"


async def refused(call) -> dict:
    """Await a call that Slack must refuse; its answer."""
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value.response.data


def mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text}


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def button(label: str = "Ack", value: str = "1") -> dict:
    return {"type": "button", "text": plain(label), "action_id": "ack", "value": value}


def select(label: str) -> dict:
    option = {"text": plain(label), "value": "1"}
    return {"type": "static_select", "action_id": "sev", "options": [option]}


# Each: a block just within Slack's limit, and the same one character over it.
AT_THE_LIMIT = {
    "section text 3,000": lambda n: {"type": "section", "text": mrkdwn("x" * n)},
    "header 150": lambda n: {"type": "header", "text": plain("x" * n)},
    "field 2,000": lambda n: {"type": "section", "fields": [mrkdwn("x" * n)]},
    "context element 2,000": lambda n: {"type": "context", "elements": [mrkdwn("x" * n)]},
    "button text 75": lambda n: {"type": "actions", "elements": [button("x" * n)]},
    "button value 2,000": lambda n: {"type": "actions", "elements": [button(value="1" * n)]},
    "option text 75": lambda n: {"type": "actions", "elements": [select("x" * n)]},
}
LIMITS = {
    "section text 3,000": 3000,
    "header 150": 150,
    "field 2,000": 2000,
    "context element 2,000": 2000,
    "button text 75": 75,
    "button value 2,000": 2000,
    "option text 75": 75,
}


async def send(client: AsyncWebClient, slack: SlackDouble, method: str, blocks: list):
    if method == "chat.update":
        posted = await client.chat_postMessage(channel=CHANNEL, text="card")
        return client.chat_update(channel=CHANNEL, ts=posted["ts"], text="card", blocks=blocks)
    if method == "chat.postEphemeral":
        return client.chat_postEphemeral(channel=CHANNEL, user="U0A", text="t", blocks=blocks)
    return client.chat_postMessage(channel=CHANNEL, text="card", blocks=blocks)


@pytest.mark.parametrize("method", ["chat.postMessage", "chat.update", "chat.postEphemeral"])
@pytest.mark.parametrize("limit", sorted(LIMITS))
async def test_a_block_over_its_limit_is_invalid_blocks(slack, client, method, limit):
    make, most = AT_THE_LIMIT[limit], LIMITS[limit]
    assert (await (await send(client, slack, method, [make(most)])))["ok"]
    answer = await refused(await send(client, slack, method, [make(most + 1)]))
    assert answer["error"] == "invalid_blocks"
    [message] = answer["response_metadata"]["messages"]
    assert message.startswith(f"[ERROR] must be less than {most + 1} characters [json-pointer:")


async def test_fifty_blocks_a_message_and_not_one_more(slack, client):
    divider = {"type": "divider"}
    assert (await client.chat_postMessage(channel=CHANNEL, text="t", blocks=[divider] * 50))["ok"]
    answer = await refused(
        client.chat_postMessage(channel=CHANNEL, text="t", blocks=[divider] * 51)
    )
    assert answer["error"] == "invalid_blocks"
    assert "no more than 50 items [json-pointer:/blocks]" in answer["errors"][0]
    assert len(slack.messages(CHANNEL)) == 1  # the refused message is nowhere


async def test_text_over_forty_thousand_characters_is_msg_too_long(slack, client):
    assert (await client.chat_postMessage(channel=CHANNEL, text="x" * 40_000))["ok"]
    answer = await refused(client.chat_postMessage(channel=CHANNEL, text="x" * 40_001))
    assert answer["error"] == "msg_too_long"


async def test_malformed_blocks_are_refused(slack, client):
    answer = await refused(client.chat_postMessage(channel=CHANNEL, text="t", blocks="{not json"))
    assert answer["error"] == "invalid_blocks_format"
    for bad in (
        {"type": "carousel"},  # no such block
        {"type": "section"},  # neither text nor fields
        {"type": "section", "text": mrkdwn("")},  # empty text
        {"type": "header", "text": mrkdwn("*bold*")},  # a header is plain text
        {"type": "section", "fields": [mrkdwn("f")] * 11},
        {"type": "actions", "elements": [button(), {**button(), "style": "loud"}]},
    ):
        answer = await refused(client.chat_postMessage(channel=CHANNEL, text="t", blocks=[bad]))
        assert answer["error"] == "invalid_blocks", bad
    twice = [{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"}]
    answer = await refused(client.chat_postMessage(channel=CHANNEL, text="t", blocks=twice))
    assert "block_id must be unique" in answer["errors"][0]


def modal(**changes) -> dict:
    return {"type": "modal", "title": plain("Declare"), "blocks": [], **changes}


async def test_views_over_their_limits_are_invalid_arguments(slack, client):
    section = {"type": "section", "text": mrkdwn("x")}
    assert (await client.views_open(trigger_id="1.2", view=modal(blocks=[section] * 100)))["ok"]
    for view in (
        modal(blocks=[section] * 101),
        modal(private_metadata="9" * 3001),
        modal(title=plain("x" * 25)),
        modal(blocks=[{"type": "section", "text": mrkdwn("x" * 3001)}]),
        {"type": "modal", "blocks": []},  # no title
    ):
        answer = await refused(client.views_open(trigger_id="1.2", view=view))
        assert answer["error"] == "invalid_arguments"
        assert answer["response_metadata"]["messages"][0].startswith("[ERROR] ")
    home = {"type": "home", "blocks": [section] * 101}
    answer = await refused(client.views_publish(user_id="U0A", view=home))
    assert "[json-pointer:/view/blocks]" in answer["response_metadata"]["messages"][0]
    assert slack.home_view("U0A") is None
    opened = await client.views_open(trigger_id="1.2", view=modal())
    update = client.views_update(view_id=opened["view"]["id"], view=modal(title=plain("y" * 30)))
    assert (await refused(update))["error"] == "invalid_arguments"


async def test_a_file_is_shared_only_where_the_bot_is_a_member(slack, client):
    # posting needs no membership in a public channel (chat:write.public)...
    assert (await client.chat_postMessage(channel=CHANNEL, text="card"))["ok"]
    # ...sharing a file does
    upload = client.files_upload_v2(channel=CHANNEL, content="draft", filename="INC-1.md")
    assert (await refused(upload))["error"] == "not_in_channel"
    await client.conversations_join(channel=CHANNEL)
    done = await client.files_upload_v2(channel=CHANNEL, content="draft", filename="INC-1.md")
    assert done["file"]["id"]
    # a person's DM is shared to by its conversation id, never by the user id
    to_a_user_id = await refused(client.files_upload_v2(channel="U0A", content="d", filename="d"))
    assert to_a_user_id["error"] == "invalid_arguments"
    assert "[json-pointer:/channel_id]" in to_a_user_id["response_metadata"]["messages"][0]
    dm = (await client.conversations_open(users="U0A"))["channel"]["id"]
    to_a_person = await client.files_upload_v2(channel=dm, content="d", filename="d.md")
    assert to_a_person["file"]["id"]  # into the bot's DM with them


async def test_a_private_channel_is_out_of_sight_until_the_bot_is_invited(slack, client):
    slack.add_channel(PRIVATE, "incidents-private", private=True)
    for call in (
        client.chat_postMessage(channel=PRIVATE, text="card"),
        client.conversations_join(channel=PRIVATE),
        client.conversations_info(channel=PRIVATE),
        client.files_upload_v2(channel=PRIVATE, content="d", filename="d.md"),
    ):
        assert (await refused(call))["error"] == "channel_not_found"
    slack.joined.add(PRIVATE)  # someone typed /invite @Firebell there
    assert (await client.chat_postMessage(channel=PRIVATE, text="card"))["ok"]
    info = await client.conversations_info(channel=PRIVATE)
    assert info["channel"]["is_private"] and info["channel"]["is_member"]
    joining = await refused(client.conversations_join(channel=PRIVATE))
    assert joining["error"] == "method_not_supported_for_channel_type"
    assert (await client.files_upload_v2(channel=PRIVATE, content="d", filename="d.md"))["ok"]


async def test_refused_calls_are_recorded_with_slacks_error(slack, client):
    await refused(client.chat_postMessage(channel=CHANNEL, text="x" * 40_001))
    [call] = slack.calls_to("chat.postMessage")
    assert call.error == "msg_too_long" and call.fault is None
