"""Pages through Apprise, over real HTTP: Apprise's own `json://` and `form://` URLs post to a
webhook receiver on loopback, which records what arrived. A URL Apprise cannot load, a service
that answers 500 and one that does not answer in time, what each means for the outbox sender,
and that no secret of a URL reaches an error or the log."""

from __future__ import annotations

import logging

import pytest

from bot.core.paging import Page
from bot.notify.apprise import AppriseFailed, body, classify, send, title
from bot.slack.errors import Category
from tests.support.webhook import Webhook

LINK = "https://firebell.example.com/p/9f2c1d7e"
SECRET = "s3cretPassw0rd"


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


@pytest.fixture(autouse=True)
def _loopback_direct(monkeypatch):
    """Apprise posts with requests, which honours proxy variables: never for loopback."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


@pytest.fixture
async def hook():
    async with Webhook() as receiver:
        yield receiver


def test_the_title_and_the_text_name_the_incident_and_carry_the_link():
    assert title(page()) == "INC-42 SEV1 · payments"
    assert body(page()) == f"INC-42 SEV1 · payments: Checkout returns 502\nAcknowledge: {LINK}"


def test_the_title_is_one_trimmed_line():
    messy = page(title="Checkout\r\n  returns\u2028502 " + "x" * 300, severity="sev2\n")
    first, second = body(messy).split("\n")
    assert first.startswith("INC-42 SEV2 · payments: Checkout returns 502 xxx")
    assert first.endswith("…") and len(first) < 260
    assert second == f"Acknowledge: {LINK}"
    assert title(messy) == "INC-42 SEV2 · payments"


async def test_a_json_url_posts_the_page_as_apprise_json(hook):
    await send([hook.url("json")], page())
    [request] = hook.requests
    assert (request.method, request.path, request.content_type) == (
        "POST",
        "/hook",
        "application/json",
    )
    assert request.body == {
        "version": "1.0",
        "title": "INC-42 SEV1 · payments",
        "message": f"INC-42 SEV1 · payments: Checkout returns 502\nAcknowledge: {LINK}",
        "attachments": [],
        "type": "failure",  # the most severe severity
    }


async def test_a_form_url_posts_a_less_severe_page_as_a_form(hook):
    await send([hook.url("form", "/form")], page(severity="sev2", most_severe=False))
    [request] = hook.requests
    assert (request.path, request.content_type) == ("/form", "application/x-www-form-urlencoded")
    assert request.body["title"] == "INC-42 SEV2 · payments"
    assert LINK in request.body["message"] and request.body["type"] == "warning"


async def test_every_url_gets_the_page(hook):
    await send([hook.url("json", "/one"), hook.url("form", "/two")], page())
    assert sorted(r.path for r in hook.requests) == ["/one", "/two"]


async def test_a_url_apprise_cannot_load_is_permanent_and_named_by_its_scheme(hook, caplog):
    caplog.set_level(logging.DEBUG)
    broken = f"nosuchservice://user:{SECRET}@example.com/tok{SECRET}"
    with pytest.raises(AppriseFailed) as caught:
        await send([broken, hook.url("json")], page())
    assert len(hook.requests) == 1  # the other URL got the page all the same
    assert caught.value.permanent and caught.value.schemes == ("nosuchservice",)
    assert str(caught.value) == "apprise: cannot load nosuchservice://…"
    failure = classify(caught.value)
    assert (failure.category, failure.error) == (Category.PERMANENT, "apprise_url:nosuchservice")
    assert "nosuchservice://…" in caplog.text  # Apprise's own error, cut to the scheme
    assert SECRET not in caplog.text + str(caught.value) + failure.describe()


async def test_no_url_at_all_is_permanent():
    with pytest.raises(AppriseFailed) as caught:
        await send([], page())
    assert caught.value.permanent and classify(caught.value).category is Category.PERMANENT


async def test_a_service_answering_500_is_transient_and_nothing_logs_the_secret(hook, caplog):
    caplog.set_level(logging.DEBUG)
    hook.fail_next(500)
    url = f"json://firebell:{SECRET}@127.0.0.1:{hook.port}/hook"
    with pytest.raises(AppriseFailed) as caught:
        await send([url], page())
    assert len(hook.requests) == 1 and not caught.value.permanent
    assert str(caught.value) == "apprise: JSON failed"
    failure = classify(caught.value)
    assert (failure.category, failure.method) == (Category.TRANSIENT, "apprise")
    assert logging.getLogger("apprise").getEffectiveLevel() == logging.WARNING
    assert not [r for r in caplog.records if r.name == "apprise" and r.levelno < logging.WARNING]
    assert SECRET not in caplog.text + str(caught.value) + failure.describe()

    await send([url], page())  # the next attempt gets through
    assert len(hook.requests) == 2


async def test_a_service_that_does_not_answer_in_time_is_transient(hook):
    hook.delay_next(2.0)
    with pytest.raises(AppriseFailed) as caught:
        await send([hook.url("json")], page(), timeout=0.3)
    assert str(caught.value) == "apprise: no answer within 0.3s"
    assert classify(caught.value).category is Category.TRANSIENT


async def test_a_token_quoted_in_apprise_s_warnings_is_cut(hook, caplog):
    """Plugins quote a token they find invalid (`The Telegram Bot Token specified (...) is
    invalid`): every piece of a URL sent is cut from what the `apprise` logger says."""
    caplog.set_level(logging.DEBUG)
    token = "123456789:AAH" + SECRET
    await send([f"json://127.0.0.1:{hook.port}/{token}"], page())
    logging.getLogger("apprise").warning("The Bot Token specified (%s) is invalid.", token)
    logging.getLogger("apprise").info("Loaded tgram://%s/12345", token)
    [record] = [r for r in caplog.records if r.name == "apprise"]
    assert record.getMessage() == "The Bot Token specified (…:…) is invalid."


def test_anything_else_is_not_apprise_s_to_classify():
    assert classify(ValueError("a bug")) is None
    assert classify(TimeoutError()).category is Category.TRANSIENT
