"""Pages by e-mail and ntfy end to end: a real SMTP server (aiosmtpd) and an ntfy double over
loopback receive what the sender delivers, and the acknowledge link each carries works from
wherever the page reached the person.

U0AAA (level 1 of the default chain) is paged in Slack and by ntfy at once, by e-mail after 2
minutes and by ntfy again after 5; the injected clock moves the steps along.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.db import rows
from tests.support.harness import CONFIG
from tests.support.paging import link_path, started
from tests.support.slack_views import replies

PEOPLE = """
people:
  - user: U0AAA
    email: alice@example.com
    ntfy: alice-pager-7f3a
    rules:
      - {after: 0m, via: [slack, ntfy]}
      - {after: 2m, via: [email]}
      - {after: 5m, via: [ntfy]}
"""


@pytest.fixture
async def bot(tmp_path, double):
    async with started(tmp_path, double, CONFIG + PEOPLE) as running:
        yield running


def status(bot) -> str:
    return rows(bot, "SELECT status FROM incidents WHERE id = 1")[0][0]


async def test_each_medium_in_its_time_and_the_email_link_acknowledges(bot):
    await bot.command("declare sev2 Checkout <failing>")
    await bot.deliver()
    [push] = [r.json for r in bot.ntfy.requests]
    assert (push["topic"], push["priority"]) == ("alice-pager-7f3a", 4)
    assert "INC-1" in push["title"] and not bot.mail.received

    await bot.advance(timedelta(minutes=2))
    await bot.deliver()
    [mail] = bot.mail.received
    assert mail.rcpt_tos == ["alice@example.com"]
    assert mail.message["Subject"].startswith("[SEV2] INC-1")
    assert "Checkout &lt;failing&gt;" in mail.part("html")
    link = next(w for w in mail.part("plain").split() if "/p/" in w)

    async with bot.http.get(bot.base + link_path(link)) as seen:  # a mail scanner's visit
        assert seen.status == 200
    assert status(bot) == "declared"
    async with bot.http.post(bot.base + link_path(link), data={"action": "ack"}) as acted:
        assert acted.status == 200
    assert status(bot) == "acknowledged"
    assert rows(bot, "SELECT acknowledged_by FROM incidents") == [("U0AAA",)]

    await bot.advance(timedelta(minutes=10))
    await bot.deliver()
    assert len(bot.ntfy.requests) == 1  # the 5-minute push never went out
    sent = [t for t in replies(bot.double) if t.startswith(":outbox_tray:")]
    assert [t.split(" sent ")[0] for t in sent] == [
        ":outbox_tray: ntfy push page to <@U0AAA>",
        ":outbox_tray: E-mail page to <@U0AAA>",
    ]
    assert rows(bot, "SELECT COUNT(*) FROM events WHERE kind = 'page_sent'") == [(2,)]


async def test_the_ntfy_action_acknowledges(bot):
    await bot.command("declare sev1 Payments down")
    await bot.deliver()
    [push] = [r.json for r in bot.ntfy.requests]
    assert push["priority"] == 5  # the most severe severity: through Do Not Disturb
    [action] = push["actions"]
    assert (action["action"], action["method"], action["body"]) == ("http", "POST", "action=ack")
    headers = action.get("headers") or {}
    async with bot.http.post(
        bot.base + link_path(action["url"]), data=action["body"], headers=headers
    ) as acted:
        assert acted.status == 200
    assert status(bot) == "acknowledged"


async def test_a_mail_server_that_fails_for_a_while_gets_the_page_later(bot):
    bot.mail.fail_next(451)
    await bot.command("declare sev2 Checkout failing")
    await bot.advance(timedelta(minutes=2))
    await bot.deliver()  # 451, then retried after the sender's backoff
    assert len(bot.mail.received) == 1
    assert rows(bot, "SELECT status, attempts FROM outbox WHERE kind = 'page_email'") == [
        ("sent", 2)
    ]


async def test_a_recipient_the_server_refuses_fails_that_page_alone(bot):
    bot.mail.fail_next(550)
    await bot.command("declare sev2 Checkout failing")
    await bot.advance(timedelta(minutes=2))
    await bot.deliver()
    assert not bot.mail.received
    failed = rows(bot, "SELECT status, last_error FROM outbox WHERE kind = 'page_email'")
    assert failed == [("failed", "smtp error: smtp_550")]  # the mail server's, not Slack's
    assert rows(bot, "SELECT status FROM outbox WHERE kind = 'page_ntfy'") == [("sent",)]
