"""Where a test's database lives: a SQLite file, or a fresh PostgreSQL database.

`FIREBELL_TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test` runs the suite
on PostgreSQL: every bot gets a database of its own, created from that server's `test`
database and dropped when the test ends.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ENV = "FIREBELL_TEST_DATABASE_URL"
PREFIX = "fbtest_"


def server_url() -> str | None:
    url = os.environ.get(ENV, "").strip()
    return url if url.startswith("postgresql") else None


def on_postgres() -> bool:
    return server_url() is not None


def libpq(url: str) -> str:
    """The same address for psycopg (the test's own sync connections)."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def fresh_url(directory: Path, name: str = "firebell.db") -> str:
    server = server_url()
    if server is None:
        return f"sqlite+aiosqlite:///{directory / name}"
    database = f"{PREFIX}{os.getpid()}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    return make_url(server).set(database=database).render_as_string(hide_password=False)


def drop(url: str) -> None:
    server = server_url()
    database = make_url(url).database or ""
    if server is None or not database.startswith(PREFIX):
        return
    with psycopg.connect(libpq(server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def drop_leftovers(mine: bool = False) -> None:
    """Databases of test runs that ended without cleaning up (their process is gone), or,
    with `mine`, this run's own. Runs going on at the same time keep theirs."""
    server = server_url()
    if server is None:
        return
    with psycopg.connect(libpq(server), autocommit=True) as conn:
        found = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (PREFIX + "%",)
        )
        for (name,) in list(found):
            pid = name.removeprefix(PREFIX).split("_", 1)[0]
            if (mine and pid == str(os.getpid())) or (not mine and not _alive(pid)):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _alive(pid: str) -> bool:
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_BY_DIRECTORY: dict[Path, str] = {}


def url_for(directory: Path, name: str = "fb.db") -> str:
    """One database per test directory, for tests that start `firebell` as a subprocess;
    PostgreSQL ones are dropped at the end of the session."""
    if directory not in _BY_DIRECTORY:
        _BY_DIRECTORY[directory] = fresh_url(directory, name)
    return _BY_DIRECTORY[directory]
