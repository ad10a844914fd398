"""For the watchdog's end-to-end tests: a served Firebell's environment, a declaration over
signed HTTP, a watchdog run in-process (real clock and sleep) paging through a real SMTP
server and the ntfy double, and waiting for a condition."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import aiohttp

from bot.clock import SystemClock
from bot.settings import Settings
from bot.slack.delivery.pages import media_of
from bot.watchdog.notify import Notifier, Route
from bot.watchdog.run import Options, Watchdog
from tests.support import signing
from tests.support.harness import SECRET
from tests.support.ntfy import NtfyDouble
from tests.support.smtp import MailServer

TO = "oncall@example.com"
TOPIC = "firebell-watchdog-7f3a"


async def declare(base: str, title: str) -> None:
    body = signing.slash_command_body(f"declare sev2 {title}")
    headers = signing.sign(SECRET, body, int(time.time()))
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base}/slack/events", data=body, headers=headers) as response,
    ):
        assert response.status == 200, await response.text()


def watchdog(
    url: str,
    state: Path,
    mail: MailServer,
    ntfy: NtfyDouble,
    *,
    failures: int = 2,
    timeout: float = 2.0,
    outbox_age: timedelta = timedelta(minutes=10),
) -> Watchdog:
    """Checks every second; pages to `TO` by e-mail and to `TOPIC` by ntfy."""
    settings = Settings(
        firebell_smtp_url=mail.url(),
        firebell_smtp_from="Firebell watchdog <watchdog@example.com>",
        firebell_ntfy_url=ntfy.url,
    )
    options = Options(
        url=url,
        every=timedelta(seconds=1),
        failures=failures,
        timeout=timedelta(seconds=timeout),
        outbox_age=outbox_age,
        state=state,
    )
    routes = [Route("email", TO), Route("ntfy", TOPIC)]
    return Watchdog(options, Notifier(routes, media_of(settings)), SystemClock())


async def until(condition: Callable[[], bool], *, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within}s: {what}")
        await asyncio.sleep(0.05)


def titles(mail: MailServer, ntfy: NtfyDouble) -> tuple[list[str], list[str]]:
    """What each route received, in order: e-mail subjects, push titles."""
    return (
        [str(m.message["Subject"]) for m in mail.received],
        [str(p["title"]) for p in ntfy.published],
    )
