"""Pages by e-mail: a `Page` rendered as a message (plain text and HTML, one thread per
incident; `notice` for a message that is no page), the SMTP server it goes through (`SmtpTarget`, from FIREBELL_SMTP_URL), sending it
with aiosmtplib, and what an SMTP failure means for the outbox sender (`classify`).

Threading: every message of incident 42 from one sender refers to one id,
`<inc-42.<hash of the sender's address>@firebell>`. The first page *is* that message; later ones
have ids of their own and point at it with `In-Reply-To` and `References`, which is what mail
clients thread by (the subject stays the same too, for those that thread by subject).
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import SecretStr

from bot.core.paging import Page
from bot.notify import one_line
from bot.settings import SMTP_FLAGS, smtp_url_problem
from bot.slack.errors import Category, Failure

TIMEOUT = 30.0  # seconds for each step of the SMTP conversation
SUBJECT_TITLE = 120  # characters of the title in the subject
BODY_TITLE = 1000  # and in the body
MSGID_DOMAIN = "firebell"


@dataclass(frozen=True)
class SmtpTarget:
    """Where e-mail pages go: FIREBELL_SMTP_URL read once at start-up."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False  # smtp://...?starttls=1: upgrade the plain connection first
    tls: bool = False  # smtps://: TLS from the first byte

    @classmethod
    def parse(cls, url: str | SecretStr) -> SmtpTarget:
        """`smtp://host[:25]`, `smtp://user:password@host[:587]?starttls=1` or
        `smtps://user:password@host[:465]` (user and password percent-decoded). A malformed
        URL raises ValueError naming FIREBELL_SMTP_URL and never the password."""
        text = url.get_secret_value() if isinstance(url, SecretStr) else url
        problem = smtp_url_problem(text)
        if problem:
            raise ValueError(f"FIREBELL_SMTP_URL {problem}")
        parts = urlsplit(text.strip())
        tls = parts.scheme.lower() == "smtps"
        flags = parse_qsl(parts.query, keep_blank_values=True)
        starttls = any(SMTP_FLAGS[value.lower()] for _, value in flags)
        return cls(
            host=parts.hostname or "",
            port=parts.port or (465 if tls else 587 if starttls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            starttls=starttls,
            tls=tls,
        )


def thread_id(number: int, sender: str) -> str:
    """The Message-ID every message about incident `number` from `sender` refers to. The
    sender's address keeps two Firebells (staging and production) apart in one mailbox."""
    address = (parseaddr(sender)[1] or sender).strip().lower()
    digest = hashlib.sha256(address.encode()).hexdigest()[:16]
    return f"<inc-{number}.{digest}@{MSGID_DOMAIN}>"


def subject(page: Page) -> str:
    severity = one_line(page.severity, 20).upper()
    return f"[{severity}] {page.ref}: {one_line(page.title, SUBJECT_TITLE)}"


def render(page: Page, sender: str, *, first: bool) -> EmailMessage:
    """The e-mail for one page, From `sender` (FIREBELL_SMTP_FROM), without To: the caller
    sets `message["To"]`. `first`: the incident's first e-mail to go out, whose Message-ID is
    the incident's thread id; otherwise a reply in that thread."""
    message = _message(sender, subject(page))
    thread = thread_id(page.number, sender)
    if first:
        message["Message-ID"] = thread
    else:
        message["Message-ID"] = make_msgid(f"inc-{page.number}", domain=MSGID_DOMAIN)
        message["In-Reply-To"] = thread
        message["References"] = thread
    if page.most_severe:
        message["Importance"] = "high"
        message["X-Priority"] = "1"
    message.set_content(text(page), cte="quoted-printable")  # readable, unlike base64
    message.add_alternative(markup(page), subtype="html")
    return message


def notice(sender: str, to: str, title: str, body: str) -> EmailMessage:
    """A plain-text message that is no page (a verification code, a test page) To `to`."""
    message = _message(sender, title)
    message["To"] = to
    message["Message-ID"] = make_msgid("firebell", domain=MSGID_DOMAIN)
    message.set_content(body, cte="quoted-printable")
    return message


def _message(sender: str, title: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["Subject"] = title
    message["Date"] = formatdate(usegmt=True)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    return message


def _facts(page: Page) -> tuple[str, str, str, str]:
    return (
        one_line(page.severity, 20).upper(),
        one_line(page.title, BODY_TITLE),
        one_line(page.team, 200),
        one_line(page.status, 50),
    )


def text(page: Page) -> str:
    """The text/plain part (shown as it is: nothing in it is markup)."""
    severity, title, team, status = _facts(page)
    return (
        f"{page.ref} · {severity} · {team}\n"
        f"{title}\n\n"
        f"Status: {status}\n"
        f"Owning team: {team}\n\n"
        f"Acknowledge: {page.link}\n\n"
        "-- \nFirebell paged you about this incident.\n"
    )


def markup(page: Page) -> str:
    """The text/html part: every value escaped, the acknowledge link as a button and as text."""
    severity, title, team, status = (html.escape(value) for value in _facts(page))
    ref, link = html.escape(page.ref), html.escape(page.link, quote=True)
    colour = "#b00020" if page.most_severe else "#b26a00"
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{ref}: {title}</title></head>
<body style="font-family:sans-serif;line-height:1.4">
<p style="margin:0;color:{colour};font-weight:bold">{ref} · {severity} · {team}</p>
<h1 style="font-size:20px;margin:4px 0 12px">{title}</h1>
<table style="border-collapse:collapse;margin-bottom:16px">
<tr><th style="text-align:left;padding-right:12px">Status</th><td>{status}</td></tr>
<tr><th style="text-align:left;padding-right:12px">Owning team</th><td>{team}</td></tr>
</table>
<p><a href="{link}" style="display:inline-block;padding:10px 18px;background:{colour};\
color:#fff;text-decoration:none;border-radius:4px;font-weight:bold">Acknowledge {ref}</a></p>
<p style="font-size:12px;color:#555">Or open <a href="{link}">{link}</a></p>
<p style="font-size:12px;color:#555">Firebell paged you about this incident.</p>
</body></html>
"""


async def send(
    target: SmtpTarget,
    message: EmailMessage,
    timeout: float = TIMEOUT,  # noqa: ASYNC109 - aiosmtplib's, for each step
) -> None:
    """Hand `message` to the SMTP server; raises aiosmtplib's errors (see `classify`)."""
    import aiosmtplib  # here, not at the top: only a page by e-mail needs it, not start-up

    if not message["To"]:
        raise ValueError("an e-mail page needs a To address")
    await aiosmtplib.send(
        message,
        hostname=target.host,
        port=target.port,
        username=target.username,
        password=(target.password or "") if target.username else None,
        use_tls=target.tls,
        start_tls=target.starttls,  # never silently: a local relay may have no usable TLS
        timeout=timeout,
    )


def _by_code(code: int, error: str, refusal: Category) -> Failure:
    """4xx (and anything not a 5xx): try again later; 5xx: `refusal`."""
    category = refusal if 500 <= code < 600 else Category.TRANSIENT
    return Failure(category, error, code, method="smtp")


def classify(exc: BaseException) -> Failure | None:
    """What a failed `send` means: a temporary refusal (4xx), the network or a timeout ->
    TRANSIENT; this message or recipient refused (5xx) -> PERMANENT; the login, the From
    address or the server itself refused (no page can go out) -> FATAL; None for anything
    else (a bug: let it propagate)."""
    import aiosmtplib  # here, not at the top: only a page by e-mail needs it, not start-up

    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return _by_code(exc.code, f"smtp_auth_{exc.code}", Category.FATAL)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in exc.recipients] or [550]
        code = next((c for c in codes if not 500 <= c < 600), codes[0])
        return _by_code(code, f"smtp_{code}", Category.PERMANENT)
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        return _by_code(exc.code, f"smtp_sender_{exc.code}", Category.FATAL)
    if isinstance(exc, aiosmtplib.SMTPConnectResponseError | aiosmtplib.SMTPHeloError):
        return _by_code(exc.code, f"smtp_greeting_{exc.code}", Category.FATAL)
    if isinstance(exc, aiosmtplib.SMTPResponseException):  # DATA, one recipient, others
        return _by_code(exc.code, f"smtp_{exc.code}", Category.PERMANENT)
    if isinstance(exc, aiosmtplib.SMTPNotSupported):  # no AUTH, or no STARTTLS, offered
        return Failure(Category.FATAL, "smtp_not_supported", method="smtp")
    if isinstance(exc, TimeoutError | OSError):  # SMTPConnectError, disconnects, timeouts
        detail = f"{type(exc).__name__}: {exc}"
        return Failure(Category.TRANSIENT, "network", detail=detail, method="smtp")
    if isinstance(exc, aiosmtplib.SMTPException):
        return Failure(Category.PERMANENT, "smtp", method="smtp")
    return None
