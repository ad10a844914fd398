"""Reading the bot's SQLite file directly, the way an operator would check it."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def rows(path: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, args).fetchall()


def count(path: Path, table: str, where: str = "1=1", *args) -> int:
    return rows(path, f"SELECT COUNT(*) FROM {table} WHERE {where}", *args)[0][0]
