"""Signatures, stale timestamps, and user text that tries to ping or disguise links."""

from __future__ import annotations

import json
import time

from tests.support import signing
from tests.support.db import count
from tests.support.harness import CHANNEL


def db(bot):
    return bot


async def test_forged_signature_is_refused_and_changes_nothing(bot, double):
    body = signing.slash_command_body("declare sev1 forged")
    response = await bot.post_signed(body, secret="not-the-secret")
    assert response.status == 401
    assert count(db(bot), "incidents") == 0
    assert count(db(bot), "outbox") == 0


async def test_tampered_body_is_refused(bot, double):
    body = signing.slash_command_body("declare sev4 harmless")
    headers = signing.sign("8f742231b10e8888abcd99yyyzzz85a5", body, int(time.time()))
    tampered = body.replace("harmless", "harmful")
    response = await bot.http.post(f"{bot.base}/slack/events", data=tampered, headers=headers)
    assert response.status == 401
    assert count(db(bot), "incidents") == 0


async def test_stale_timestamp_is_refused(bot, double):
    body = signing.slash_command_body("declare sev1 replayed")
    response = await bot.post_signed(body, timestamp=int(time.time()) - 6 * 60)
    assert response.status == 401
    assert count(db(bot), "incidents") == 0


async def test_unsigned_request_is_refused(bot, double):
    body = signing.slash_command_body("declare sev1 unsigned")
    response = await bot.http.post(
        f"{bot.base}/slack/events",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 401
    assert count(db(bot), "incidents") == 0


async def test_mentions_and_links_in_user_text_are_shown_literally(bot, double):
    title = "<!channel> db down <http://evil.example|bank> & <@U0BOSS>"
    answer = await bot.command(f"declare sev2 {title}")
    assert "Declared INC-1" in answer["text"]
    await bot.command("update INC-1 <!here> click <https://phish.example|here>")
    await bot.deliver()

    [card] = double.messages(CHANNEL, top_level_only=True)
    header = card["blocks"][0]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"
    assert header["text"]["text"] == f"INC-1 · {title}"  # plain text: Slack renders it literally
    assert "<!channel>" not in card["text"] and "&lt;!channel&gt;" in card["text"]
    everything = json.dumps(
        [m for m in double.messages(CHANNEL, top_level_only=True)]
    ) + json.dumps(double.thread(CHANNEL, card["ts"]))
    for hostile in ("<!channel>", "<!here>", "<http://evil", "<https://phish", "<@U0BOSS>"):
        assert hostile not in everything.replace(json.dumps(title)[1:-1], "")
    update = double.thread(CHANNEL, card["ts"])[-1]["text"]
    assert "&lt;!here&gt; click &lt;https://phish.example|here&gt;" in update


async def test_oversized_request_body_is_refused(bot, double):
    body = "payload=" + "x" * (2 * 1024 * 1024)
    response = await bot.post_signed(body)
    assert response.status == 413
    assert count(db(bot), "incidents") == 0
