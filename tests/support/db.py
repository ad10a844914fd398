"""Reading and writing the bot's database directly, the way an operator would check it.

Works on the SQLite file and on PostgreSQL alike; values come back as SQLite shows them
(UTC times as `YYYY-MM-DD HH:MM:SS.ffffff`, JSON as text) so assertions read the same.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import make_url

from tests.support.database import libpq


def _url(target: Any) -> str:
    if isinstance(target, Path):
        return f"sqlite:///{target}"
    return str(getattr(target, "database_url", target))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def rows(target: Any, sql: str, *args) -> list[tuple]:
    """Run one statement (`?` placeholders) and return its rows; writes are committed."""
    url = _url(target)
    if url.startswith("sqlite"):
        with sqlite3.connect(make_url(url).database) as conn:
            return conn.execute(sql, args).fetchall()
    with psycopg.connect(libpq(url)) as conn:
        cursor = conn.execute(sql.replace("?", "%s"), args)
        found = cursor.fetchall() if cursor.description else []
    return [tuple(_plain(v) for v in row) for row in found]


def count(target: Any, table: str, where: str = "1=1", *args) -> int:
    return rows(target, f"SELECT COUNT(*) FROM {table} WHERE {where}", *args)[0][0]


def statements_from_now(db: Any, prefix: str) -> list[str]:
    """The SQL statements starting with `prefix` that Firebell's `Database` `db` runs from
    now on (a list that fills as they run)."""
    engine = db.sync_engine if db.is_sqlite else db.engine.sync_engine
    seen: list[str] = []

    def watch(conn, cursor, statement, *rest) -> None:
        if statement.startswith(prefix):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", watch)
    return seen


def alert_group_row(key: str, at: datetime, **fields: Any) -> dict[str, Any]:
    """An `alert_groups` row as intake first stores one (firing, seen once at `at`), for
    tests that write groups straight into the store; `fields` over it."""
    return {
        "source": "alertmanager",
        "key_hash": hashlib.sha256(key.encode()).hexdigest(),
        "group_key": key,
        "status": "firing",
        "title": f"group {key}",
        "labels": {},
        "annotations": {},
        "links": {},
        "notifications": 1,
        "first_seen_at": at,
        "last_seen_at": at,
        **fields,
    }


def delivered_row(at: datetime, channel: str) -> dict[str, Any]:
    """An `outbox` row no incident owns (a handover post), delivered into `channel` at `at`,
    for tests that seed a long delivered history straight into the store."""
    return {
        "kind": "handover",
        "channel": channel,
        "payload": {},
        "status": "sent",
        "attempts": 1,
        "not_before": at,
        "created_at": at,
        "finished_at": at,
    }
