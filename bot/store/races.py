"""An INSERT that may lose a race: another transaction made the same row first.

The loser's IntegrityError must leave its transaction usable. PostgreSQL aborts the whole
transaction on a failed statement, so the INSERT runs inside a SAVEPOINT there. SQLite undoes
only the failed statement and keeps the transaction, so it needs none: two statements fewer
on the paths that open alert groups in a storm.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection


@contextmanager
def may_lose(conn: Connection) -> Iterator[None]:
    """Wrap one INSERT whose IntegrityError the caller catches outside this block."""
    if conn.dialect.name == "sqlite":
        yield
        return
    with conn.begin_nested():
        yield
