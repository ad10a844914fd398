"""One reading of Slack's failures for every caller, from real answers of the Slack double."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.errors import Category, classify, retry_after


async def failure_of(double, **fault):
    double.inject("chat.postMessage", **fault)
    client = AsyncWebClient(token="xoxb-test", base_url=double.url, retry_handlers=[])
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C0INCIDENTS", text="hello")
    return classify(caught.value)


async def test_a_429_is_rate_limited_with_its_retry_after(double):
    failure = await failure_of(double, status=429, retry_after=7)
    assert failure.category is Category.RATE_LIMITED and failure.retry_after == 7.0
    assert failure.describe() == "429 ratelimited, retry after 7.0s"


async def test_server_errors_and_transient_codes_are_transient(double):
    failure = await failure_of(double, status=503)
    assert failure.category is Category.TRANSIENT and failure.error == "http_503"
    assert failure.describe() == "slack 503"
    failure = await failure_of(double, error="internal_error")
    assert failure.category is Category.TRANSIENT and failure.error == "internal_error"


async def test_a_bad_token_or_missing_scope_is_fatal(double):
    for error in ("invalid_auth", "missing_scope", "token_revoked"):
        failure = await failure_of(double, error=error)
        assert failure.category is Category.FATAL and failure.error == error


async def test_other_errors_are_permanent_for_that_call(double):
    failure = await failure_of(double, error="channel_not_found")
    assert failure.category is Category.PERMANENT
    assert failure.describe() == "slack error: channel_not_found"


def test_network_errors_are_transient_and_say_what_happened():
    failure = classify(aiohttp.ServerDisconnectedError())
    assert failure.category is Category.TRANSIENT and failure.error == "network"
    assert failure.describe().startswith("network: ServerDisconnectedError")
    assert classify(TimeoutError()).category is Category.TRANSIENT


def test_a_bug_is_not_a_slack_failure():
    assert classify(KeyError("x")) is None


def test_retry_after_reads_any_case_and_falls_back():
    assert retry_after({"Retry-After": "3"}) == 3.0
    assert retry_after({"retry-after": ["5"]}) == 5.0
    assert retry_after({"Retry-After": "soon"}, default=2.0) == 2.0
    assert retry_after({}) == 1.0
