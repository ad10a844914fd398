"""Where the watchdog's messages go: each `--page-*` route, through `bot/notify`'s clients
(e-mail by `email.notice`, ntfy by `ntfy.post`, Apprise by `apprise.notify`, SMS along
Twilio then Vonage by `pages.failover`, a call by `twilio.call` saying the text), configured
by the same FIREBELL_* variables as Firebell's own pages. Never Slack: the watchdog speaks
when Firebell, or its way to Slack, may be down.

A route that fails is logged and does not stop the others; `send` says how many took the
message. Logs show routes masked: phone numbers and ntfy topics cut, Apprise URLs (which
hold tokens) as their scheme only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from bot.core.paging_codes import mask_phone
from bot.notify import apprise, email, ntfy, twilio
from bot.slack.delivery.pages import Media, failover

log = structlog.get_logger("firebell.watchdog")
MEDIA = ("email", "sms", "voice", "ntfy", "apprise")
SUBJECT = "[firebell watchdog] "


@dataclass(frozen=True)
class Route:
    medium: str  # one of MEDIA
    address: str  # an e-mail address, an E.164 number, an ntfy topic or an Apprise URL

    def shown(self) -> str:
        """The route as logs may show it."""
        if self.medium in ("sms", "voice"):
            return f"{self.medium} {mask_phone(self.address)}"
        if self.medium == "ntfy":
            return f"ntfy {self.address[:3]}…"
        if self.medium == "apprise":
            return f"apprise {apprise.scheme(self.address)}://…"
        return f"{self.medium} {self.address}"


def sms_providers(media: Media) -> list[str]:
    return [name for name in ("twilio", "vonage") if getattr(media, name) is not None]


def problems(routes: Sequence[Route], media: Media) -> list[str]:
    """What the environment lacks for these routes (checked before the first check)."""
    found = []
    needs = {medium for medium in (r.medium for r in routes)}
    if "email" in needs and (media.smtp is None or not media.smtp_from):
        found.append("--page-email needs FIREBELL_SMTP_URL and FIREBELL_SMTP_FROM")
    if "sms" in needs and not sms_providers(media):
        found.append("--page-sms needs FIREBELL_TWILIO_* or FIREBELL_VONAGE_*")
    if "voice" in needs and media.twilio is None:
        found.append("--page-voice needs FIREBELL_TWILIO_*")
    return found


class Notifier:
    def __init__(self, routes: Sequence[Route], media: Media) -> None:
        self.routes = list(routes)
        self.media = media

    async def send(self, title: str, body: str) -> int:
        """Send the message through every route; how many took it."""
        took = 0
        for route in self.routes:
            try:
                await self._one(route, title, body)
            except Exception as exc:  # one route's failure never keeps the others quiet
                log.error(
                    "watchdog_route_failed",
                    route=route.shown(),
                    error=type(exc).__name__,
                    title=title,
                )
                continue
            log.info("watchdog_sent", route=route.shown(), title=title)
            took += 1
        return took

    async def _one(self, route: Route, title: str, body: str) -> None:
        media = self.media
        if route.medium == "email":
            assert media.smtp is not None and media.smtp_from
            message = email.notice(media.smtp_from, route.address, SUBJECT + title, body)
            await email.send(media.smtp, message)
        elif route.medium == "ntfy":
            push = ntfy.notice(route.address, title, body)
            await ntfy.post(media.http(), media.ntfy_url, media.ntfy_token, push)
        elif route.medium == "apprise":
            await apprise.notify([route.address], title, body)
        elif route.medium == "sms":
            await failover(media, sms_providers(media), route.address, f"{title}. {body}")
        elif route.medium == "voice":
            assert media.twilio is not None
            twiml = twilio.gather_reply_twiml(f"Firebell watchdog. {title}. {body}")
            callback = twilio.status_callback(media.public_url)
            await twilio.call(media.http(), media.twilio, route.address, twiml, callback)
        else:
            raise ValueError(f"unknown medium {route.medium!r}")

    async def close(self) -> None:
        await self.media.close()
