"""My paging in App Home: what it shows within Slack's limits, the forms' errors (nothing
stored is lost), the test page through every medium (one a minute, no incident named), and
the audit log as its timeline: target `paging:<user>`, phone numbers masked, codes nowhere.

U0AAA has `people:` e-mail, phone, ntfy and an Apprise `json://` URL posting to a receiver on
loopback; the media reach a real SMTP server and the ntfy and Twilio doubles.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from bot.slack.ids import Action, View
from tests.support import audit
from tests.support.db import rows
from tests.support.harness import CONFIG
from tests.support.home import open_home
from tests.support.my_paging import (
    MediaBot,
    home_buttons,
    home_text,
    mailed_code,
    open_form,
    press,
    submit,
    texted_code,
)
from tests.support.ntfy import NtfyDouble
from tests.support.slack_views import dms, refused
from tests.support.smtp import MailServer
from tests.support.twilio import TwilioDouble
from tests.support.webhook import Webhook

PEOPLE = """
people:
  - user: U0AAA
    email: alice@example.com
    phone: "+4915100000001"
    ntfy: alice-pager-7f3a
    apprise: ["{url}"]
"""
PHONE = "+4915112345678"


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
    async with MailServer() as mail, NtfyDouble() as ntfy, TwilioDouble() as twilio:
        running = MediaBot(tmp_path, double, config=config, mail=mail, ntfy=ntfy, twilio=twilio)
        await running.start()
        yield running
        await running.close()


async def test_a_test_page_goes_through_every_medium_once_a_minute(bot, hook):
    home = await press(bot, Action.PAGING_TEST)
    assert (
        "Test page sent by Slack, E-mail, SMS, ntfy push, Apprise: check that each one arrives."
        in home_text(home)
    )
    await bot.deliver()
    [dm] = [c.params["text"] for c in bot.double.calls_to("chat.postMessage")]
    [mail] = bot.mail.received
    [sms] = bot.twilio.messages.values()
    [push] = [r.json for r in bot.ntfy.requests]
    [notice] = hook.requests
    assert dms(bot.double) == ["U0AAA"]
    assert mail.rcpt_tos == ["alice@example.com"] and sms["to"] == "+4915100000001"
    assert push["topic"] == "alice-pager-7f3a"
    said = [dm, mail.message.get_content(), sms["body"], push["message"], notice.body["message"]]
    assert all("Firebell test page" in text and "no incident" in text for text in said)
    assert not any("INC-" in text for text in said)
    assert mail.message["Subject"] == push["title"] == notice.body["title"] == "Firebell test page"
    kinds = rows(bot, "SELECT kind, channel, status FROM outbox ORDER BY id")
    assert kinds == [
        ("page_test_dm", "U0AAA", "sent"),
        ("page_test_email", "email:U0AAA", "sent"),
        ("page_test_sms", "sms:U0AAA", "sent"),
        ("page_test_ntfy", "ntfy:U0AAA", "sent"),
        ("page_test_apprise", "apprise:U0AAA", "sent"),
    ]

    bot.clock.advance(timedelta(seconds=30))
    home = await press(bot, Action.PAGING_TEST)
    assert "less than a minute ago; try again in 30 s." in home_text(home)
    assert rows(bot, "SELECT COUNT(*) FROM outbox") == [(5,)]
    bot.clock.advance(timedelta(seconds=30))
    home = await press(bot, Action.PAGING_TEST)
    assert "Test page sent by" in home_text(home)


async def test_the_home_shows_my_paging_within_slacks_limits(bot, double):
    blocks = await open_home(bot, double, "U0AAA")
    text = home_text(blocks)
    assert "*E-mail*: alice@example.com _(from the config)_" in text
    assert "*Phone (SMS, voice)*: +4915100000001 _(from the config)_" in text
    assert "*Apprise*: 1 URL(s)" in text
    assert "*Rules* (everyone's default, `paging.default_rules`):\n• `0m: slack`" in text
    assert set(home_buttons(blocks)) == {"Edit contacts", "Edit rules", "Send me a test page"}

    await submit(bot, View.PAGING_CONTACTS, email="alice@new.example.com", phone=PHONE)
    await submit(bot, View.PAGING_RULES, rules="0m: slack, ntfy\n5m: sms, voice")
    for _ in range(6):
        await bot.command("declare sev3 Something " + "x" * 140)
    blocks = await open_home(bot, double, "U0AAA")
    assert len(blocks) <= 100
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] in ("header",):
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
            assert all(len(e["text"]) <= 2000 for e in block["elements"])
    text = home_text(blocks)
    assert "new: alice@new.example.com, not used yet: its code is on its way" in text
    assert "*Rules* (yours, set here):\n• `0m: slack, ntfy`\n• `5m: sms, voice`" in text
    assert home_buttons(blocks) == {
        "Edit contacts": ("paging_contacts", "home"),
        "Edit rules": ("paging_rules", "home"),
        "Enter e-mail code": ("paging_code", "email"),
        "New e-mail code": ("paging_resend", "email"),
        "Enter phone code": ("paging_code", "phone"),
        "New phone code": ("paging_resend", "phone"),
        "Send me a test page": ("paging_test", "home"),
    }
    changes = text.split("*Last changes*\n")[1].splitlines()
    assert len(changes) == 5  # of six rows: two contacts set, two codes sent, the rules
    assert changes[0].endswith("rules set: 0m: slack, ntfy; 5m: sms, voice")
    assert any(line.endswith("new phone +49•••••••5678 waits for its code") for line in changes)

    rules = await open_form(bot, Action.PAGING_RULES)
    assert rules["blocks"][0]["element"]["initial_value"] == "0m: slack, ntfy\n5m: sms, voice"
    contacts = await open_form(bot, Action.PAGING_CONTACTS)
    initial = [b["element"].get("initial_value") for b in contacts["blocks"]]
    assert initial == ["alice@new.example.com", PHONE, "alice-pager-7f3a"]
    assert refused(double) == []  # every view as Slack takes it


async def test_bad_input_is_answered_in_the_form_and_loses_nothing(bot):
    await submit(bot, View.PAGING_CONTACTS, ntfy="alice-own-topic")
    await submit(bot, View.PAGING_RULES, rules="0m: slack, ntfy")
    before = rows(bot, "SELECT * FROM paging_settings")
    bad = {
        "email": ("not-an-address", "Not an e-mail address like alice@example.com."),
        "phone": ("0151 1234", "Not a number in international form, like +4915112345678."),
        "ntfy": ("has spaces", "Not 1 to 64 letters, digits, `-` or `_`."),
    }
    for field, (value, problem) in bad.items():
        answer, _ = await submit(bot, View.PAGING_CONTACTS, **{field: value})
        assert answer == {"response_action": "errors", "errors": {field: problem}}
    for text, problem in (
        ("0m slack", "Line 1 (`0m slack`): write `<after>: <media>`, e.g. `5m: sms, voice`."),
        ("0m: slack\nsoon: email", "Line 2 (`soon: email`): `soon` is not a time after"),
        ("0m: fax", "Line 1 (`0m: fax`): `fax` is not a medium; use slack, email, ntfy"),
    ):
        answer, _ = await submit(bot, View.PAGING_RULES, rules=text)
        assert answer["errors"]["rules"].startswith(problem)
    answer, _ = await submit(bot, View.PAGING_CODE, metadata="email", code="12ab")
    assert answer["errors"] == {"code": "Type the 6 digits of the code."}
    answer, _ = await submit(bot, View.PAGING_CODE, metadata="email", code="123456")
    assert answer["errors"] == {"code": "Nothing is waiting for a code."}
    assert rows(bot, "SELECT * FROM paging_settings") == before


async def test_rules_may_name_only_media_the_person_can_be_reached_by(tmp_path, double):
    async with MailServer() as mail, NtfyDouble() as ntfy, TwilioDouble() as twilio:
        bot = MediaBot(tmp_path, double, mail=mail, ntfy=ntfy, twilio=twilio)  # no people:
        await bot.start()
        try:
            answer, _ = await submit(bot, View.PAGING_RULES, rules="0m: slack\n2m: sms")
            assert answer["errors"] == {
                "rules": "sms needs your phone number: add it with Edit contacts first."
            }
            answer, _ = await submit(bot, View.PAGING_RULES, rules="0m: apprise")
            assert answer["errors"]["rules"].startswith("apprise needs URLs under `people:`")
            await submit(bot, View.PAGING_CONTACTS, phone=PHONE)  # waiting for its code
            answer, _ = await submit(bot, View.PAGING_RULES, rules="0m: slack\n2m: sms")
            assert answer == {}
        finally:
            await bot.close()


async def test_the_audit_log_is_the_timeline_and_never_holds_a_code(bot, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    await submit(bot, View.PAGING_CONTACTS, email="alice@new.example.com", phone=PHONE)
    await bot.deliver()
    mailed, texted = mailed_code(bot, "alice@new.example.com"), texted_code(bot, PHONE)
    wrong = f"{(int(texted) + 1) % 1_000_000:06d}"
    await submit(bot, View.PAGING_CODE, metadata="phone", code=wrong)
    await submit(bot, View.PAGING_CODE, metadata="phone", code=texted)
    await submit(bot, View.PAGING_CODE, metadata="email", code=mailed)
    await submit(bot, View.PAGING_CONTACTS, email="", phone=PHONE, ntfy="")
    await submit(bot, View.PAGING_RULES, rules="0m: slack, sms")
    await press(bot, Action.PAGING_TEST)

    log = await audit.log(bot)
    mine = [r for r in log if r["target"] == "paging:U0AAA"]
    assert mine == [r for r in log if r["action"].startswith("paging.")]
    assert [(r["action"], r["outcome"], r["source"], r["actor"]) for r in mine] == [
        ("paging.contact.set", "done", "modal", "U0AAA"),
        ("paging.code.send", "done", "modal", "U0AAA"),
        ("paging.contact.set", "done", "modal", "U0AAA"),
        ("paging.code.send", "done", "modal", "U0AAA"),
        ("paging.verify", "invalid", "modal", "U0AAA"),
        ("paging.verify", "done", "modal", "U0AAA"),
        ("paging.verify", "done", "modal", "U0AAA"),
        ("paging.contact.remove", "done", "modal", "U0AAA"),
        ("paging.rules.set", "done", "modal", "U0AAA"),
        ("paging.test", "done", "button", "U0AAA"),
    ]
    assert mine[2]["before"] == {"medium": "phone", "address": "+49•••••••0001"}
    assert mine[2]["after"] == {"medium": "phone", "pending": "+49•••••••5678"}
    assert mine[4]["after"] == {"medium": "phone", "tries": 1}
    assert mine[6]["after"] == {"medium": "email", "address": "alice@new.example.com"}
    assert mine[7]["before"] == {"medium": "email", "address": "alice@new.example.com"}
    assert mine[8]["after"] == {"rules": ["0m: slack, sms"]}
    assert mine[9]["after"] == {"media": ["slack", "email", "sms", "ntfy", "apprise"]}
    whole = json.dumps(log, ensure_ascii=False)
    assert PHONE not in whole and "5678" in whole  # masked
    ours = [r.getMessage() for r in caplog.records if r.name != "mail.log"]  # not the server's
    everything = whole + capsys.readouterr().out + "\n".join(ours)
    everything += json.dumps(rows(bot, "SELECT * FROM outbox"))
    everything += json.dumps(rows(bot, "SELECT * FROM paging_codes"))
    assert "slack_request" in everything and "views_publish" not in everything  # logs read
    for code in (mailed, texted):
        assert code not in everything
    assert await audit.verified(bot)
