"""Reading a bot's audit log back the way an auditor would, and making its transactions fail.

`log` reads every row in `seq` order, `since` the rows after a mark; `verified` checks the
whole chain against its head (bot.core.audit.verify) and that every row is spelled as the log
promises. `crash_on_insert` installs a trigger that makes every insert into a table fail, on
SQLite and PostgreSQL alike: a real failure inside a use case's transaction, after whatever it
wrote before that insert.
"""

from __future__ import annotations

import re
from typing import Any

from bot.core import audit as chain
from bot.store import audit as store
from tests.support.db import rows

SOURCES = {"command", "button", "modal", "shortcut", "reaction", "webhook", "timer", "cli"}
SOURCES |= {"startup", "link", "sms", "voice"}
OUTCOMES = {"done", "denied", "invalid"}
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
CRASH = "firebell_test_crash"


async def log(bot) -> list[dict[str, Any]]:
    """Every row of the audit log, in `seq` order (before/after as JSON keeps them)."""
    return await bot.app.db.read(lambda conn: list(store.rows(conn)))


async def head(bot) -> tuple[int, str]:
    return await bot.app.db.read(store.head)


async def since(bot, mark: int) -> list[dict[str, Any]]:
    """The rows appended after `seq` `mark`."""
    return [row for row in await log(bot) if row["seq"] > mark]


class Watch:
    """`async with Watch(bot) as new:` ... then `new.rows`: the rows the block appended."""

    def __init__(self, bot) -> None:
        self.bot = bot
        self.rows: list[dict[str, Any]] = []

    async def __aenter__(self) -> Watch:
        self.mark = (await head(self.bot))[0]
        return self

    async def __aexit__(self, *exc) -> None:
        if exc[0] is None:
            self.rows = await since(self.bot, self.mark)

    @property
    def one(self) -> dict[str, Any]:
        assert len(self.rows) == 1, [brief(r) for r in self.rows]
        return self.rows[0]


def brief(row: dict[str, Any]) -> tuple:
    """(actor, source, action, target, outcome): what a row says happened."""
    return row["actor"], row["source"], row["action"], row["target"], row["outcome"]


def check_chain(found: list[dict[str, Any]], at: tuple[int, str]) -> None:
    """The chain holds from its first row to its head, with no gap, fork or edit."""
    broken = chain.verify(found, at)
    assert broken is None, broken
    assert [r["seq"] for r in found] == list(range(1, len(found) + 1))
    assert at[0] == len(found)


async def verified(bot) -> list[dict[str, Any]]:
    """The whole log, after checking its chain and the spelling of every row: a known source
    and outcome, a person or a source as actor (never Firebell itself), an ISO UTC time."""
    found = await log(bot)
    check_chain(found, await head(bot))
    for row in found:
        assert row["source"] in SOURCES, row
        assert row["outcome"] in OUTCOMES, row
        assert row["actor"] and row["actor"] != "firebell", row
        assert STAMP.fullmatch(row["at"]), row
    return found


def crash_on_insert(bot, table: str) -> None:
    """From now on every insert into `table` fails, as a broken disk or constraint would."""
    if bot.database_url.startswith("sqlite"):
        rows(
            bot,
            f"CREATE TRIGGER {CRASH} BEFORE INSERT ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'crash before commit'); END",
        )
        return
    rows(
        bot,
        f"CREATE OR REPLACE FUNCTION {CRASH}() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'crash before commit'; END $$",
    )
    rows(
        bot,
        f"CREATE TRIGGER {CRASH} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {CRASH}()",
    )


def stop_crashing(bot, table: str) -> None:
    if bot.database_url.startswith("sqlite"):
        rows(bot, f"DROP TRIGGER {CRASH}")
    else:
        rows(bot, f"DROP TRIGGER {CRASH} ON {table}")


def moved(row: dict[str, Any], *keys: str) -> dict[str, tuple[Any, Any]]:
    """(before, after) of each of `keys` in a row."""
    before, after = row["before"] or {}, row["after"] or {}
    return {key: (before.get(key), after.get(key)) for key in keys}
