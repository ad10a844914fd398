"""Alembic migrations, run from code: `firebell migrate`, and `serve` on start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.store.db import Database, lock_for_migrations

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(db: Database) -> None:
    """Safe when several replicas start at once: they take turns, the later ones find the
    schema current and do nothing."""

    def work(conn) -> None:
        lock_for_migrations(conn)
        command.upgrade(alembic_config(conn), "head")

    await db.write(work, alone=True)


def head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(db: Database) -> tuple[str | None, str]:
    """(revision the database is at, newest revision the code knows)."""
    current = await db.read(lambda conn: MigrationContext.configure(conn).get_current_revision())
    return current, head()
