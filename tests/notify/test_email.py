"""E-mail pages through a real SMTP server (aiosmtpd on loopback): what arrives, how one
incident's pages thread, logging in, what each SMTP failure means for the outbox sender, and
FIREBELL_SMTP_URL read and refused without ever showing its password."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.cli import EXIT_CONFIG
from bot.core.paging import Page
from bot.notify.email import SmtpTarget, classify, render, send, thread_id
from bot.settings import Settings
from bot.slack.errors import Category
from tests.support import cli
from tests.support.smtp import MailServer, SilentServer

SENDER = "Firebell <firebell@example.com>"
TO = "oncall@example.com"
LINK = "https://firebell.example.com/p/9f2c1d7e"
PASSWORD = "s3cr3t:p@ss/w#rd"


def page(number: int = 42, title: str = "Checkout returns 502", **changes) -> Page:
    values = {
        "number": number,
        "severity": "sev1",
        "most_severe": True,
        "title": title,
        "team": "payments",
        "status": "triggered",
        "link": LINK,
        "user": "U0PAGED",
    }
    return Page(**{**values, **changes})


def addressed(p: Page, *, first: bool = True, sender: str = SENDER):
    message = render(p, sender, first=first)
    message["To"] = TO
    return message


async def test_a_page_arrives_with_both_parts_the_link_and_the_team():
    async with MailServer() as server:
        await send(SmtpTarget.parse(server.url()), addressed(page()))
    [got] = server.received
    assert got.mail_from == "firebell@example.com" and got.rcpt_tos == [TO]
    assert got.message["From"] == SENDER and got.message["To"] == TO
    assert got.message["Subject"] == "[SEV1] INC-42: Checkout returns 502"
    assert got.message.get_content_type() == "multipart/alternative"
    text, markup = got.part("plain"), got.part("html")
    for part in (text, markup):
        assert LINK in part and "payments" in part and "INC-42" in part
    assert "Acknowledge: " + LINK in text
    assert f'href="{LINK}"' in markup
    assert got.message["Auto-Submitted"] == "auto-generated"
    assert got.login is None


async def test_a_script_in_the_title_is_escaped_in_html_and_plain_in_text():
    title = '<script>alert("x")</script> & db down'
    async with MailServer() as server:
        await send(SmtpTarget.parse(server.url()), addressed(page(title=title)))
    [got] = server.received
    assert got.message["Subject"] == f"[SEV1] INC-42: {title}"
    assert "<script>" not in got.part("html")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; db down" in got.part("html")
    assert title in got.part("plain")  # text/plain is never rendered as markup


async def test_a_title_cannot_add_headers_and_is_trimmed_in_the_subject():
    title = "db down\r\nBcc: everyone@example.com\n" + "x" * 500
    async with MailServer() as server:
        await send(SmtpTarget.parse(server.url()), addressed(page(title=title)))
    [got] = server.received
    assert got.rcpt_tos == [TO] and got.message["Bcc"] is None
    subject = got.message["Subject"]
    assert subject.startswith("[SEV1] INC-42: db down Bcc: everyone@example.com xxx")
    assert subject.endswith("…") and len(subject) < 160
    assert "\n" not in subject and "\r" not in subject


async def test_pages_of_one_incident_are_one_thread():
    async with MailServer() as server:
        target = SmtpTarget.parse(server.url())
        await send(target, addressed(page(), first=True))
        await send(target, addressed(page(status="escalated"), first=False))
        await send(target, addressed(page(), first=False))
    first, second, third = (r.message for r in server.received)
    thread = thread_id(42, SENDER)
    assert first["Message-ID"] == thread and first["In-Reply-To"] is None
    for reply in (second, third):
        assert reply["In-Reply-To"] == thread and reply["References"] == thread
        assert reply["Message-ID"] != thread
    assert second["Message-ID"] != third["Message-ID"]
    assert second["Subject"] == first["Subject"]
    assert thread_id(43, SENDER) != thread  # another incident, another thread
    assert thread_id(42, "firebell-staging@example.com") != thread  # another Firebell
    assert thread_id(42, "FIREBELL@example.com") == thread


async def test_a_less_severe_page_is_not_marked_important():
    assert render(page(), SENDER, first=True)["Importance"] == "high"
    assert render(page(most_severe=False), SENDER, first=True)["Importance"] is None


async def test_smtp_with_user_and_password_logs_in():
    async with MailServer(user="pager", password=PASSWORD) as server:
        target = SmtpTarget.parse(server.url(user="pager", password=PASSWORD))
        assert target.password == PASSWORD  # percent-decoded
        await send(target, addressed(page()))
    assert server.logins == ["pager"]
    assert [r.login for r in server.received] == ["pager"]


async def failure_of(target: SmtpTarget, **kwargs):
    with pytest.raises(Exception) as raised:
        await send(target, addressed(page()), **kwargs)
    return classify(raised.value)


async def test_a_wrong_password_is_fatal():
    async with MailServer(user="pager", password=PASSWORD) as server:
        failure = await failure_of(SmtpTarget.parse(server.url(user="pager", password="nope")))
    assert failure.category is Category.FATAL and failure.status == 535
    assert set(server.refused_logins) == {"pager"} and server.received == []


async def test_no_login_where_one_is_required_is_fatal():
    async with MailServer(user="pager", password=PASSWORD) as server:
        failure = await failure_of(SmtpTarget.parse(server.url()))
    assert failure.category is Category.FATAL and failure.status == 530


@pytest.mark.parametrize(
    ("code", "at", "category"),
    [
        (451, "RCPT", Category.TRANSIENT),
        (450, "RCPT", Category.TRANSIENT),
        (550, "RCPT", Category.PERMANENT),
        (451, "DATA", Category.TRANSIENT),
        (554, "DATA", Category.PERMANENT),
    ],
)
async def test_refusals_classify_by_their_code(code, at, category):
    async with MailServer() as server:
        target = SmtpTarget.parse(server.url())
        server.fail_next(code, at=at)
        failure = await failure_of(target)
        assert (failure.category, failure.status, failure.error) == (category, code, f"smtp_{code}")
        await send(target, addressed(page()))  # only the next one was refused
    assert len(server.received) == 1


async def test_a_refused_connection_is_transient():
    server = MailServer()
    await server.start()
    target = SmtpTarget.parse(server.url())
    await server.stop()
    failure = await failure_of(target)
    assert failure.category is Category.TRANSIENT and failure.error == "network"


async def test_a_server_that_never_answers_times_out_transient():
    async with SilentServer() as silent:
        failure = await failure_of(SmtpTarget(silent.host, silent.port), timeout=0.3)
    assert failure.category is Category.TRANSIENT and failure.error == "network"


async def test_a_message_without_to_is_a_bug_not_a_delivery_failure():
    with pytest.raises(ValueError) as raised:
        await send(SmtpTarget("127.0.0.1", 1), render(page(), SENDER, first=True))
    assert classify(raised.value) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://relay.internal", SmtpTarget("relay.internal", 25)),
        ("smtp://relay.internal:2525", SmtpTarget("relay.internal", 2525)),
        (
            "smtp://me%40example.com:p%40ss@mail.example.com?starttls=1",
            SmtpTarget("mail.example.com", 587, "me@example.com", "p@ss", starttls=True),
        ),
        ("smtps://u:p@mail.example.com", SmtpTarget("mail.example.com", 465, "u", "p", tls=True)),
        (
            "SMTPS://u:p@mail.example.com:2465",
            SmtpTarget("mail.example.com", 2465, "u", "p", tls=True),
        ),
    ],
)
def test_the_smtp_url_is_read(url, expected):
    assert SmtpTarget.parse(url) == expected


def test_a_target_never_shows_its_password():
    target = SmtpTarget.parse("smtp://pager:hunter2@mail.example.com")
    assert "hunter2" not in repr(target) and "hunter2" not in str(target)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://pager:hunter2@mail.example.com",
        "mail.example.com:587",
        "smtp://pager:hunter2@",
        "smtp://pager:hunter2@mail.example.com:99999",
        "smtp://pager:hunter2@mail.example.com?startls=1",
        "smtps://pager:hunter2@mail.example.com?starttls=1",
        "smtp://:hunter2@mail.example.com",
    ],
)
def test_a_malformed_smtp_url_is_refused_naming_the_variable_not_the_password(url):
    with pytest.raises(ValueError) as parsed:
        SmtpTarget.parse(url)
    assert "FIREBELL_SMTP_URL" in str(parsed.value) and "hunter2" not in str(parsed.value)
    with pytest.raises(ValidationError) as read:
        Settings(firebell_smtp_url=url)
    [error] = read.value.errors()
    assert error["loc"] == ("firebell_smtp_url",)
    assert "hunter2" not in str(read.value) and "hunter2" not in repr(read.value.errors())


def test_smtp_settings_are_optional_and_blank_means_unset():
    settings = Settings(firebell_smtp_url="", firebell_smtp_from=" ")
    assert settings.firebell_smtp_url is None and settings.firebell_smtp_from is None
    settings = Settings(firebell_smtp_url="smtp://u:hunter2@mail.example.com?starttls=1")
    assert "hunter2" not in repr(settings)
    assert SmtpTarget.parse(settings.firebell_smtp_url).password == "hunter2"


def test_a_from_that_is_no_address_is_refused():
    with pytest.raises(ValidationError) as read:
        Settings(firebell_smtp_from="firebell")
    assert read.value.errors()[0]["loc"] == ("firebell_smtp_from",)
    assert Settings(firebell_smtp_from=SENDER).firebell_smtp_from == SENDER


async def test_start_up_stops_on_a_malformed_smtp_url_without_printing_the_password(tmp_path):
    code, out, err = await cli.run(
        tmp_path, "check", FIREBELL_SMTP_URL="smtp://pager:hunter2@mail.example.com:smtp"
    )
    assert code == EXIT_CONFIG
    assert "FIREBELL_SMTP_URL" in err and "port" in err
    assert "hunter2" not in err + out
