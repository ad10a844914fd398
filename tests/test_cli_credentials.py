"""`firebell serve` with tokens Slack will not take: a real subprocess and the Slack double.

A token in the wrong variable, or one Slack refuses at `auth.test`, stops start-up with exit
status 2 and a message naming the variable and what Slack said, before any schema or port.
"""

from __future__ import annotations

import json
import time

import aiohttp

from tests.support import signing
from tests.support.cli import count_tables, env, run
from tests.support.serve import Serve

# made up, and plainly so: the shapes are all that matter (any xoxb- token is the double's)
APP_TOKEN = "xapp-firebell-test-app-token"
BOT_TOKEN = "xoxb-firebell-test-bot-token"


def served(double) -> dict[str, str]:
    return {
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": double.url,
        "PORT": "0",
        "FIREBELL_HOST": "127.0.0.1",
    }


def assert_not_started(tmp_path, out: str, err: str, *tokens: str) -> None:
    assert "firebell_started" not in out
    assert count_tables(tmp_path) == 0  # not even the schema
    for token in tokens:
        assert token not in out and token not in err


async def test_an_app_token_as_the_bot_token_stops_start_up(tmp_path, double):
    code, out, err = await run(tmp_path, "serve", SLACK_BOT_TOKEN=APP_TOKEN, **served(double))
    assert code == 2
    assert "SLACK_BOT_TOKEN holds an app-level token (xapp-…), but it takes a Bot User" in err
    assert "OAuth & Permissions" in err
    assert_not_started(tmp_path, out, err, APP_TOKEN)
    assert double.calls == []  # the shape alone tells


async def test_a_bot_token_as_the_app_token_stops_start_up(tmp_path, double):
    code, out, err = await run(
        tmp_path, "serve", SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=BOT_TOKEN, **served(double)
    )
    assert code == 2
    assert "SLACK_APP_TOKEN holds a Bot User OAuth Token (xoxb-…), but it takes an app-level" in err
    assert_not_started(tmp_path, out, err, BOT_TOKEN)


async def test_a_revoked_token_stops_start_up_with_what_slack_said(tmp_path, double):
    double.inject("auth.test", error="token_revoked")
    code, out, err = await run(tmp_path, "serve", SLACK_BOT_TOKEN=BOT_TOKEN, **served(double))
    assert code == 2
    assert (
        "Firebell cannot start: SLACK_BOT_TOKEN was refused by Slack (auth.test: token_revoked): "
        "the token was revoked" in err
    )
    assert_not_started(tmp_path, out, err, BOT_TOKEN)
    refused = [json.loads(line) for line in out.splitlines() if "slack_token_refused" in line]
    assert [(r["variable"], r["error"]) for r in refused] == [("SLACK_BOT_TOKEN", "token_revoked")]


async def test_a_good_token_starts_without_bolt_warning_that_a_token_goes_unused(tmp_path, double):
    process = Serve(
        env(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, **served(double)),
        tmp_path,
        tmp_path / "serve.stderr",
    )
    try:
        await process.start()
        assert await process.terminate() == 0
    finally:
        await process.cleanup()
    [accepted] = process.events("slack_token_accepted")
    assert accepted["user_id"] == double.bot_user_id
    [checked] = double.calls_to("auth.test")
    assert checked.token == BOT_TOKEN
    logged = "\n".join(json.dumps(r) for r in process.records)
    logged += (tmp_path / "serve.stderr").read_text()
    assert "will be unused" not in logged and "will be ignored" not in logged
    assert BOT_TOKEN not in logged


async def test_a_command_while_slack_rate_limits_auth_test_is_still_handled(tmp_path, double):
    """Bolt asks `auth.test` inside the first request it authorizes, and a 429 or 5xx there
    made it answer "your installation with this app is no longer available" and drop the
    command (found by the crash soak). The start-up check's answer is used instead: no
    request waits on, or is refused for, `auth.test`."""
    process = Serve(
        env(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, **served(double)),
        tmp_path,
        tmp_path / "serve.stderr",
    )
    try:
        await process.start()
        double.inject("auth.test", status=429, retry_after=30, times=100)
        body = signing.slash_command_body("declare sev2 Checkout slow")
        headers = signing.sign("secret", body, int(time.time()))
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{process.base}/slack/events", data=body, headers=headers) as response,
        ):
            answer = await response.json()
        assert "Declared INC-1 (SEV2)" in answer["text"], answer
        assert len(double.calls_to("auth.test")) == 1  # the start-up check's, and no other
    finally:
        await process.cleanup()
