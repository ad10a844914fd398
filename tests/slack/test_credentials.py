"""The start-up check of the Slack tokens against the Slack double over HTTP: Slack's answer
to `auth.test` (and `apps.connections.open`), its 429s and 5xx retried with backoff through an
injected sleep, and a refused token named with what Slack said."""

from __future__ import annotations

import pytest

from bot.slack import credentials
from bot.slack.credentials import ATTEMPTS, MAX_WAIT, Refused

BOT = "xoxb-test-token"
APP = "xapp-test-token"


class Waits:
    """The sleep the check is given: records each wait instead of taking it."""

    def __init__(self) -> None:
        self.taken: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.taken.append(seconds)


async def check(double, bot: str | None = BOT, app: str | None = None, **options):
    waits = Waits()
    identity = await credentials.check(double.url, bot, app, sleep=waits, **options)
    return identity, waits.taken


async def test_a_good_token_is_asked_about_once_and_names_the_bot(double):
    identity, waits = await check(double)
    assert [c.token for c in double.calls_to("auth.test")] == [BOT]
    assert (identity.team_id, identity.user_id, identity.bot_id) == (
        double.team_id,
        double.bot_user_id,
        double.bot_id,
    )
    assert waits == []


async def test_rate_limits_and_server_errors_are_retried_with_backoff(double):
    double.inject("auth.test", status=429, retry_after=7)
    double.inject("auth.test", status=503, times=2)
    identity, waits = await check(double)
    assert identity is not None and identity.user_id == double.bot_user_id
    assert len(double.calls_to("auth.test")) == 4
    assert waits == [7, 2.0, 4.0]  # Retry-After, then doubling from the attempt's place


async def test_a_long_retry_after_is_capped(double):
    double.inject("auth.test", status=429, retry_after=3600)
    _, waits = await check(double)
    assert waits == [MAX_WAIT]


async def test_slack_out_of_reach_is_retried_up_to_the_bound_then_left_unchecked(double):
    double.inject("auth.test", status=500, times=100)
    identity, waits = await check(double)
    assert identity is None  # Firebell starts; posts wait in the outbox
    assert len(double.calls_to("auth.test")) == ATTEMPTS
    assert len(waits) == ATTEMPTS - 1 and max(waits) <= MAX_WAIT


@pytest.mark.parametrize("error", ["token_revoked", "invalid_auth", "account_inactive"])
async def test_a_refused_token_stops_the_check_at_once_naming_the_variable(double, error):
    double.inject("auth.test", error=error)
    with pytest.raises(Refused) as refused:
        await check(double)
    assert refused.value.variable == "SLACK_BOT_TOKEN" and refused.value.error == error
    assert str(refused.value).startswith(
        f"SLACK_BOT_TOKEN was refused by Slack (auth.test: {error}): "
    )
    assert BOT not in str(refused.value)
    assert len(double.calls_to("auth.test")) == 1  # no retry: it will not get better


async def test_a_token_slack_does_not_know_is_refused(double):
    double.tokens = {"xoxb-the-installed-one"}
    with pytest.raises(Refused) as refused:
        await check(double, bot="xoxb-an-old-one")
    assert refused.value.error == "invalid_auth"
    assert "copy it again" in str(refused.value)


async def test_the_app_token_is_asked_about_in_socket_mode(double):
    await check(double, app=APP)
    [opened] = double.calls_to("apps.connections.open")
    assert opened.token == APP

    double.inject("apps.connections.open", status=503)
    double.inject("apps.connections.open", error="invalid_auth")
    with pytest.raises(Refused) as refused:
        await check(double, app=APP)
    assert (refused.value.variable, refused.value.method) == (
        "SLACK_APP_TOKEN",
        "apps.connections.open",
    )
