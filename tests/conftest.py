"""Shared fixtures: a Slack double over HTTP and a real bot on a fresh database.

SQLite by default; PostgreSQL when FIREBELL_TEST_DATABASE_URL names a server."""

from __future__ import annotations

import pytest

from bot.sandbox.standin.server import SlackDouble
from tests.support import database
from tests.support.harness import Bot


@pytest.fixture(scope="session", autouse=True)
def _postgres_databases():
    """On PostgreSQL runs, clear databases an interrupted run left, and ours at the end."""
    database.drop_leftovers()
    yield
    database.drop_leftovers(mine=True)


@pytest.fixture
async def double():
    async with SlackDouble() as slack:
        yield slack


@pytest.fixture
async def bot(tmp_path, double):
    running = await Bot(tmp_path, double).start()
    yield running
    await running.close()
