"""Start-up stays light (issue #15): what only a page, a reply, a migration or PostgreSQL
needs is not imported by `bot.app`, and a start on a current schema does not import Alembic.
Checked in fresh interpreters, through `sys.modules`."""

import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from bot.store.migrate import alembic_config, head

ROOT = Path(__file__).resolve().parents[2]
NOT_AT_START = (
    "apprise",
    "twilio",
    "icalendar",
    "aiosmtplib",
    "matplotlib",
    "alembic",
    "sqlalchemy.ext.asyncio",  # PostgreSQL's engine, with the ORM it imports
)


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_the_app_leaves_what_start_up_does_not_use_unimported():
    found = _run(
        f"import sys, bot.app; print(' '.join(m for m in {NOT_AT_START!r} if m in sys.modules))"
    )
    assert found == ""


def test_a_start_on_a_current_schema_does_not_import_alembic(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'firebell.db'}"
    steps = (
        "import asyncio, sys\n"
        "from bot.store.db import Database\n"
        "from bot.store.migrate import current_revision, upgrade\n"
        "async def main():\n"
        f"    db = Database({url!r})\n"
        "    await upgrade(db)\n"
        "    print(*await current_revision(db), 'alembic' in sys.modules)\n"
        "    await db.close()\n"
        "asyncio.run(main())\n"
    )
    newest = head()
    assert _run(steps) == f"{newest} {newest} True"  # a fresh file: Alembic migrates it
    assert _run(steps) == f"{newest} {newest} False"  # current already: not imported


def test_the_newest_revision_is_alembic_s_head():
    assert head() == ScriptDirectory.from_config(alembic_config()).get_current_head()
