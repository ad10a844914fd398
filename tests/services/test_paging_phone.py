"""Pages by SMS and voice end to end, against HTTP doubles of Twilio's and Vonage's APIs that
post their receipts and the person's replies back to the running bot, signed as the providers
sign them.

U0AAA (level 1) is paged by SMS and by a call at once; `paging.sms: [twilio, vonage]`.
"""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest

from bot.slack.directory import refresh_people
from tests.support.db import rows
from tests.support.harness import CONFIG, Bot
from tests.support.slack_views import replies
from tests.support.twilio import ACCOUNT_SID, AUTH_TOKEN, NUMBER, TwilioDouble
from tests.support.vonage import KEY, SECRET, VonageDouble

PHONE = "+4915112345678"
PEOPLE = f"""
people:
  - user: U0AAA
    phone: "{PHONE}"
    rules:
      - {{after: 0m, via: [slack, sms, voice]}}
paging:
  sms: [twilio, vonage]
"""

ALICE = "alice@example.com"  # on call by an address no Slack user has
OUTSIDE = CONFIG.replace("members: [U0AAA, U0BBB]", f"members: [{ALICE}, U0BBB]") + (
    f"""
people:
  - user: {ALICE}
    phone: "{PHONE}"
    rules:
      - {{after: 0m, via: [sms]}}
      - {{after: 2m, via: [voice]}}
paging:
  sms: [twilio, vonage]
"""
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PhoneBot(Bot):
    def __init__(self, *args, twilio: TwilioDouble, vonage: VonageDouble, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.twilio, self.vonage, self.fixed_port = twilio, vonage, free_port()

    def settings(self, **overrides):
        phone = {
            "port": self.fixed_port,  # providers call back at FIREBELL_PUBLIC_URL
            "firebell_public_url": f"http://127.0.0.1:{self.fixed_port}",
            "firebell_twilio_account_sid": ACCOUNT_SID,
            "firebell_twilio_auth_token": AUTH_TOKEN,
            "firebell_twilio_from": NUMBER,
            "firebell_twilio_api_url": self.twilio.url,
            "firebell_vonage_api_key": KEY,
            "firebell_vonage_api_secret": SECRET,
            "firebell_vonage_from": "Firebell",
            "firebell_vonage_api_url": self.vonage.url,
        }
        return super().settings(**{**phone, **overrides})


@pytest.fixture
async def bot(tmp_path, double):
    async with TwilioDouble() as twilio, VonageDouble() as vonage:
        running = PhoneBot(tmp_path, double, config=CONFIG + PEOPLE, twilio=twilio, vonage=vonage)
        await running.start()
        yield running
        await running.close()


def status(bot) -> str:
    return rows(bot, "SELECT status FROM incidents WHERE id = 1")[0][0]


async def test_an_sms_and_a_call_go_out_and_a_reply_acknowledges(bot):
    await bot.command("declare sev1 Payments down")
    await bot.deliver()
    [sms] = bot.twilio.messages.values()
    assert sms["to"] == PHONE and "INC-1" in sms["body"] and "/p/" in sms["body"]
    [call] = bot.twilio.calls.values()
    assert call["to"] == PHONE
    assert rows(bot, "SELECT medium, provider, status FROM page_sends ORDER BY medium") == [
        ("sms", "twilio", "sent"),
        ("voice", "twilio", "sent"),
    ]
    answer = await bot.twilio.post(
        f"{bot.base}/notify/twilio/sms", bot.twilio.inbound_sms(PHONE, " ACK ")
    )
    assert answer[0] == 200 and "INC-1 acknowledged" in answer[1]
    assert status(bot) == "acknowledged"
    assert rows(bot, "SELECT acknowledged_by FROM incidents") == [("U0AAA",)]
    assert rows(bot, "SELECT source FROM audit_log WHERE action = 'acknowledge'") == [("sms",)]


async def test_a_forged_inbound_sms_is_refused_and_acknowledges_nothing(bot):
    await bot.command("declare sev1 Payments down")
    await bot.deliver()
    form = bot.twilio.inbound_sms(PHONE, "1")
    answer = await bot.twilio.post(f"{bot.base}/notify/twilio/sms", form, forged="bm90IGl0")
    assert answer[0] == 403
    assert status(bot) == "declared"


async def test_pressing_2_in_the_call_escalates(bot):
    await bot.command("declare sev1 Payments down")
    await bot.deliver()
    [sid] = bot.twilio.calls
    gather = next(url for url in (bot.twilio.calls[sid].get("twiml", ""),) if "gather" in url)
    assert "/notify/twilio/voice/gather?t=" in gather
    action = gather.split('action="')[1].split('"')[0].replace("&amp;", "&")
    answer = await bot.twilio.post(action, bot.twilio.gather_digits(sid, "2"))
    assert answer[0] == 200 and "level 2" in answer[1]
    assert rows(bot, "SELECT escalation_level FROM incidents") == [(1,)]


async def test_twilio_down_falls_over_to_vonage_at_once(bot):
    bot.twilio.fail_next(500, times=2)  # the SMS and the call, whichever goes first
    await bot.command("declare sev2 Checkout failing")
    await bot.deliver()  # the SMS goes through Vonage at once; the call is tried again later
    assert [s.to for s in bot.vonage.sent] == [PHONE.removeprefix("+")]
    sent = rows(bot, "SELECT medium, provider FROM page_sends ORDER BY medium")
    assert sent == [("sms", "vonage"), ("voice", "twilio")]


async def test_a_failed_receipt_sends_the_step_through_the_next_provider(bot):
    await bot.command("declare sev2 Checkout failing")
    await bot.deliver()
    sms = next(s for s, m in bot.twilio.messages.items() if m["to"] == PHONE)
    status_code, _ = await bot.twilio.deliver_receipt(sms, "failed")
    assert status_code == 204
    await bot.deliver()
    assert len(bot.vonage.sent) == 1
    lines = [t for t in replies(bot.double) if t.startswith(":incoming_envelope:")]
    assert lines == [":incoming_envelope: SMS page to <@U0AAA>: failed (twilio); trying vonage."]
    # a receipt Vonage sends for it lands too
    [sent] = bot.vonage.sent
    assert await bot.vonage.deliver_receipt(sent.message_ids[0], "delivered") == 204
    assert rows(bot, "SELECT provider, status FROM page_sends WHERE provider = 'vonage'") == [
        ("vonage", "delivered")
    ]


async def test_a_receipt_from_another_vonage_account_changes_nothing(bot):
    await bot.command("declare sev2 Checkout failing")
    await bot.deliver()  # its SMS and call through Twilio
    bot.twilio.fail_next(500, times=2)  # the next SMS and call: the SMS fails over to Vonage
    await bot.command("declare sev2 Search slow")
    await bot.deliver()
    [sent] = bot.vonage.sent
    params = bot.vonage.receipt_params(sent.message_ids[0], "failed")
    params["api-key"] = "someone-else"
    async with bot.http.post(f"{bot.base}/notify/vonage/status", json=params) as answer:
        assert answer.status == 204
    assert rows(bot, "SELECT status FROM page_sends WHERE provider = 'vonage'") == [("sent",)]


async def test_without_twilio_its_endpoints_answer_503(tmp_path, double):
    plain = await Bot(tmp_path, double).start()
    try:
        async with plain.http.post(f"{plain.base}/notify/twilio/sms", data={"Body": "1"}) as got:
            assert got.status == 503
    finally:
        await plain.close()


async def test_someone_slack_does_not_know_is_paged_by_phone_and_acknowledges_by_reply(
    tmp_path, double
):
    """Paged as their address: the SMS at once, the call by a timer that outlives a restart;
    their reply acknowledges as that address."""
    async with TwilioDouble() as twilio, VonageDouble() as vonage:
        bot = PhoneBot(tmp_path, double, config=OUTSIDE, twilio=twilio, vonage=vonage)
        await bot.start()
        try:
            await refresh_people(bot.app)  # Slack knows no such address
            await bot.command("declare sev2 Checkout failing")
            await bot.deliver()
            [sms] = twilio.messages.values()
            assert sms["to"] == PHONE and "INC-1" in sms["body"] and not twilio.calls
            await bot.stop()
            await bot.start()  # the call's step is a timer in the database
            await bot.advance(timedelta(minutes=2))
            await bot.deliver()
            [call] = twilio.calls.values()
            assert call["to"] == PHONE
            sent = rows(bot, 'SELECT "user", medium FROM page_sends ORDER BY id')
            assert sent == [(ALICE, "sms"), (ALICE, "voice")]
            answer = await twilio.post(
                f"{bot.base}/notify/twilio/sms", twilio.inbound_sms(PHONE, "1")
            )
            assert answer[0] == 200 and "INC-1 acknowledged" in answer[1]
            assert rows(bot, "SELECT acknowledged_by FROM incidents") == [(ALICE,)]
            audited = "SELECT actor, source FROM audit_log WHERE action = 'acknowledge'"
            assert rows(bot, audited) == [(ALICE, "sms")]
            await bot.deliver()
            assert f"{ALICE} acknowledged INC-1" in "\n".join(replies(double))
        finally:
            await bot.close()


async def test_phone_pages_of_incidents_resolved_30_days_ago_are_deleted(bot):
    """Housekeeping: each page sent holds a phone number, and nothing reads it once its
    incident has been resolved for 30 days; an open incident's stay, and a reply still finds
    them."""
    await bot.command("declare sev2 Checkout failing")  # INC-1, resolved at once
    await bot.deliver()
    await bot.command("resolve INC-1 fixed")
    await bot.command("declare sev4 Disk filling")  # INC-2: open for a month
    await bot.deliver()
    assert rows(
        bot,
        "SELECT incident_id, COUNT(*) FROM page_sends GROUP BY incident_id ORDER BY incident_id",
    ) == [
        (1, 2),
        (2, 2),
    ]
    await bot.advance(timedelta(days=31))
    assert rows(bot, "SELECT DISTINCT incident_id FROM page_sends") == [(2,)]
    answer = await bot.twilio.post(
        f"{bot.base}/notify/twilio/sms", bot.twilio.inbound_sms(PHONE, "1")
    )
    assert answer[0] == 200 and "INC-2 acknowledged" in answer[1]
