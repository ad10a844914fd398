"""Shared fixtures: a Slack double over HTTP and a real bot on a temporary SQLite file."""

from __future__ import annotations

import pytest

from tests.support.harness import Bot
from tests.support.slack_double import SlackDouble


@pytest.fixture
async def double():
    async with SlackDouble() as slack:
        yield slack


@pytest.fixture
async def bot(tmp_path, double):
    running = await Bot(tmp_path, double).start()
    yield running
    await running.close()
