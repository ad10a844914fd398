"""`firebell audit verify` and `firebell audit export`: the audit log checked and handed out
from the command line. They read the database named by `DATABASE_URL` and nothing else: no
Slack credentials, no config file, and they never write (not even the schema).

`verify` reads the chain's head, then walks every row up to it in one read (rows appended
meanwhile are left to the next check) through `bot.core.audit.verify`. Exit status: 0 the log
is intact, 1 it is broken (the message names the first `seq` that does not check), 2 it could
not be checked (no database there, a database without the audit log, or one that cannot be
reached).

`export` writes the rows as JSON Lines on stdout, oldest first, streamed: one object per row
with `seq`, `at` (ISO UTC), `actor`, `source`, `action`, `target`, `outcome`, `before`,
`after`, `prev_hash` and `hash`. `--since` (inclusive) and `--until` (exclusive) take an ISO
date or date-time, UTC unless it carries an offset; a bad one is refused with status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from bot.core import audit as chain
from bot.settings import Settings

EXIT_BROKEN = 1
EXIT_UNCHECKED = 2  # no database, no audit log in it, unreachable, or bad arguments
EXPORTED = (*chain.FIELDS, "prev_hash", "hash")  # the keys of an exported row, in this order
WHEN = "an ISO date or date-time like 2026-11-01 or 2026-12-01T12:00 (UTC unless it has an offset)"


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """`audit verify` and `audit export` under the `firebell` command's subparsers, each
    taking the options every command takes (`parents`: `--config`, which they accept and,
    reading only the database, leave unused)."""
    audit = sub.add_parser(
        "audit", help="check the audit log's hash chain, or export it as JSON Lines"
    )
    commands = audit.add_subparsers(dest="audit_command", metavar="{verify,export}")
    commands.required = True
    commands.add_parser(
        "verify",
        parents=parents,
        help="walk the hash chain; exit 1 naming the first row edited, deleted or reordered",
    )
    export = commands.add_parser(
        "export", parents=parents, help="write the rows as JSON Lines to stdout"
    )
    export.add_argument(
        "--since", type=instant, metavar="WHEN", help=f"rows at or after WHEN, {WHEN}"
    )
    export.add_argument("--until", type=instant, metavar="WHEN", help=f"rows before WHEN, {WHEN}")


def instant(text: str) -> datetime:
    """An ISO date or date-time; naive means UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {WHEN}") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def run(settings: Settings, args: argparse.Namespace) -> int:
    if args.audit_command == "verify":
        return asyncio.run(_checked(settings, _verify))
    since, until = args.since, args.until
    if since is not None and until is not None and since >= until:
        print(
            f"firebell audit export: --since ({chain.stamp(since)}) must be before --until "
            f"({chain.stamp(until)})",
            file=sys.stderr,
        )
        return EXIT_UNCHECKED
    return asyncio.run(_checked(settings, lambda db: _export(db, since, until)))


class NoLog(Exception):
    """The database has no audit log (its schema predates it, or was never created)."""


async def _checked(settings: Settings, command) -> int:
    """Run `command(db)` on the configured database, answering for whatever stops it."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store.db import Database

    url = make_url(settings.database_url)
    where = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and (problem := _sqlite_problem(url.database)):
        print(problem, file=sys.stderr)
        return EXIT_UNCHECKED
    db = Database(settings.database_url)
    try:
        try:
            await db.ping()
        except Exception as exc:  # the driver's own: refused, no such database, bad password
            print(f"cannot reach the database at {where}: {_reason(exc)}", file=sys.stderr)
            return EXIT_UNCHECKED
        return await command(db)
    except NoLog:
        print(
            f"no audit log in the database at {where}: its schema is older than the audit log "
            "or was never created; run `firebell migrate` (Firebell also migrates on start)",
            file=sys.stderr,
        )
        return EXIT_UNCHECKED
    except SQLAlchemyError as exc:
        print(f"cannot read the database at {where}: {_reason(exc)}", file=sys.stderr)
        return EXIT_UNCHECKED
    finally:
        await db.close()


def _sqlite_problem(path: str | None) -> str | None:
    """Why a SQLite file cannot be read, asked read-only before `Database` opens it (which
    would create a missing file, and whose writer thread would fail loudly on a file that is
    not a database); None when it can."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return None  # nothing on disk to look at; the driver answers
    file = Path(path).expanduser()
    if not file.exists():
        return f"no database at {path} (DATABASE_URL): nothing to check"
    try:
        with closing(sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.Error as exc:
        return f"cannot read the database at {path} (DATABASE_URL): {exc}"
    return None


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _require_log(conn) -> None:
    import sqlalchemy as sa

    inspector = sa.inspect(conn)
    if not (inspector.has_table("audit_log") and inspector.has_table("audit_head")):
        raise NoLog()


# -- verify -----------------------------------------------------------------------------------


@dataclass
class Walk:
    """What one check found: the head it read (None: missing), the rows it walked, and the
    first broken link (None: every link holds)."""

    head: tuple[int, str] | None
    count: int = 0
    first: int | None = None
    last: int | None = None
    broken: chain.Broken | None = None


class _Tally:
    """Counts the rows a check walks, passing them on unchanged."""

    def __init__(self, walk: Walk, rows: Iterable[dict[str, Any]]) -> None:
        self.walk, self.rows = walk, rows

    def __iter__(self) -> Iterator[dict[str, Any]]:
        walk = self.walk
        for row in self.rows:
            if walk.first is None:
                walk.first = row["seq"]
            walk.count += 1
            walk.last = row["seq"]
            yield row


def walk(conn) -> Walk:
    """Check the chain up to the head read first, in this one read transaction."""
    from sqlalchemy.exc import NoResultFound

    from bot.store import audit as store

    _require_log(conn)
    try:
        head: tuple[int, str] | None = store.head(conn)
    except NoResultFound:
        head = None
    found = Walk(head)
    rows = store.rows(conn, until_seq=head[0] if head else None)
    found.broken = chain.verify(_Tally(found, rows), head)
    return found


async def _verify(db) -> int:
    found = await db.read(walk)
    if found.broken is not None:  # look again: on PostgreSQL a prune committed between reading
        found = await db.read(walk)  # the head and the rows would look like a cut; a break stays
    if found.broken is not None:
        print(f"audit log broken at seq {found.broken.seq}: {found.broken.why}", file=sys.stderr)
        return EXIT_BROKEN
    if found.head is None:
        print(
            "audit log broken: its head (table audit_head) is missing, so rows cut off its "
            f"end cannot be ruled out ({_rows(found)} link up)",
            file=sys.stderr,
        )
        return EXIT_BROKEN
    print(f"audit log intact: {_rows(found)}")
    return 0


def _rows(found: Walk) -> str:
    if not found.count:
        return "no rows yet"
    noun = "row" if found.count == 1 else "rows"
    pruned = f"; rows before {found.first} were pruned" if found.first != 1 else ""
    return f"{found.count} {noun} (seq {found.first} to {found.last}{pruned})"


# -- export -----------------------------------------------------------------------------------


def write_lines(conn, out: IO[bytes], since: datetime | None, until: datetime | None) -> int:
    """Write the rows `since` (inclusive) `until` (exclusive) to `out` as JSON Lines, streamed;
    returns how many."""
    from bot.store import audit as store

    _require_log(conn)
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    count = 0
    for row in store.rows(conn, since=since, until=until):
        out.write(encode({key: row[key] for key in EXPORTED}).encode() + b"\n")
        count += 1
    return count


async def _export(db, since: datetime | None, until: datetime | None) -> int:
    out = sys.stdout.buffer  # JSON Lines is UTF-8 whatever the locale says
    try:
        await db.read(lambda conn: write_lines(conn, out, since, until))
        out.flush()
    except BrokenPipeError:  # the reader stopped early (`| head`): end quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return 0
