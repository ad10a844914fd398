"""The watchdog's routes through `bot/notify`'s clients, against a real SMTP server and the
ntfy, Twilio and Vonage doubles: every route gets the text, a failing one does not silence
the others, SMS fails over from Twilio to Vonage, and logs never show a number or a token."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from bot.settings import Settings
from bot.slack.delivery.pages import media_of
from bot.watchdog.notify import Notifier, Route, problems
from tests.support import twilio as twilio_double
from tests.support import vonage as vonage_double
from tests.support.ntfy import NtfyDouble
from tests.support.smtp import MailServer
from tests.support.twilio import TwilioDouble
from tests.support.vonage import VonageDouble

PHONE = "+4915112345678"
TOPIC = "ops-pager-7f3a9c"


def settings(**values) -> Settings:
    return Settings(firebell_public_url="https://firebell.example.com", **values)


def twilio_env(double: TwilioDouble) -> dict:
    return {
        "firebell_twilio_account_sid": twilio_double.ACCOUNT_SID,
        "firebell_twilio_auth_token": twilio_double.AUTH_TOKEN,
        "firebell_twilio_from": twilio_double.NUMBER,
        "firebell_twilio_api_url": double.url,
    }


def vonage_env(double: VonageDouble) -> dict:
    return {
        "firebell_vonage_api_key": vonage_double.KEY,
        "firebell_vonage_api_secret": vonage_double.SECRET,
        "firebell_vonage_from": "Firebell",
        "firebell_vonage_api_url": double.url,
    }


async def test_every_route_gets_the_message():
    async with (
        MailServer() as mail,
        NtfyDouble() as ntfy,
        TwilioDouble() as twilio,
    ):
        media = media_of(
            settings(
                firebell_smtp_url=mail.url(),
                firebell_smtp_from="Firebell watchdog <watchdog@example.com>",
                firebell_ntfy_url=ntfy.url,
                **twilio_env(twilio),
            )
        )
        routes = [
            Route("email", "ops@example.com"),
            Route("ntfy", TOPIC),
            Route("sms", PHONE),
            Route("voice", PHONE),
        ]
        assert problems(routes, media) == []
        notifier = Notifier(routes, media)
        with capture_logs() as logs:
            took = await notifier.send("Firebell is down", "Firebell at http://x: unreachable.")
        await notifier.close()
    assert took == 4
    [received] = mail.received
    assert received.rcpt_tos == ["ops@example.com"]
    assert received.message["Subject"] == "[firebell watchdog] Firebell is down"
    assert "Firebell at http://x: unreachable." in received.message.get_content()
    [push] = ntfy.published
    assert push["topic"] == TOPIC and push["title"] == "Firebell is down"
    [sms] = twilio.messages.values()
    assert sms["to"] == PHONE and sms["body"].startswith("Firebell is down. Firebell at")
    [call] = twilio.calls.values()
    assert call["to"] == PHONE
    shown = " ".join(str(entry) for entry in logs)
    assert PHONE not in shown and TOPIC not in shown
    assert "+49•••••••5678" in shown and "ops@example.com" in shown


async def test_one_failing_route_does_not_silence_the_others():
    async with MailServer() as mail, NtfyDouble() as ntfy:
        ntfy.fail_next(500)
        media = media_of(
            settings(
                firebell_smtp_url=mail.url(),
                firebell_smtp_from="watchdog@example.com",
                firebell_ntfy_url=ntfy.url,
            )
        )
        notifier = Notifier([Route("ntfy", TOPIC), Route("email", "ops@example.com")], media)
        with capture_logs() as logs:
            assert await notifier.send("Firebell is down", "down") == 1
        await notifier.close()
    assert len(mail.received) == 1
    [failed] = [e for e in logs if e["event"] == "watchdog_route_failed"]
    assert failed["route"] == "ntfy ops…"


async def test_sms_fails_over_from_twilio_to_vonage():
    async with TwilioDouble() as twilio, VonageDouble() as vonage:
        twilio.fail_next(503)
        media = media_of(settings(**twilio_env(twilio), **vonage_env(vonage)))
        notifier = Notifier([Route("sms", PHONE)], media)
        assert await notifier.send("Firebell recovered", "Firebell recovered.") == 1
        await notifier.close()
    assert twilio.messages == {}
    [sent] = vonage.sent
    assert sent.text.startswith("Firebell recovered.")


async def test_an_apprise_url_is_logged_by_its_scheme_only():
    notifier = Notifier(
        [Route("apprise", "json://user:s3cr3t@127.0.0.1:9/hook")], media_of(settings())
    )
    with capture_logs() as logs:
        assert await notifier.send("Firebell is down", "down") == 0
    assert "s3cr3t" not in str(logs) and logs[-1]["route"] == "apprise json://…"


@pytest.mark.parametrize(
    ("medium", "lacking"),
    [
        ("email", "--page-email needs FIREBELL_SMTP_URL and FIREBELL_SMTP_FROM"),
        ("sms", "--page-sms needs FIREBELL_TWILIO_* or FIREBELL_VONAGE_*"),
        ("voice", "--page-voice needs FIREBELL_TWILIO_*"),
    ],
)
def test_a_route_without_its_provider_is_refused_before_the_first_check(medium, lacking):
    assert problems([Route(medium, "x")], media_of(settings())) == [lacking]
    assert problems([Route("ntfy", TOPIC)], media_of(settings())) == []  # ntfy.sh by default
