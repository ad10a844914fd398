"""Delivering pages outside Slack: one e-mail or one ntfy push per outbox row.

Each row is one step of one person's rules (`services/paging.py`), rendered from the incident
as it is at send time into a `core.paging.Page` with the person's acknowledge link, and sent
through the medium's client (`bot/notify/`), whose own `classify` tells the sender whether a
failure is worth retrying. These rows are not paced and have a lane per person and medium, so
a slow mail server never holds up a Slack post, nor one person's push another's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from bot.core.outbox import OutboxKind
from bot.core.paging import Page
from bot.notify import email, ntfy
from bot.services.models import IncidentRecord, OutboxRecord
from bot.settings import Settings
from bot.slack.delivery.kinds import Deliveries, Kind, Undeliverable


@dataclass
class Media:
    """The non-Slack media's settings and clients (None: that medium is not configured)."""

    smtp: email.SmtpTarget | None = None
    smtp_from: str | None = None
    ntfy_url: str = "https://ntfy.sh"
    ntfy_token: str | None = None
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
    )


def _page(ctx: Deliveries, incident: IncidentRecord, user: str) -> Page:
    config = ctx.services.config
    link = ctx.services.page_links.link(incident.id, user)
    if link is None:
        raise Undeliverable("no secret to sign acknowledge links (FIREBELL_CALENDAR_SECRET)")
    return Page(
        number=incident.id,
        severity=incident.severity,
        most_severe=incident.severity.upper() == config.severity_names[0].upper(),
        title=incident.title,
        team=incident.owner,
        status=incident.status,
        link=link,
        user=user,
    )


def _media(ctx: Deliveries) -> Media:
    if ctx.media is None:
        raise Undeliverable("no media configured")
    return ctx.media


async def by_email(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    media = _media(ctx)
    if media.smtp is None or not media.smtp_from:
        raise Undeliverable("e-mail pages need FIREBELL_SMTP_URL and FIREBELL_SMTP_FROM")
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


KINDS = {
    OutboxKind.PAGE_EMAIL: Kind(by_email, classify=email.classify, paced=False),
    OutboxKind.PAGE_NTFY: Kind(by_ntfy, classify=ntfy.classify, paced=False),
}
