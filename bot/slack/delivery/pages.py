"""Delivering pages outside Slack: one e-mail, push, SMS, call or Apprise notice per outbox
row; and My paging's verification codes and test pages, through the same clients.

Each row is one step of one person's rules (`services/paging.py`), rendered from the incident
as it is at send time into a `core.paging.Page` with the person's acknowledge link, and sent
through the medium's client (`bot/notify/`), whose own `classify` tells the sender whether a
failure is worth retrying. These rows are not paced and have a lane per person and medium, so
a slow mail server never holds up a Slack post, nor one person's push another's. A
verification code is made as its row leaves (`MyPagingService.code`): the outbox never holds
it, the database only its hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from bot.core.outbox import OutboxKind
from bot.core.paging import TEST_TITLE, Page, test_text
from bot.core.paging_codes import code_text
from bot.notify import apprise, email, ntfy, twilio, vonage
from bot.services.models import IncidentRecord, OutboxRecord
from bot.settings import Settings
from bot.slack import errors
from bot.slack.delivery.kinds import Deliveries, Kind, Undeliverable

CODE_SUBJECT = "Your Firebell verification code"


@dataclass
class Media:
    """The non-Slack media's settings and clients (None: that medium is not configured)."""

    smtp: email.SmtpTarget | None = None
    smtp_from: str | None = None
    ntfy_url: str = "https://ntfy.sh"
    ntfy_token: str | None = None
    twilio: twilio.TwilioAccount | None = None
    vonage: vonage.VonageAccount | None = None
    public_url: str = "http://localhost:3000"  # where providers post receipts and answers
    session: aiohttp.ClientSession | None = None  # made at the first push, closed at stop

    def http(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            self.session = aiohttp.ClientSession()
        return self.session

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


def media_of(settings: Settings) -> Media:
    """The media as the environment configures them (FIREBELL_SMTP_*, FIREBELL_NTFY_*)."""
    smtp = settings.firebell_smtp_url
    token = settings.firebell_ntfy_token
    return Media(
        smtp=email.SmtpTarget.parse(smtp) if smtp else None,
        smtp_from=settings.firebell_smtp_from,
        ntfy_url=settings.firebell_ntfy_url,
        ntfy_token=token.get_secret_value() if token else None,
        twilio=twilio.TwilioAccount.from_settings(settings),
        vonage=vonage.VonageAccount.from_settings(settings),
        public_url=settings.public_url(),
    )


def _page(ctx: Deliveries, incident: IncidentRecord, user: str) -> Page:
    page = ctx.services.page_links.page(incident, user)
    if page is None:
        raise Undeliverable("no secret to sign acknowledge links (FIREBELL_CALENDAR_SECRET)")
    return page


def _media(ctx: Deliveries) -> Media:
    if ctx.media is None:
        raise Undeliverable("no media configured")
    return ctx.media


def mail(ctx: Deliveries) -> Media:
    """The media, which must include e-mail (else the row can never go out)."""
    media = _media(ctx)
    if media.smtp is None or not media.smtp_from:
        raise Undeliverable("e-mail pages need FIREBELL_SMTP_URL and FIREBELL_SMTP_FROM")
    return media


async def by_email(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    media = mail(ctx)
    incident = await ctx.incident(row)
    page = _page(ctx, incident, row.payload["user"])
    message = email.render(page, media.smtp_from, first=bool(row.payload.get("first")))
    message["To"] = row.payload["to"]
    await email.send(media.smtp, message)
    await ctx.services.outbox.delivered(row)
    await ctx.services.paging.sent(incident.id, page.user, "email")


async def by_ntfy(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    media = _media(ctx)
    incident = await ctx.incident(row)
    page = _page(ctx, incident, row.payload["user"])
    await ntfy.publish(media.http(), media.ntfy_url, media.ntfy_token, page, row.payload["topic"])
    await ctx.services.outbox.delivered(row)
    await ctx.services.paging.sent(incident.id, page.user, "ntfy")


async def by_apprise(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    """To the person's `apprise:` URLs as the config says now (never stored in the row)."""
    incident = await ctx.incident(row)
    page = _page(ctx, incident, row.payload["user"])
    urls = await ctx.services.paging.apprise_urls(page.user)
    if not urls:
        raise Undeliverable("no `apprise:` URLs for this person in the config any more")
    await apprise.send(urls, page)
    await ctx.services.outbox.delivered(row)
    await ctx.services.paging.sent(incident.id, page.user, "apprise")


async def by_sms(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    """Through the providers of `paging.sms` from the row's `attempt` on (`_failover`)."""
    incident = await ctx.incident(row)
    page = _page(ctx, incident, row.payload["user"])
    attempt = int(row.payload.get("attempt", 0))
    phone, text = row.payload["phone"], twilio.sms_text(page)
    index, provider, sent = await _failover(ctx, phone, text, attempt)
    await ctx.services.outbox.delivered(row)
    payload = {**row.payload, "attempt": index}
    await ctx.services.phone_pages.sent(incident.id, payload, "sms", provider, sent)


async def _failover(ctx: Deliveries, phone: str, text: str, attempt: int = 0) -> tuple:
    """Send `text` through the providers of `paging.sms` from `attempt` on (`failover`)."""
    return await failover(_media(ctx), ctx.services.config.paging.sms, phone, text, attempt)


async def failover(
    media: Media, providers: Sequence[str], phone: str, text: str, attempt: int = 0
) -> tuple:
    """Send `text` through `providers` (`twilio`, `vonage`) from `attempt` on: one that is
    down, unreachable or refuses the account is passed over at once for the next; a rate limit
    or a refusal of the number itself is the caller's to handle (the sender retries, or fails
    the row). Which provider took it (its index and name) and its id for the message. Also
    `firebell watchdog`'s way to send an SMS."""
    for index in range(attempt, len(providers)):
        provider = providers[index]
        try:
            return index, provider, await _sms(media, provider, phone, text)
        except Exception as exc:
            failure = _classify(exc)
            last = index == len(providers) - 1
            if failure is None or last or not twilio.fails_over(failure):
                raise
    raise Undeliverable("no SMS provider left to try")


async def _sms(media: Media, provider: str, phone: str, text: str) -> str:
    if provider == "twilio" and media.twilio is not None:
        callback = twilio.status_callback(media.public_url)
        return await twilio.send_sms(media.http(), media.twilio, phone, text, callback)
    if provider == "vonage" and media.vonage is not None:
        callback = vonage.status_callback(media.public_url)
        return await vonage.send_sms(media.http(), media.vonage, phone, text, callback)
    raise NotConfigured(provider)


class NotConfigured(Exception):
    """`paging.sms` names a provider whose FIREBELL_* variables are not set."""


def _classify(exc: BaseException):
    if isinstance(exc, NotConfigured):
        return errors.Failure(errors.Category.FATAL, f"{exc}_not_configured", method=str(exc))
    return twilio.classify(exc) or vonage.classify(exc)


async def by_voice(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    media = _media(ctx)
    if media.twilio is None:
        raise Undeliverable("voice pages need FIREBELL_TWILIO_* (paging.voice: twilio)")
    incident = await ctx.incident(row)
    user = row.payload["user"]
    page = _page(ctx, incident, user)
    token = ctx.services.page_links.token(incident.id, user)
    gather = f"{media.public_url}/notify/twilio/voice/gather?t={token}"
    callback = twilio.status_callback(media.public_url)
    twiml = twilio.voice_twiml(page, gather)
    sent = await twilio.call(media.http(), media.twilio, row.payload["phone"], twiml, callback)
    await ctx.services.outbox.delivered(row)
    await ctx.services.phone_pages.sent(incident.id, row.payload, "voice", "twilio", sent)


async def code_by_email(
    ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]
) -> None:
    """A verification code for a new e-mail address (My paging), made as it leaves."""
    media = mail(ctx)
    if code := await _code(ctx, row):
        message = email.notice(media.smtp_from, row.payload["to"], CODE_SUBJECT, code_text(code))
        await email.send(media.smtp, message)
    await ctx.services.outbox.delivered(row)


async def code_by_sms(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    """A verification code for a new phone number, through `paging.sms` as pages go."""
    _media(ctx)
    if code := await _code(ctx, row):
        await _failover(ctx, row.payload["to"], code_text(code))
    await ctx.services.outbox.delivered(row)


async def _code(ctx: Deliveries, row: OutboxRecord) -> str | None:
    """The code to send (None: the address waits for none any more; nothing goes out)."""
    user, medium, address = row.payload["user"], row.payload["medium"], row.payload["to"]
    return await ctx.services.my_paging.code(user, medium, address)


async def test_by_dm(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    await ctx.post(row, test_text("slack"), channel=row.payload["user"])


async def test_by_email(
    ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]
) -> None:
    media = mail(ctx)
    message = email.notice(media.smtp_from, row.payload["to"], TEST_TITLE, test_text("email"))
    await email.send(media.smtp, message)
    await ctx.services.outbox.delivered(row)


async def test_by_ntfy(
    ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]
) -> None:
    media = _media(ctx)
    push = ntfy.notice(row.payload["topic"], TEST_TITLE, test_text("ntfy"))
    await ntfy.post(media.http(), media.ntfy_url, media.ntfy_token, push)
    await ctx.services.outbox.delivered(row)


async def test_by_sms(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    await _failover(ctx, row.payload["phone"], test_text("sms"))
    await ctx.services.outbox.delivered(row)


async def test_by_apprise(
    ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]
) -> None:
    urls = await ctx.services.paging.apprise_urls(row.payload["user"])
    if not urls:
        raise Undeliverable("no `apprise:` URLs for this person in the config any more")
    await apprise.notify(urls, TEST_TITLE, test_text("apprise"))
    await ctx.services.outbox.delivered(row)


KINDS = {
    OutboxKind.PAGE_EMAIL: Kind(by_email, classify=email.classify, paced=False),
    OutboxKind.PAGE_NTFY: Kind(by_ntfy, classify=ntfy.classify, paced=False),
    OutboxKind.PAGE_SMS: Kind(by_sms, classify=_classify, paced=False),
    OutboxKind.PAGE_VOICE: Kind(by_voice, classify=twilio.classify, paced=False),
    OutboxKind.PAGE_APPRISE: Kind(by_apprise, classify=apprise.classify, paced=False),
    OutboxKind.PAGE_CODE_EMAIL: Kind(code_by_email, classify=email.classify, paced=False),
    OutboxKind.PAGE_CODE_SMS: Kind(code_by_sms, classify=_classify, paced=False),
    OutboxKind.PAGE_TEST_DM: Kind(test_by_dm, paced=False),
    OutboxKind.PAGE_TEST_EMAIL: Kind(test_by_email, classify=email.classify, paced=False),
    OutboxKind.PAGE_TEST_NTFY: Kind(test_by_ntfy, classify=ntfy.classify, paced=False),
    OutboxKind.PAGE_TEST_SMS: Kind(test_by_sms, classify=_classify, paced=False),
    OutboxKind.PAGE_TEST_APPRISE: Kind(test_by_apprise, classify=apprise.classify, paced=False),
}
