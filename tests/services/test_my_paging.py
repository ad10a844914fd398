"""My paging's contacts: a new e-mail address or phone number is paged only once the person
types back the 6-digit code sent to it (a real SMTP server, the Twilio double for SMS), the
address before it (or the config's) paged meanwhile; wrong, expired and too frequent codes.

U0AAA (rotation primary, level 1) has `people:` e-mail alice@example.com and rules that page by
e-mail and SMS at once; U0BBB has no `people:` entry at all.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.slack.ids import Action, View
from tests.support.db import rows
from tests.support.harness import CONFIG
from tests.support.my_paging import (
    home_text,
    mailed_code,
    open_form,
    press,
    started,
    submit,
    texted_code,
)

PEOPLE = """
people:
  - user: U0AAA
    email: alice@example.com
    rules:
      - {after: 0m, via: [slack, email]}
"""
PHONE = "+4915112345678"


@pytest.fixture
async def bot(tmp_path, double):
    async with started(tmp_path, double, CONFIG + PEOPLE) as running:
        yield running


def page_mail_to(bot) -> list[str]:
    """Who got an e-mail page (not a code), in order."""
    return [m.rcpt_tos[0] for m in bot.mail.received if "INC-" in m.message["Subject"]]


async def test_a_new_email_is_paged_only_once_its_code_is_typed_back(bot):
    answer, home = await submit(bot, View.PAGING_CONTACTS, email="alice@new.example.com")
    assert answer == {}
    assert "new: alice@new.example.com, not used yet" in home_text(home)
    await bot.deliver()
    code = mailed_code(bot, "alice@new.example.com")

    await bot.command("declare sev2 Checkout failing")
    await bot.deliver()
    assert page_mail_to(bot) == ["alice@example.com"]  # the config's, while the new one waits

    answer, home = await submit(bot, View.PAGING_CODE, metadata="email", code=code)
    assert answer == {}
    assert "alice@new.example.com _(yours)_" in home_text(home)
    assert rows(bot, "SELECT email FROM paging_settings WHERE \"user\" = 'U0AAA'") == [
        ("alice@new.example.com",)
    ]
    await bot.command("declare sev2 Search slow")
    await bot.deliver()
    assert page_mail_to(bot) == ["alice@example.com", "alice@new.example.com"]


async def test_a_phone_number_is_verified_by_sms(bot):
    form = await open_form(bot, Action.PAGING_CONTACTS)
    assert form["callback_id"] == View.PAGING_CONTACTS
    answer, _ = await submit(
        bot, View.PAGING_CONTACTS, email="alice@example.com", phone="+49 151 1234-5678"
    )
    assert answer == {}
    await bot.deliver()
    code = texted_code(bot, PHONE)
    home = await press(bot, Action.PAGING_TEST)  # no SMS test: the number is not verified yet
    assert "SMS" not in home_text(home).split("Test page sent by")[1].splitlines()[0]
    form = await open_form(bot, Action.PAGING_CODE, "phone")
    assert "+4915112345678" in form["blocks"][0]["label"]["text"]
    answer, home = await submit(
        bot, View.PAGING_CODE, metadata="phone", code=f"{code[:3]} {code[3:]}"
    )
    assert answer == {}
    assert f"{PHONE} _(yours)_" in home_text(home)


async def test_five_wrong_codes_void_it_and_a_new_one_is_limited_to_one_a_minute(bot):
    await submit(bot, View.PAGING_CONTACTS, email="alice@new.example.com")
    await bot.deliver()
    code = mailed_code(bot, "alice@new.example.com")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        answer, _ = await submit(bot, View.PAGING_CODE, metadata="email", code=wrong)
        assert answer["errors"] == {
            "code": f"That is not the code; {left} {'try' if left == 1 else 'tries'} left."
        }
    answer, _ = await submit(bot, View.PAGING_CODE, metadata="email", code=wrong)
    assert "no longer works" in answer["errors"]["code"]
    answer, _ = await submit(bot, View.PAGING_CODE, metadata="email", code=code)  # too late
    assert "no longer works" in answer["errors"]["code"]
    assert rows(bot, "SELECT email FROM paging_settings") == []

    home = await press(bot, Action.PAGING_RESEND, "email")
    assert "less than a minute ago" in home_text(home)
    bot.clock.advance(timedelta(minutes=1))
    home = await press(bot, Action.PAGING_RESEND, "email")
    assert "A new code is on its way to alice@new.example.com" in home_text(home)
    await bot.deliver()
    fresh = mailed_code(bot, "alice@new.example.com")
    answer, _ = await submit(bot, View.PAGING_CODE, metadata="email", code=fresh)
    assert answer == {}


async def test_an_expired_code_is_refused(bot):
    await submit(bot, View.PAGING_CONTACTS, email="alice@new.example.com")
    await bot.deliver()
    code = mailed_code(bot, "alice@new.example.com")
    bot.clock.advance(timedelta(minutes=15))
    answer, _ = await submit(bot, View.PAGING_CODE, metadata="email", code=code)
    assert "expired" in answer["errors"]["code"]


async def test_a_second_address_within_a_minute_waits(bot):
    await submit(bot, View.PAGING_CONTACTS, email="alice@new.example.com")
    answer, _ = await submit(bot, View.PAGING_CONTACTS, email="alice@other.example.com")
    assert answer["errors"]["email"].startswith("A code went out less than a minute ago")
    bot.clock.advance(timedelta(seconds=61))
    answer, _ = await submit(bot, View.PAGING_CONTACTS, email="alice@other.example.com")
    assert answer == {}
