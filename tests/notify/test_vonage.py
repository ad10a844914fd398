"""SMS pages through a Vonage double that speaks the SMS API over loopback: the exact form
sent (`to` without `+`, `unicode` only for text outside GSM-7, receipts asked for at the
callback), what each refusal, outage and timeout means for the outbox sender, delivery
receipts as Vonage sends them (GET, POST, POST-JSON) and their signatures."""

from __future__ import annotations

import time

import aiohttp
import pytest
from aiohttp import web
from pydantic import ValidationError

from bot.core.paging import Page
from bot.notify.twilio import sms_text
from bot.notify.vonage import (
    Receipt,
    VonageAccount,
    VonageError,
    classify,
    failed,
    gsm7,
    receipt,
    send_sms,
    signature,
    status_callback,
    valid_signature,
)
from bot.settings import Settings
from bot.slack.errors import Category
from tests.support.vonage import KEY, SECRET, VonageDouble

PHONE = "+447700900001"
CALLBACK = "https://firebell.example.com/notify/vonage/status"
TEXT = "INC-42 SEV1 payments: Checkout returns 502 Ack: https://firebell.example.com/p/9f2c"
SIGNING = "Xk29dLq0sWm3Ze7T"


def account(url: str, secret: str = SECRET, sender: str = "Firebell") -> VonageAccount:
    return VonageAccount(KEY, secret, sender, url)


def page(**changes) -> Page:
    values = {
        "number": 42,
        "severity": "sev1",
        "most_severe": True,
        "title": "Checkout returns 502",
        "team": "payments",
        "status": "triggered",
        "link": "https://firebell.example.com/p/9f2c1d7e",
        "user": "U0PAGED",
    }
    return Page(**{**values, **changes})


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


class Sink:
    """Firebell's receipt endpoint as far as these tests need it: records what arrives."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str]]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        if request.content_type == "application/json":
            params |= await request.json()
        else:
            params |= dict(await request.post())
        self.received.append((request.method, params))
        return web.Response(text="")


@pytest.fixture
async def sink():
    receiver = Sink()
    app = web.Application()
    app.router.add_route("*", "/notify/vonage/status", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}/notify/vonage/status"
    yield receiver
    await runner.cleanup()


async def test_a_text_is_sent_as_this_form_and_its_message_id_returned(http):
    async with VonageDouble() as vonage:
        message_id = await send_sms(http, account(vonage.url), PHONE, TEXT, CALLBACK)
    [request] = vonage.requests
    assert (request.method, request.path) == ("POST", "/sms/json")
    assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert request.params == {
        "api_key": KEY,
        "api_secret": SECRET,
        "from": "Firebell",
        "to": "447700900001",
        "text": TEXT,
        "type": "text",
        "status-report-req": "1",
        "callback": CALLBACK,
    }
    assert message_id == vonage.sent[0].message_ids[0] and len(message_id) == 16


async def test_text_outside_gsm7_goes_as_unicode(http):
    async with VonageDouble() as vonage:
        for text in ("INC-7 Ошибка оплаты", "INC-7 db · down", "INC-7 🔥", "INC-7 €5 [eu] {x}"):
            await send_sms(http, account(vonage.url), PHONE, text, CALLBACK)
    assert [r.params["type"] for r in vonage.requests] == ["unicode"] * 3 + ["text"]
    assert gsm7("Ça coûte 5 £ @ Zürich\n") is False  # û is not GSM-7
    assert gsm7("Ça coute 5 £ @ Zürich\n") is True


async def test_the_shared_sms_text_picks_its_encoding(http):
    async with VonageDouble() as vonage:
        for title in ("Checkout returns 502", "Оплата не проходит"):
            await send_sms(http, account(vonage.url), PHONE, sms_text(page(title=title)), CALLBACK)
    assert [r.params["type"] for r in vonage.requests] == ["text", "unicode"]
    assert [s.text for s in vonage.sent] == [r.params["text"] for r in vonage.requests]


async def test_a_numeric_sender_goes_without_its_plus(http):
    async with VonageDouble() as vonage:
        await send_sms(http, account(vonage.url, sender="+447700900000"), "447700900002", TEXT, "")
    assert vonage.requests[0].params["from"] == "447700900000"
    assert vonage.requests[0].params["to"] == "447700900002"


async def test_a_long_text_goes_in_parts_and_the_first_part_names_it(http):
    async with VonageDouble() as vonage:
        message_id = await send_sms(http, account(vonage.url), PHONE, "x" * 400, CALLBACK)
    assert len(vonage.sent[0].message_ids) == 3 and message_id == vonage.sent[0].message_ids[0]


async def refusal_of(http, url: str, to: str = PHONE, secret: str = SECRET, **kwargs):
    with pytest.raises(Exception) as raised:
        await send_sms(http, account(url, secret), to, TEXT, CALLBACK, **kwargs)
    return raised.value, classify(raised.value)


async def test_wrong_credentials_are_fatal(http):
    async with VonageDouble() as vonage:
        exc, failure = await refusal_of(http, vonage.url, secret="not-the-secret")
    assert isinstance(exc, VonageError)
    assert (exc.status_code, exc.error_text) == (4, "Bad Credentials")
    assert (failure.category, failure.error, failure.status) == (Category.FATAL, "vonage_4", 200)


async def test_a_missing_or_invalid_number_is_permanent(http):
    async with VonageDouble() as vonage:
        missing, missing_failure = await refusal_of(http, vonage.url, to="")
        invalid, invalid_failure = await refusal_of(http, vonage.url, to="+12")
    assert (missing.status_code, missing.error_text) == (2, "Missing to param")
    assert (invalid.status_code, missing_failure.category) == (3, Category.PERMANENT)
    assert (invalid_failure.category, invalid_failure.error) == (Category.PERMANENT, "vonage_3")


@pytest.mark.parametrize(
    ("status", "category"),
    [
        (1, Category.RATE_LIMITED),  # throttled
        (5, Category.TRANSIENT),  # internal error
        (6, Category.PERMANENT),  # invalid message (an unknown prefix)
        (7, Category.PERMANENT),  # number barred
        (8, Category.FATAL),  # partner account barred
        (9, Category.FATAL),  # quota exceeded: no credit
        (15, Category.FATAL),  # the sender is not allowed
        (29, Category.PERMANENT),  # demo account: this number is not whitelisted
    ],
)
async def test_each_refusal_is_classified(http, status, category):
    async with VonageDouble() as vonage:
        vonage.refuse_next(status)
        exc, failure = await refusal_of(http, vonage.url)
        await send_sms(http, account(vonage.url), PHONE, TEXT, CALLBACK)  # the next one goes
    assert exc.status_code == status and exc.error_text
    assert (failure.category, failure.error, failure.method) == (
        category,
        f"vonage_{status}",
        "vonage",
    )
    assert failure.retry_after == (1.0 if category is Category.RATE_LIMITED else 0.0)
    assert len(vonage.sent) == 1


async def test_a_server_error_is_transient_and_passes(http):
    async with VonageDouble() as vonage:
        vonage.fail_next(500)
        vonage.fail_next(503)
        failures = [(await refusal_of(http, vonage.url))[1] for _ in range(2)]
        await send_sms(http, account(vonage.url), PHONE, TEXT, CALLBACK)
    assert [(f.category, f.error) for f in failures] == [
        (Category.TRANSIENT, "http_500"),
        (Category.TRANSIENT, "http_503"),
    ]
    assert len(vonage.requests) == 3 and len(vonage.sent) == 1


async def test_a_slow_answer_times_out_transient(http):
    async with VonageDouble() as vonage:
        vonage.delay_next(2.0)
        _, failure = await refusal_of(http, vonage.url, timeout=0.2)
    assert failure.category is Category.TRANSIENT and failure.error == "network"


async def test_a_refused_connection_is_transient(http):
    async with VonageDouble() as vonage:
        url = vonage.url
    _, failure = await refusal_of(http, url)
    assert failure.category is Category.TRANSIENT and failure.error == "network"


async def test_a_wrong_api_url_is_fatal(http):
    async with VonageDouble() as vonage:
        _, failure = await refusal_of(http, vonage.url + "/v1")
    assert (failure.category, failure.error, failure.status) == (Category.FATAL, "http_404", 404)


async def test_a_server_that_is_not_vonage_is_fatal(http):
    async def welcome(request: web.Request) -> web.Response:
        return web.Response(text="<html>welcome</html>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/sms/json", welcome)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        _, failure = await refusal_of(http, f"http://127.0.0.1:{runner.addresses[0][1]}")
    finally:
        await runner.cleanup()
    assert (failure.category, failure.error) == (Category.FATAL, "not_vonage")


def test_other_exceptions_are_not_classified():
    assert classify(ValueError("a bug")) is None


@pytest.mark.parametrize("method", ["GET", "POST", "POST-JSON"])
async def test_a_receipt_arrives_as_the_account_sends_it_and_reads_the_same(http, sink, method):
    async with VonageDouble(webhook_method=method) as vonage:
        message_id = await send_sms(http, account(vonage.url), PHONE, TEXT, sink.url)
        assert await vonage.deliver_receipt(message_id, "failed", "6") == 200
    [(verb, params)] = sink.received
    assert verb == ("GET" if method == "GET" else "POST")
    assert receipt(params) == Receipt(message_id, "failed", 6, "447700900001", KEY)
    assert failed(receipt(params)) and "sig" not in params


@pytest.mark.parametrize(
    ("status", "gave_up"),
    [
        ("delivered", False),
        ("accepted", False),
        ("buffered", False),
        ("unknown", False),
        ("failed", True),
        ("expired", True),
        ("rejected", True),
        ("undelivered", True),
        ("FAILED", True),
    ],
)
def test_a_receipt_has_failed_when_the_message_will_not_arrive(status, gave_up):
    read = receipt({"messageId": "0B00000127FDBC63", "status": status, "err-code": "0"})
    assert read is not None and failed(read) is gave_up


def test_a_request_without_id_or_status_is_no_receipt():
    assert receipt({}) is None
    assert receipt({"messageId": "0B00000127FDBC63"}) is None
    assert receipt({"status": "delivered", "err-code": "x"}) is None
    odd = receipt({"messageId": "0B00000127FDBC63", "status": "delivered", "err-code": "x"})
    assert odd == Receipt("0B00000127FDBC63", "delivered", None)


@pytest.mark.parametrize("method", ["md5hash", "md5", "sha1", "sha256", "sha512"])
async def test_a_signed_receipt_is_checked_with_the_signature_secret(http, sink, method):
    async with VonageDouble(signature_secret=SIGNING, signature_method=method) as vonage:
        message_id = await send_sms(http, account(vonage.url), PHONE, TEXT, sink.url)
        await vonage.deliver_receipt(message_id, "delivered")
    [(_, params)] = sink.received
    assert params["sig"] == params["sig"].upper() and params["nonce"] and params["timestamp"]
    assert valid_signature(params, SIGNING)
    assert valid_signature(params, SIGNING, now=time.time())
    assert not valid_signature(params, SIGNING, now=time.time() + 2 * 86400)  # replayed
    assert not valid_signature(params, "another-secret")
    assert not valid_signature(params, "")
    assert not valid_signature({**params, "status": "failed"}, SIGNING)  # tampered
    assert not valid_signature({k: v for k, v in params.items() if k != "sig"}, SIGNING)


def test_signatures_match_vonages_own_examples():
    """The vectors of Vonage's Python library's tests: an MD5 hash and HMACs, `&` and `=` in
    values signed as `_`."""
    params = {"a": "1", "b": "2", "timestamp": "1461605396"}
    assert signature(params, "secret") == "6af838ef94998832dbfc29020b564830"
    assert valid_signature({**params, "sig": "6AF838EF94998832DBFC29020B564830"}, "secret")
    two = {"param1": "value1", "param2": "value2", "timestamp": "1234567890"}
    assert signature(two, "signature_secret", "md5") == "724c2bf6ca423c36e20631b11d1c5753"
    assert signature(two, "signature_secret", "sha256") == (
        "280c4320703dbc98bfa22db676655ed2acfbfe8792b062ff7622e67f1183c287"
    )
    odd = {"param1": "value&1", "param2": "value=2", "timestamp": "1234567890"}
    assert signature(odd, "signature_secret", "md5") == "2bbf0abafb2c55e5af6231513896a2ac"
    one = {"param": "value", "timestamp": "1234567890", "sig": "655a4d0b7f064dff438defc52b012cf5"}
    assert valid_signature(one, "signature_secret")


def test_the_receipt_endpoint_is_under_the_public_url():
    assert status_callback("https://firebell.example.com/ ") == CALLBACK


def test_the_settings_name_the_account_and_keep_its_secrets():
    assert Settings.model_fields["firebell_vonage_api_url"].default == "https://rest.nexmo.com"
    settings = Settings(
        firebell_vonage_api_key=KEY,
        firebell_vonage_api_secret=SECRET,
        firebell_vonage_from=" +447700900000 ",
        firebell_vonage_api_url="https://rest.example.com/",
        firebell_vonage_signature_secret=SIGNING,
    )
    assert SECRET not in repr(settings) and SIGNING not in repr(settings)
    vonage = VonageAccount.from_settings(settings)
    assert vonage == VonageAccount(KEY, SECRET, "+447700900000", "https://rest.example.com")
    assert SECRET not in repr(vonage)
    assert Settings(firebell_vonage_from="Firebell").firebell_vonage_from == "Firebell"
    unset = Settings(firebell_vonage_api_key=KEY, firebell_vonage_api_secret=" ")
    assert unset.firebell_vonage_api_secret is None
    assert VonageAccount.from_settings(unset) is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("firebell_vonage_from", "Firebell Alerts"),  # 15 characters: at most 11
        ("firebell_vonage_from", "+44 7700"),
        ("firebell_vonage_from", "fire-bell"),
        ("firebell_vonage_api_url", "rest.nexmo.com"),
    ],
)
def test_settings_refuse_a_sender_or_address_vonage_would_not_take(name, value):
    with pytest.raises(ValidationError) as read:
        Settings(**{name: value})
    assert read.value.errors()[0]["loc"] == (name,)
