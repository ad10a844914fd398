"""The stand-in on its own, for the tests of the stand-in itself: served over HTTP, and a
plain slack_sdk client talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.standin.server import SlackDouble


@pytest.fixture
async def slack() -> AsyncIterator[SlackDouble]:
    async with SlackDouble() as double:
        yield double


@pytest.fixture
async def client(slack: SlackDouble) -> AsyncIterator[AsyncWebClient]:
    web = AsyncWebClient(token="xoxb-test", base_url=slack.url, timeout=5)
    yield web
    if web.session is not None:
        await web.session.close()
