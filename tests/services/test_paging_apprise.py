"""Pages through Apprise end to end: a person's `apprise:` URL is Apprise's own `json://`,
posting to a webhook receiver on loopback, which gets what the sender delivers; the link in
the page acknowledges, and a later Apprise step then never goes out. The URL (it may hold a
token) is read from the config at send time: never in the outbox, never in a config error.

U0AAA (level 1 of the default chain) is paged in Slack and through Apprise at once, and through
Apprise again after 5 minutes; the injected clock moves the steps along.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.config import parse_config
from bot.config_source import ConfigError
from tests.support.db import rows
from tests.support.harness import CONFIG, Bot
from tests.support.paging import PUBLIC_URL, link_path
from tests.support.slack_views import replies
from tests.support.webhook import Webhook

PEOPLE = """
people:
  - user: U0AAA
    apprise: ["{url}"]
    rules:
      - {{after: 0m, via: [slack, apprise]}}
      - {{after: 5m, via: [apprise]}}
"""


class PagingBot(Bot):
    def settings(self, **overrides):
        public = {"firebell_public_url": PUBLIC_URL}
        return super().settings(**{**public, **overrides})


@pytest.fixture(autouse=True)
def _loopback_direct(monkeypatch):
    """Apprise posts with requests, which honours proxy variables: never for loopback."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


@pytest.fixture
async def hook():
    async with Webhook() as receiver:
        yield receiver


@pytest.fixture
async def bot(tmp_path, double, hook):
    config = CONFIG + PEOPLE.format(url=hook.url("json", "/hook"))
    running = PagingBot(tmp_path, double, config=config)
    await running.start()
    yield running
    await running.close()


def status(bot) -> str:
    return rows(bot, "SELECT status FROM incidents WHERE id = 1")[0][0]


async def test_the_page_arrives_and_its_link_acknowledges_and_stops_the_next_step(bot, hook):
    await bot.command("declare sev2 Checkout failing")
    await bot.deliver()
    [request] = hook.requests
    assert (request.path, request.content_type) == ("/hook", "application/json")
    page = request.body
    assert page["title"] == "INC-1 SEV2 · default" and page["type"] == "warning"
    assert page["message"].startswith("INC-1 SEV2 · default: Checkout failing\nAcknowledge: ")
    link = page["message"].split("Acknowledge: ")[1]

    [(channel, sent, payload)] = rows(
        bot, "SELECT channel, status, payload FROM outbox WHERE kind = 'page_apprise'"
    )
    assert (channel, sent) == ("apprise:U0AAA", "sent")
    assert set(json.loads(payload)) == {"user", "event_id"}  # no URL in the database
    assert str(hook.port) not in payload

    async with bot.http.post(bot.base + link_path(link), data={"action": "ack"}) as acted:
        assert acted.status == 200
    assert status(bot) == "acknowledged"

    await bot.advance(timedelta(minutes=10))
    await bot.deliver()
    assert len(hook.requests) == 1  # the 5-minute step never went out
    lines = [t for t in replies(bot.double) if t.startswith(":outbox_tray:")]
    assert [t.split(" sent ")[0] for t in lines] == [":outbox_tray: Apprise page to <@U0AAA>"]
    assert rows(bot, "SELECT COUNT(*) FROM events WHERE kind = 'page_sent'") == [(1,)]


async def test_a_service_that_fails_for_a_while_gets_the_page_later(bot, hook):
    hook.fail_next(500)
    await bot.command("declare sev1 Payments down")
    await bot.deliver()  # 500: Apprise reports failure, retried after the sender's backoff
    assert len(hook.requests) == 2 and hook.requests[1].body["type"] == "failure"
    assert rows(bot, "SELECT status, attempts FROM outbox WHERE kind = 'page_apprise'") == [
        ("sent", 2)
    ]


def test_rules_naming_apprise_need_a_url():
    text = CONFIG + PEOPLE.replace('    apprise: ["{url}"]\n', "").format()
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "cfg.yml")
    assert [p.split(": ", 1)[1] for p in caught.value.problems] == [
        "people[0].rules[0].via: apprise needs `apprise:` for this person",
        "people[0].rules[1].via: apprise needs `apprise:` for this person",
    ]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("tgram://123456789:AAHs3cret token/12345", "`tgram://…`"),
        ("123456789:AAHs3cret", "this entry"),
        ("tgram://", "`tgram://…`"),
    ],
)
def test_a_url_that_is_not_one_is_refused_without_showing_it(url, shown):
    with pytest.raises(ConfigError) as caught:
        parse_config(CONFIG + PEOPLE.format(url=url), "cfg.yml")
    [problem] = caught.value.problems
    assert f"people[0].apprise[0]: {shown} is not an Apprise URL" in problem
    assert "s3cret" not in problem and "123456789" not in problem


def test_at_most_20_urls():
    urls = ", ".join(f'"json://127.0.0.1/{n}"' for n in range(21))
    text = CONFIG + PEOPLE.replace('["{url}"]', f"[{urls}]").format()
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "cfg.yml")
    [problem] = caught.value.problems
    assert "people[0].apprise: " in problem and "20" in problem
