"""The store tests' database: a fresh one, migrated, on SQLite or (with
FIREBELL_TEST_DATABASE_URL) on PostgreSQL, dropped afterwards."""

from __future__ import annotations

import pytest

from bot.store.db import Database
from bot.store.migrate import upgrade
from tests.support import database


@pytest.fixture
async def db(tmp_path):
    url = database.fresh_url(tmp_path, "store.db")
    opened = Database(url)
    await upgrade(opened)
    yield opened
    await opened.close()
    database.drop(url)
