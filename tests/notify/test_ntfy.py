"""Push pages through an ntfy double that speaks ntfy's JSON publishing over loopback: the
exact JSON published, the bearer token only when one is set, and what each refusal, outage
and timeout means for the outbox sender."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web
from pydantic import ValidationError

from bot.core.paging import Page
from bot.notify.ntfy import NtfyError, body, classify, publish
from bot.settings import Settings
from bot.slack.errors import Category
from tests.support.ntfy import NtfyDouble

LINK = "https://firebell.example.com/p/9f2c1d7e"
TOPIC = "firebell-U0PAGED-3k9d"
TOKEN = "tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2"
ACK = {
    "action": "http",
    "label": "Acknowledge",
    "url": LINK,
    "method": "POST",
    "headers": {"Content-Type": "application/x-www-form-urlencoded"},
    "body": "action=ack",
    "clear": True,
}


def page(**changes) -> Page:
    values = {
        "number": 42,
        "severity": "sev1",
        "most_severe": True,
        "title": "Checkout returns 502",
        "team": "payments",
        "status": "triggered",
        "link": LINK,
        "user": "U0PAGED",
    }
    return Page(**{**values, **changes})


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def test_the_most_severe_page_is_published_as_this_json_with_priority_5(http):
    async with NtfyDouble() as ntfy:
        answer = await publish(http, ntfy.url, None, page(), TOPIC)
    [request] = ntfy.requests
    assert (request.method, request.path) == ("POST", "/")
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.json == {
        "topic": TOPIC,
        "title": "INC-42 SEV1 · payments",
        "message": f"Checkout returns 502\nAcknowledge: {LINK}",
        "priority": 5,
        "tags": ["rotating_light"],
        "click": LINK,
        "actions": [ACK],
    }
    assert answer == ntfy.published[0]
    assert answer["event"] == "message" and answer["topic"] == TOPIC and answer["id"]


async def test_a_less_severe_page_has_priority_4(http):
    async with NtfyDouble() as ntfy:
        await publish(http, ntfy.url + "/", None, page(severity="sev2", most_severe=False), TOPIC)
    [request] = ntfy.requests
    assert request.json["priority"] == 4 and request.json["tags"] == ["warning"]
    assert request.json["title"] == "INC-42 SEV2 · payments"
    assert request.json["actions"] == [ACK]


def test_the_title_is_one_trimmed_line():
    published = body(page(title="db down\nreally\u2028down " + "x" * 400), TOPIC)
    title, link = published["message"].split("\n")
    assert title.startswith("db down really down xxx") and title.endswith("…")
    assert len(title) <= 200 and link == f"Acknowledge: {LINK}"


async def test_the_bearer_token_goes_only_when_set(http):
    async with NtfyDouble(token=TOKEN) as ntfy:
        await publish(http, ntfy.url, TOKEN, page(), TOPIC)
    assert ntfy.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    async with NtfyDouble() as ntfy:
        await publish(http, ntfy.url, None, page(), TOPIC)
        await publish(http, ntfy.url, "", page(), TOPIC)
    assert all("Authorization" not in r.headers for r in ntfy.requests)


async def failure_of(http, ntfy_url: str, token: str | None = None, **kwargs):
    with pytest.raises(Exception) as raised:
        await publish(http, ntfy_url, token, page(), TOPIC, **kwargs)
    return classify(raised.value)


async def test_a_wrong_token_is_fatal(http):
    async with NtfyDouble(token=TOKEN) as ntfy:
        failure = await failure_of(http, ntfy.url, "tk_wrong")
    assert (failure.category, failure.status, failure.error) == (Category.FATAL, 401, "ntfy_40101")


async def test_no_token_for_a_protected_topic_is_fatal(http):
    async with NtfyDouble(token=TOKEN) as ntfy:
        failure = await failure_of(http, ntfy.url, None)
    assert (failure.category, failure.status, failure.error) == (Category.FATAL, 403, "ntfy_40301")


async def test_a_rate_limit_waits_as_long_as_ntfy_says_or_5_seconds(http):
    async with NtfyDouble() as ntfy:
        ntfy.fail_next(429)
        plain = await failure_of(http, ntfy.url)
        ntfy.fail_next(429, retry_after="30")
        told = await failure_of(http, ntfy.url)
    assert (plain.category, plain.status, plain.error) == (
        Category.RATE_LIMITED,
        429,
        "ntfy_42901",
    )
    assert plain.retry_after == 5.0 and told.retry_after == 30.0


async def test_a_server_error_is_transient_and_passes(http):
    async with NtfyDouble() as ntfy:
        ntfy.fail_next(500, times=2)
        failures = [await failure_of(http, ntfy.url) for _ in range(2)]
        await publish(http, ntfy.url, None, page(), TOPIC)
    assert {(f.category, f.status) for f in failures} == {(Category.TRANSIENT, 500)}
    assert len(ntfy.requests) == 3 and len(ntfy.published) == 1


async def test_a_slow_answer_times_out_transient(http):
    async with NtfyDouble() as ntfy:
        ntfy.delay_next(2.0)
        failure = await failure_of(http, ntfy.url, timeout=0.2)
    assert failure.category is Category.TRANSIENT and failure.error == "network"


async def test_a_refused_connection_is_transient(http):
    async with NtfyDouble() as ntfy:
        url = ntfy.url
    failure = await failure_of(http, url)
    assert failure.category is Category.TRANSIENT and failure.error == "network"


async def test_a_topic_ntfy_refuses_is_permanent(http):
    async with NtfyDouble() as ntfy:
        with pytest.raises(NtfyError) as raised:
            await publish(http, ntfy.url, None, page(), "no spaces/allowed")
    failure = classify(raised.value)
    assert (failure.category, failure.status, failure.error) == (
        Category.PERMANENT,
        400,
        "ntfy_40009",
    )


async def test_a_server_that_is_not_ntfy_is_fatal(http):
    async def welcome(request: web.Request) -> web.Response:
        return web.Response(text="<html>welcome</html>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/", welcome)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        failure = await failure_of(http, f"http://127.0.0.1:{runner.addresses[0][1]}")
    finally:
        await runner.cleanup()
    assert (failure.category, failure.error) == (Category.FATAL, "not_ntfy")


def test_other_exceptions_are_not_classified():
    assert classify(ValueError("a bug")) is None


def test_the_ntfy_url_defaults_to_ntfy_sh_and_must_be_an_address():
    assert Settings.model_fields["firebell_ntfy_url"].default == "https://ntfy.sh"
    assert Settings(firebell_ntfy_url=" https://ntfy.example.com/ ").firebell_ntfy_url == (
        "https://ntfy.example.com/"
    )
    with pytest.raises(ValidationError) as read:
        Settings(firebell_ntfy_url="ntfy.example.com")
    assert read.value.errors()[0]["loc"] == ("firebell_ntfy_url",)
    token = Settings(firebell_ntfy_token=TOKEN)
    assert TOKEN not in repr(token)
