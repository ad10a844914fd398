"""SMS and voice pages through a Twilio double that speaks Twilio's REST API over loopback:
the SMS within three segments (GSM-7 or UCS-2) with its link whole, the call's TwiML, the
exact form sent with basic auth, what each refusal means for the outbox sender and for
failover, the signatures of what Twilio sends back, and its delivery receipts."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.core.paging import Page
from bot.notify.twilio import (
    GATHER_PATH,
    GSM_LIMIT,
    UCS2_LIMIT,
    Receipt,
    TwilioAccount,
    TwilioError,
    call,
    classify,
    failed,
    fails_over,
    gather_reply_twiml,
    parse_reply,
    receipt,
    reply_twiml,
    segments,
    send_sms,
    septets,
    sms_text,
    status_callback,
    utf16_units,
    valid_signature,
    voice_twiml,
)
from bot.settings import Settings
from bot.slack.errors import Category
from tests.support.twilio import ACCOUNT_SID, AUTH_TOKEN, NUMBER, Receiver, TwilioDouble

PUBLIC = "https://firebell.example.com"
LINK = PUBLIC + "/p/9f2c1d7e4b1a0c3d"
GATHER = PUBLIC + GATHER_PATH
TO = "+447700900123"
TAIL = f" Ack: {LINK} Reply 1=ack 2=escalate"


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


def account(double: TwilioDouble, **changes) -> TwilioAccount:
    values = {"sid": ACCOUNT_SID, "token": AUTH_TOKEN, "from_number": NUMBER}
    return TwilioAccount(**{**values, **changes, "api_url": changes.get("api_url", double.url)})


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


# --- the SMS ---


def test_a_page_as_an_sms_says_what_where_and_how_to_answer():
    text = sms_text(page())
    assert text == f"INC-42 SEV1 payments: Checkout returns 502{TAIL}"
    assert segments(text) == 1


def test_a_long_title_is_cut_to_three_gsm_segments_and_the_link_stays_whole():
    text = sms_text(page(title="Checkout returns 502 for card payments; " * 30))
    assert septets(text) <= GSM_LIMIT and septets(text) > GSM_LIMIT - 10
    assert text.endswith(TAIL) and text.startswith("INC-42 SEV1 payments: Checkout returns")
    assert text.removesuffix(TAIL).endswith("...") and segments(text) == 3


def test_one_character_outside_gsm_makes_it_ucs2_with_a_third_of_the_room():
    text = sms_text(page(title="Zahlungen fallen aus 🔥 " + "Kasse liefert 502 " * 30))
    assert utf16_units(text) <= UCS2_LIMIT and text.endswith(TAIL)
    assert "🔥" in text and text.removesuffix(TAIL).endswith("…")
    assert segments(text) <= 3


def test_a_late_non_gsm_character_is_cut_off_rather_than_shrinking_the_room():
    title = "Checkout returns 502 " * 14 + "日本語"
    text = sms_text(page(title=title))
    assert "日" not in text and septets(text) <= GSM_LIMIT
    assert len(text) > UCS2_LIMIT  # more title than UCS-2 would have left
    assert text.removesuffix(TAIL).endswith("...")


def test_typographic_quotes_and_dashes_keep_an_sms_in_gsm():
    text = sms_text(page(title="“Checkout” isn’t working – again…", team="payments—eu"))
    assert text == f'INC-42 SEV1 payments-eu: "Checkout" isn\'t working - again...{TAIL}'
    assert segments(text) == 1


def test_gsm_extension_characters_take_two_septets():
    text = sms_text(page(title="{curly} [square] ~tilde~ " * 40))
    assert len(text) < septets(text) <= GSM_LIMIT  # {, [, ~ ... counted twice
    assert segments(text) <= 3


def test_line_breaks_and_controls_in_the_title_are_one_line():
    text = sms_text(page(title="db down\nreally\u2028down\u202e\x07", team=""))
    assert text == f"INC-42 SEV1: db down really down{TAIL}"


def test_a_link_too_long_for_the_room_leaves_the_title_out_never_the_link():
    long_link = "https://firebell.example.com/p/" + "a" * 400
    text = sms_text(page(link=long_link, title="x" * 200))
    assert long_link in text and "x" not in text.replace(long_link, "")
    assert text.startswith("INC-42 SEV1 payments Ack: ")


@settings(max_examples=200, deadline=None)
@given(title=st.text(max_size=700), team=st.text(max_size=60))
def test_any_title_fits_three_segments_with_the_link_whole(title, team):
    text = sms_text(page(title=title, team=team))
    assert text.endswith(TAIL) and text.startswith("INC-42 SEV1")
    assert segments(text) <= 3


# --- the call ---


def says(element: ET.Element) -> list[str]:
    return [child.text or "" for child in element if child.tag == "Say"]


def test_a_call_reads_the_page_slowly_twice_inside_a_one_key_gather():
    action = GATHER + "?call=1&page=2"  # the endpoint may carry what it needs in the query
    twiml = voice_twiml(page(), action)
    root = ET.fromstring(twiml)
    assert root.tag == "Response"
    first, second, goodbye = list(root)
    assert (goodbye.tag, goodbye.text) == ("Say", "Goodbye")
    for gather in (first, second):
        assert gather.tag == "Gather"
        assert gather.attrib == dict(action=action, method="POST", numDigits="1", timeout="6")
        assert says(gather) == [
            "Firebell page.",
            "Incident 4 2.",
            "Severity one.",
            "Checkout returns 502.",
            "Team payments.",
            "Press 1 to acknowledge, 2 to escalate.",
        ]
        tags = [child.tag for child in gather]
        assert tags == ["Say", "Pause"] * 5 + ["Say"]
        assert all(c.attrib == {"length": "1"} for c in gather if c.tag == "Pause")


def test_a_call_escapes_the_title_and_stays_within_twilios_inline_limit():
    twiml = voice_twiml(page(number=1207, title="<Hangup/> & " + "x" * 900, severity="P1"), GATHER)
    assert len(twiml) < 4000 and "<Hangup" not in twiml
    parts = says(ET.fromstring(twiml)[0])
    assert parts[1] == "Incident 1 2 0 7." and parts[2] == "Severity P 1."
    assert parts[3].startswith("<Hangup/> & xxx") and len(parts[3]) <= 151


def test_a_severity_that_is_a_word_is_read_as_it_is():
    parts = says(ET.fromstring(voice_twiml(page(severity="critical", team=""), GATHER))[0])
    assert "Severity critical." in parts and not any(p.startswith("Team") for p in parts)


def test_answers_to_a_reply_and_a_key_are_twiml():
    sms = ET.fromstring(reply_twiml("Acknowledged INC-42 <for you> & the team"))
    assert [(c.tag, c.text) for c in sms] == [
        ("Message", "Acknowledged INC-42 <for you> & the team")
    ]
    voice = ET.fromstring(gather_reply_twiml("Escalated incident 4 2."))
    assert [(c.tag, c.text) for c in voice] == [
        ("Say", "Escalated incident 4 2."),
        ("Hangup", None),
    ]


def test_a_reply_means_ack_escalate_or_nothing():
    assert {parse_reply(body) for body in ["1", " ACK ", "Ack.", "acknowledge"]} == {"ack"}
    assert {parse_reply(body) for body in ["2", "Esc", "ESCALATE!", "e s c"]} == {"escalate"}
    assert {parse_reply(body) for body in ["3", "ok thanks", "12", ""]} == {None}


# --- sending ---


async def test_an_sms_is_posted_as_twilios_form_with_basic_auth(http):
    callback = status_callback(PUBLIC + "/")
    assert callback == "https://firebell.example.com/notify/twilio/status"
    async with TwilioDouble() as twilio:
        sid = await send_sms(http, account(twilio), TO, sms_text(page()), callback)
    [request] = twilio.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.basic_auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert request.fields == [
        ("To", TO),
        ("From", NUMBER),
        ("Body", sms_text(page())),
        ("StatusCallback", callback),
    ]
    message = twilio.messages[sid]
    assert sid.startswith("SM") and message["status"] == "queued"
    assert message["num_segments"] == "1"


async def test_the_longest_sms_is_three_segments_for_twilio_too(http):
    titles = ["Checkout returns 502 " * 40, "Kasse 🔥 " * 80, "{[~]} " * 200]
    async with TwilioDouble() as twilio:
        sids = [
            await send_sms(http, account(twilio), TO, sms_text(page(title=t)), "https://f.example")
            for t in titles
        ]
    assert [twilio.messages[sid]["num_segments"] for sid in sids] == ["3", "3", "3"]


async def test_a_call_plays_the_twiml_and_asks_for_the_final_receipt_only(http):
    twiml = voice_twiml(page(), GATHER)
    async with TwilioDouble() as twilio:
        sid = await call(http, account(twilio), TO, twiml, status_callback(PUBLIC))
    [request] = twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
    assert request.basic_auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert request.form["To"] == TO and request.form["From"] == NUMBER
    assert request.form["Twiml"] == twiml
    assert request.form["StatusCallback"] == "https://firebell.example.com/notify/twilio/status"
    assert request.all("StatusCallbackEvent") == ["completed"]
    assert sid.startswith("CA") and twilio.calls[sid]["twiml"] == twiml


async def refused(http, twilio, medium="sms", *, to=TO, wait=15.0, **changes):
    """How the sender reads a send that fails: (category, status, error, fails over)."""
    mine = account(twilio, **changes)
    with pytest.raises(Exception) as raised:
        if medium == "sms":
            await send_sms(http, mine, to, "hello", "https://f.example/s", timeout=wait)
        else:
            await call(http, mine, to, "<Response/>", "https://f.example/s", timeout=wait)
    failure = classify(raised.value)
    assert failure.method == "twilio"
    return failure.category, failure.status, failure.error, fails_over(failure)


async def test_each_refusal_means_what_it_says_for_the_sender_and_for_failover(http):
    fatal, transient, permanent = Category.FATAL, Category.TRANSIENT, Category.PERMANENT
    async with TwilioDouble() as twilio:
        got = {"wrong token": await refused(http, twilio, token="not-the-token")}
        for status, medium in [(401, "voice"), (403, "sms"), (500, "sms"), (503, "voice")]:
            twilio.fail_next(status)
            got[status] = await refused(http, twilio, medium)
        got["invalid To"] = await refused(http, twilio, to="07700 900123")
        got["invalid To, call"] = await refused(http, twilio, "voice", to="+0")
        got["no To"] = await refused(http, twilio, to="")
        got["not our From"] = await refused(http, twilio, from_number="+14155550199")
        got["not our From, call"] = await refused(http, twilio, "voice", from_number="+14155550199")
        got["wrong API URL"] = await refused(http, twilio, api_url=twilio.url + "/v1")
        twilio.delay_next(2.0)
        got["slow"] = await refused(http, twilio, wait=0.2)
        await send_sms(http, account(twilio), TO, "hello", "https://f.example/s")  # passes again
    got["gone"] = await refused(http, twilio, "voice")
    assert got == {
        "wrong token": (fatal, 401, "twilio_20003", True),
        401: (fatal, 401, "twilio_20003", True),
        403: (fatal, 403, "twilio_20403", True),
        500: (transient, 500, "twilio_20500", True),
        503: (transient, 503, "twilio_20503", True),
        "invalid To": (permanent, 400, "twilio_21211", False),
        "invalid To, call": (permanent, 400, "twilio_21211", False),
        "no To": (permanent, 400, "twilio_21604", False),
        "not our From": (fatal, 400, "twilio_21606", True),
        "not our From, call": (fatal, 400, "twilio_21210", True),
        "wrong API URL": (fatal, 404, "twilio_20404", True),
        "slow": (transient, None, "network", True),
        "gone": (transient, None, "network", True),
    }
    # the slow one went out all the same: a timeout is no proof that nothing was sent
    assert len(twilio.messages) == 2


async def test_a_rate_limit_waits_as_twilio_says_or_5_seconds_and_does_not_fail_over(http):
    async with TwilioDouble() as twilio:
        failures = []
        for wait in (None, "30"):
            twilio.fail_next(429, retry_after=wait)
            with pytest.raises(TwilioError) as raised:
                await send_sms(http, account(twilio), TO, "hello", "https://f.example/s")
            failures.append(classify(raised.value))
    assert [(f.category, f.status, f.error, f.retry_after) for f in failures] == [
        (Category.RATE_LIMITED, 429, "twilio_20429", 5.0),
        (Category.RATE_LIMITED, 429, "twilio_20429", 30.0),
    ]
    assert not any(fails_over(f) for f in failures)


async def test_a_server_that_is_not_twilio_is_fatal(http):
    async def welcome(request: web.Request) -> web.Response:
        return web.Response(text="<html>welcome</html>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", welcome)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        async with TwilioDouble() as twilio:
            other = f"http://127.0.0.1:{runner.addresses[0][1]}"
            stranger = await refused(http, twilio, api_url=other)
    finally:
        await runner.cleanup()
    assert stranger == (Category.FATAL, 200, "not_twilio", True)
    assert classify(ValueError("a bug")) is None  # not Twilio's, not the network's: a bug


# --- what Twilio sends back ---


def signed(got) -> bool:
    """Whether a request Firebell got carries Twilio's signature of it."""
    return valid_signature(AUTH_TOKEN, got.url, got.form, got.headers["X-Twilio-Signature"])


def test_a_signature_is_valid_only_for_the_url_and_form_twilio_signed():
    url = "https://firebell.example.com/notify/twilio/sms?x=1"
    form = {"From": TO, "Body": "ack", "MessageSid": "SM" + "0" * 32}
    signed = TwilioDouble().sign(url, form)
    assert valid_signature(AUTH_TOKEN, url, form, signed)
    assert not valid_signature(AUTH_TOKEN, url, form | {"Body": "esc"}, signed)
    assert not valid_signature(AUTH_TOKEN, url, form | {"To": NUMBER}, signed)
    assert not valid_signature(AUTH_TOKEN, url.replace("x=1", "x=2"), form, signed)
    assert not valid_signature("another-token", url, form, signed)
    assert not valid_signature(AUTH_TOKEN, url, form, "bm90IGEgc2lnbmF0dXJl")
    assert not valid_signature(AUTH_TOKEN, url, form, "")
    assert not valid_signature(AUTH_TOKEN, url, form, None)


async def test_an_sms_receipt_arrives_signed_and_reads_as_failed(http):
    async with Receiver() as firebell, TwilioDouble() as twilio:
        sid = await send_sms(http, account(twilio), TO, "hi", firebell.url())
        answers = [await twilio.deliver_receipt(sid, s) for s in ("sent", "undelivered")]
        forged = twilio.receipt_form(sid, "delivered")
        await twilio.post(firebell.url(), forged, forged="bm90IGEgc2lnbmF0dXJl")
    assert [status for status, _ in answers] == [204, 204]
    sent, undelivered, bad = firebell.got
    assert sent.url == firebell.url() and signed(sent) and signed(undelivered) and not signed(bad)
    assert receipt(sent.form) == Receipt(sid, "sent", None, "sms")
    assert receipt(undelivered.form) == Receipt(sid, "undelivered", 30008, "sms")
    assert not failed(receipt(sent.form)) and failed(receipt(undelivered.form))


async def test_a_call_receipt_fails_unless_the_call_completed(http):
    async with Receiver() as firebell, TwilioDouble() as twilio:
        ends = ("completed", "busy", "no-answer", "canceled", "failed")
        for end in ends:
            sid = await call(http, account(twilio), TO, "<Response/>", firebell.url())
            await twilio.deliver_receipt(sid, end)
    receipts = [receipt(got.form) for got in firebell.got]
    assert [r.status for r in receipts] == list(ends) and {r.medium for r in receipts} == {"voice"}
    assert [failed(r) for r in receipts] == [False, True, True, True, True]
    assert all(signed(got) for got in firebell.got)


def test_sms_receipts_fail_when_failed_or_undelivered_only():
    for status, bad in [("queued", False), ("sent", False), ("delivered", False)]:
        assert failed(receipt({"MessageSid": "SM1", "MessageStatus": status})) is bad
    old = receipt({"SmsSid": "SM1", "SmsStatus": "FAILED", "ErrorCode": "30003"})
    assert old == Receipt("SM1", "failed", 30003, "sms") and failed(old)
    assert receipt({"Body": "hello"}) is None and receipt({"CallSid": "CA1"}) is None


async def test_inbound_replies_and_keys_arrive_signed_with_the_persons_number(http):
    async with Receiver() as firebell, TwilioDouble() as twilio:
        sid = await call(http, account(twilio), TO, voice_twiml(page(), GATHER), firebell.url())
        await twilio.post(firebell.url("/notify/twilio/sms"), twilio.inbound_sms(TO, " Ack "))
        await twilio.post(firebell.url(GATHER_PATH), twilio.gather_digits(sid, "2"))
    text, key = firebell.got
    assert signed(text) and signed(key)
    assert (text.form["From"], parse_reply(text.form["Body"])) == (TO, "ack")
    assert (key.form["To"], key.form["CallSid"], parse_reply(key.form["Digits"])) == (
        TO,
        sid,
        "escalate",
    )


# --- settings ---


def test_the_twilio_settings_are_checked_and_the_token_stays_secret():
    assert Settings.model_fields["firebell_twilio_api_url"].default == "https://api.twilio.com"
    read = Settings(
        firebell_twilio_account_sid=f" {ACCOUNT_SID} ",
        firebell_twilio_auth_token=AUTH_TOKEN,
        firebell_twilio_from="+1 (415) 555-0100",
        firebell_twilio_api_url="https://api.twilio.example/ ",
    )
    assert AUTH_TOKEN not in repr(read)
    mine = TwilioAccount.from_settings(read)
    assert mine == TwilioAccount(ACCOUNT_SID, AUTH_TOKEN, NUMBER, "https://api.twilio.example")
    assert AUTH_TOKEN not in repr(mine)
    assert mine.url("Calls") == (
        f"https://api.twilio.example/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
    )


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("firebell_twilio_from", "04155550100", "E.164"),
        ("firebell_twilio_from", "+1 415 CALL NOW", "E.164"),
        ("firebell_twilio_from", "+1234567890123456", "E.164"),
        ("firebell_twilio_account_sid", "SK3f0b6c1e9d2a4b7c8e5f60718293a4b5", "Account SID"),
        ("firebell_twilio_api_url", "api.twilio.com", "REST API"),
    ],
)
def test_a_malformed_twilio_setting_is_refused_clearly(name, value, says):
    with pytest.raises(ValidationError) as refused:
        Settings(**{name: value})
    [problem] = refused.value.errors()
    assert problem["loc"] == (name,) and says in problem["msg"]


def test_twilio_is_off_until_all_three_are_set():
    assert TwilioAccount.from_settings(Settings(firebell_twilio_from=" ")) is None
    with pytest.raises(ValueError) as partial:
        TwilioAccount.from_settings(Settings(firebell_twilio_from=NUMBER))
    assert str(partial.value) == (
        "Twilio pages also need FIREBELL_TWILIO_ACCOUNT_SID, FIREBELL_TWILIO_AUTH_TOKEN"
    )
