"""My paging's rows: what a person set for themselves (`paging_settings`) and the addresses
waiting for their code (`paging_codes`), read and written in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from bot.store.prepared import Prepared
from bot.store.tables import paging_codes, paging_settings

FIELDS = ("email", "phone", "ntfy", "rules", "tested_at")


_LOAD = sa.select(paging_settings).where(paging_settings.c.user == sa.bindparam("user"))
_LOADS = {False: Prepared(_LOAD), True: Prepared(_LOAD.with_for_update())}  # every page's read


def load(conn: Connection, user: str, lock: bool = False) -> dict[str, Any] | None:
    """The person's settings row (None: they never set anything; read for every page);
    `lock` holds it until the transaction ends (a second replica's change waits)."""
    return _LOADS[lock].first(conn, {"user": user})


def save(conn: Connection, user: str, values: Mapping[str, Any]) -> None:
    """Set these columns of the person's row, made when missing (the others stay)."""
    changed = conn.execute(
        sa.update(paging_settings).where(paging_settings.c.user == user).values(**values)
    )
    if changed.rowcount == 0:
        blank = dict.fromkeys(FIELDS)
        conn.execute(sa.insert(paging_settings).values(**{**blank, **values, "user": user}))


def codes(conn: Connection, user: str, lock: bool = False) -> dict[str, dict[str, Any]]:
    """The person's code rows by medium (`email`, `phone`)."""
    query = sa.select(paging_codes).where(paging_codes.c.user == user)
    found = conn.execute(query.with_for_update() if lock else query).mappings()
    return {row["medium"]: dict(row) for row in found}


def ask(conn: Connection, user: str, medium: str, address: str, now: datetime) -> None:
    """`address` waits for a code, asked for now; the code before it (if any) is gone."""
    values = {"address": address, "sent_at": now, "salt": None, "digest": None}
    values |= {"expires_at": None, "tries": 0}
    where = (paging_codes.c.user == user) & (paging_codes.c.medium == medium)
    if conn.execute(sa.update(paging_codes).where(where).values(**values)).rowcount == 0:
        conn.execute(sa.insert(paging_codes).values(user=user, medium=medium, **values))


def issue(
    conn: Connection, user: str, medium: str, salt: str, digest: str, expires_at: datetime
) -> None:
    """The code that is going out now: its hash, until when it holds; no wrong tries yet."""
    where = (paging_codes.c.user == user) & (paging_codes.c.medium == medium)
    values = {"salt": salt, "digest": digest, "expires_at": expires_at, "tries": 0}
    conn.execute(sa.update(paging_codes).where(where).values(**values))


def tried(conn: Connection, user: str, medium: str, tries: int) -> None:
    where = (paging_codes.c.user == user) & (paging_codes.c.medium == medium)
    conn.execute(sa.update(paging_codes).where(where).values(tries=tries))


def settle(conn: Connection, user: str, medium: str) -> None:
    """Nothing waits for a code any more (verified, withdrawn or removed); the row stays for
    the once-a-minute limit."""
    where = (paging_codes.c.user == user) & (paging_codes.c.medium == medium)
    values = {"address": None, "salt": None, "digest": None, "expires_at": None, "tries": 0}
    conn.execute(sa.update(paging_codes).where(where).values(**values))
