"""Alembic migrations, run from code: `firebell migrate`, and `serve` on start.

Alembic itself (with Mako and Pygments, ~0.15 s to import) is imported only when there is
something to migrate: on a start with the schema current, the revision the database is at
and the newest one in `migrations/versions` are both read without it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

from bot.store.db import Database, lock_for_migrations

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"""^(revision|down_revision)\s*(?::[^=]*)?=\s*["']([^"']+)["']""", re.M)


def alembic_config(connection=None) -> Config:
    """Alembic's Config for `connection`, the scripts in `migrations`."""
    from alembic.config import Config  # only now: see the module's docstring

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(db: Database) -> None:
    """Safe when several replicas start at once: they take turns, the later ones find the
    schema current and do nothing."""

    def work(conn: Connection) -> None:
        lock_for_migrations(conn)
        if _revision_of(conn) == head():
            return
        from alembic import command  # only now: see the module's docstring

        command.upgrade(alembic_config(conn), "head")

    await db.write(work, alone=True)


def head() -> str:
    """The newest revision the code knows: the one no script names as its `down_revision`
    (the chain is linear; a test holds this to Alembic's own answer)."""
    revisions, parents = set(), set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION.findall(script.read_text()))
        revisions.add(found["revision"])
        parents.add(found.get("down_revision"))
    [newest] = revisions - parents
    return newest


def _revision_of(conn: Connection) -> str | None:
    """The revision in Alembic's version table; None before the first migration."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


async def current_revision(db: Database) -> tuple[str | None, str]:
    """(revision the database is at, newest revision the code knows)."""
    return await db.read(_revision_of), head()
