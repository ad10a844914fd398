"""A Firebell whose pages outside Slack reach a real SMTP server and the ntfy double."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.sandbox.standin.server import SlackDouble
from tests.support.harness import Bot
from tests.support.ntfy import NtfyDouble
from tests.support.smtp import MailServer

PUBLIC_URL = "https://firebell.example.com"


def link_path(link: str) -> str:
    """The path of an acknowledge link a page carried, to request from the bot under test."""
    assert link.startswith(f"{PUBLIC_URL}/p/"), link
    return link.removeprefix(PUBLIC_URL)


class PagingBot(Bot):
    def __init__(self, *args, mail: MailServer, ntfy: NtfyDouble, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mail, self.ntfy = mail, ntfy

    def settings(self, **overrides):
        media = {
            "firebell_smtp_url": self.mail.url(),
            "firebell_smtp_from": "firebell@example.com",
            "firebell_ntfy_url": self.ntfy.url,
            "firebell_public_url": PUBLIC_URL,
        }
        return super().settings(**{**media, **overrides})


@asynccontextmanager
async def started(directory: Path, double: SlackDouble, config: str) -> AsyncIterator[PagingBot]:
    """A PagingBot with a real SMTP server and the ntfy double, started."""
    async with MailServer() as mail, NtfyDouble() as ntfy:
        running = PagingBot(directory, double, config=config, mail=mail, ntfy=ntfy)
        await running.start()
        try:
            yield running
        finally:
            await running.close()
