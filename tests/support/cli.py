"""The `firebell` command as users run it: `python -m bot …` in a real subprocess, with the
example config and a fresh database of the test's own (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.support import database
from tests.support.db import rows

EXAMPLE = Path(__file__).parents[2] / "config" / "firebell.example.yml"


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """This process's environment without Slack or Firebell settings, plus the test's own."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREBELL_"))}
    return {
        **clean,
        "DATABASE_URL": database.url_for(tmp_path),
        "FIREBELL_CONFIG": str(EXAMPLE),
        **extra,
    }


async def run(tmp_path: Path, *args: str, **extra: str) -> tuple[int, str, str]:
    """Run `firebell <args>` in `tmp_path` to its end; (exit code, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env(tmp_path, **extra),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, out.decode(), err.decode()


# the example's placeholders, each replaced by an id of the kind a real workspace has
REAL_IDS = {
    "C0INCIDENTS": "C07INCDNT01",
    "C0STATUS": "C07STATUS01",
    "U0AAA": "U07AAAAAAA1",
    "U0BBB": "U07BBBBBBB1",
    "U0CCC": "U07CCCCCCC1",
    "U0DDD": "U07DDDDDDD1",
    "U0LEAD": "U07LEADLEAD",
    "S0PRODUCT": "S07PRODUCT1",
    "@example.com": "@acme.test",
}


def edited_example(tmp_path: Path) -> Path:
    """The example config as a user leaves it after editing: its placeholders replaced."""
    text = EXAMPLE.read_text()
    for placeholder, real in REAL_IDS.items():
        text = text.replace(placeholder, real)
    path = tmp_path / "firebell.yml"
    path.write_text(text)
    return path


def table_names(tmp_path: Path) -> set[str]:
    """The tables the command left in the test's database (none: it never got that far)."""
    url = database.url_for(tmp_path)
    if url.startswith("sqlite"):
        if not (tmp_path / "fb.db").exists():
            return set()
        found = rows(tmp_path / "fb.db", "SELECT name FROM sqlite_master WHERE type='table'")
    else:
        found = rows(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {name for (name,) in found}


def count_tables(tmp_path: Path) -> int:
    return len(table_names(tmp_path))
