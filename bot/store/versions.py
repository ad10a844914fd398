"""Version counters of what replicas hold in memory: a write that changes the data behind one
bumps it in its own transaction, and a reader compares it with the version it holds.

`oncall` covers overrides and the e-mails Slack resolved (`bot.services.oncall.Roster`).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Connection

from bot.store.prepared import Prepared
from bot.store.tables import versions

ONCALL = "oncall"
_BUMPED = "firebell_bumped"  # conn.info key: {name: the transaction that bumped it}
# built once: a statement built per call computes its cache key again on every execution
_READ = Prepared(sa.select(versions.c.value).where(versions.c.name == sa.bindparam("name")))
_BUMP = Prepared(
    sa.update(versions)
    .where(versions.c.name == sa.bindparam("name_"))
    .values(value=versions.c.value + 1)
)


def read(conn: Connection, name: str) -> int:
    """A declaration asks this every time: one prepared statement."""
    return int(_READ.execute(conn, {"name": name}).scalar_one())


def bump(conn: Connection, name: str) -> None:
    """Count one more change, committed or rolled back with the caller's transaction."""
    _BUMP.execute(conn, {"name_": name})
    conn.info.setdefault(_BUMPED, {})[name] = conn.get_transaction()


def bumped_here(conn: Connection, name: str) -> bool:
    """Whether this transaction bumped `name`: what it reads may yet be rolled back, and
    the counter with it, so it must not be held as that version."""
    return conn.info.get(_BUMPED, {}).get(name) is conn.get_transaction()
