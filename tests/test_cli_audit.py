"""`firebell audit verify` and `firebell audit export` as users run them: a real subprocess on
a real database (SQLite, or PostgreSQL when FIREBELL_TEST_DATABASE_URL names a server), the
log written by `bot.store.audit.append` and tampered with in SQL, as an intruder with
database access would."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.audit import FIELDS, GENESIS, digest, stamp, verify
from bot.store import audit as store
from bot.store.db import Database
from bot.store.migrate import upgrade
from tests.support import database
from tests.support.cli import run, table_names
from tests.support.db import rows

T0 = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)  # the first row; one more every hour
EXPORTED = [*FIELDS, "prev_hash", "hash"]


def entry(n: int) -> dict:
    """The n-th row's content (0-based): changes, refusals, unicode, empty before/after."""
    kinds = [
        dict(
            actor="U0ALICE",
            source="command",
            action="declare",
            target=f"INC-{n}",
            after={"title": "Checkout 5xx ✗", "severity": "SEV1", "at": T0},
        ),
        dict(
            actor="U0BOB",
            source="button",
            action="acknowledge",
            target=f"INC-{n - 1}",
            before={"status": "open"},
            after={"status": "acknowledged"},
        ),
        dict(
            actor="U0MALLORY",
            source="modal",
            action="override.add",
            target="rotation:primary",
            outcome="denied",
            after={"reason": "not a member"},
        ),
        dict(actor="timer", source="timer", action="escalate", target=f"INC-{n - 3}"),
    ]
    return kinds[n % len(kinds)]


async def build(tmp_path: Path, count: int) -> str:
    """A migrated database of the test's own whose audit log has `count` rows, one an hour
    from T0; its URL."""
    url = database.url_for(tmp_path)
    db = Database(url)
    try:
        await upgrade(db)

        def append(conn) -> None:
            for n in range(count):
                store.append(conn, T0 + timedelta(hours=n), **entry(n))

        await db.write(append)
    finally:
        await db.close()
    return url


async def test_verify_passes_on_a_fresh_log_and_on_an_empty_one(tmp_path):
    await build(tmp_path, 0)
    code, out, err = await run(tmp_path, "audit", "verify")
    assert (code, out, err) == (0, "audit log intact: no rows yet\n", "")
    await build(tmp_path, 6)
    code, out, err = await run(tmp_path, "audit", "verify")
    assert (code, out, err) == (0, "audit log intact: 6 rows (seq 1 to 6)\n", "")


# each: the SQL an intruder runs on a six-row log, and what `verify` must then say
TAMPERING = {
    "an edited after": (
        ['UPDATE audit_log SET after = \'{"status": "resolved"}\' WHERE seq = 3'],
        "audit log broken at seq 3: its content does not match its hash",
    ),
    "an edited time": (
        ["UPDATE audit_log SET at = (SELECT at FROM audit_log WHERE seq = 2) WHERE seq = 4"],
        "audit log broken at seq 4: its content does not match its hash",
    ),
    "a deleted row": (
        ["DELETE FROM audit_log WHERE seq = 3"],
        "audit log broken at seq 3: row 3 is missing (next is 4)",
    ),
    "two rows swapped": (
        [
            "UPDATE audit_log SET seq = -1 WHERE seq = 3",
            "UPDATE audit_log SET seq = 3 WHERE seq = 4",
            "UPDATE audit_log SET seq = 4 WHERE seq = -1",
        ],
        "audit log broken at seq 3: it does not link to the row before it",
    ),
    "the last row deleted": (
        ["DELETE FROM audit_log WHERE seq = 6"],
        "audit log broken at seq 6: rows 6 to 6 are missing",
    ),
    "the first rows deleted": (
        ["DELETE FROM audit_log WHERE seq <= 2"],
        "audit log broken at seq 3: rows before 3 are missing and no prune records it",
    ),
}


@pytest.mark.parametrize("case", TAMPERING)
async def test_verify_fails_naming_the_row_after_tampering(tmp_path, case):
    url = await build(tmp_path, 6)
    statements, message = TAMPERING[case]
    for sql in statements:
        rows(url, sql)
    code, out, err = await run(tmp_path, "audit", "verify")
    assert (code, out, err) == (1, "", message + "\n")


async def test_an_edit_with_a_recomputed_hash_is_found_at_the_next_row(tmp_path):
    url = await build(tmp_path, 6)
    db = Database(url)
    try:
        [row] = await db.read(lambda conn: [r for r in store.rows(conn) if r["seq"] == 2])
    finally:
        await db.close()
    forged = digest(row["prev_hash"], {**row, "actor": "U0SOMEONE"})
    rows(url, f"UPDATE audit_log SET actor = 'U0SOMEONE', hash = '{forged}' WHERE seq = 2")
    code, _, err = await run(tmp_path, "audit", "verify")
    assert (code, err) == (1, "audit log broken at seq 3: it does not link to the row before it\n")


async def test_verify_and_export_need_no_config_and_no_slack(tmp_path):
    await build(tmp_path, 2)
    missing = str(tmp_path / "no-such-config.yml")
    code, out, _ = await run(tmp_path, "audit", "verify", FIREBELL_CONFIG=missing)
    assert (code, out) == (0, "audit log intact: 2 rows (seq 1 to 2)\n")
    code, out, _ = await run(tmp_path, "audit", "export", FIREBELL_CONFIG=missing)
    assert code == 0 and len(out.splitlines()) == 2


async def test_a_database_without_the_audit_log_is_named_and_left_alone(tmp_path):
    url = database.url_for(tmp_path)
    rows(url, "CREATE TABLE unrelated (a INTEGER)")
    for command in (["verify"], ["export"]):
        code, out, err = await run(tmp_path, "audit", *command)
        assert code == 2 and out == ""
        assert "no audit log in the database" in err and "firebell migrate" in err
    assert table_names(tmp_path) == {"unrelated"}  # never migrates: a check only reads


async def test_a_missing_database_file_is_named_and_not_created(tmp_path):
    path = tmp_path / "data" / "firebell.db"
    code, _, err = await run(
        tmp_path, "audit", "verify", DATABASE_URL=f"sqlite+aiosqlite:///{path}"
    )
    assert (code, err) == (2, f"no database at {path} (DATABASE_URL): nothing to check\n")
    assert not path.parent.exists()


async def test_a_file_that_is_no_database_is_named(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n" * 100)
    code, _, err = await run(tmp_path, "audit", "export", DATABASE_URL=f"sqlite:///{path}")
    assert (code, err) == (
        2,
        f"cannot read the database at {path} (DATABASE_URL): file is not a database\n",
    )
    assert path.read_text() == "not a database\n" * 100


async def test_a_missing_head_is_broken(tmp_path):
    url = await build(tmp_path, 3)
    rows(url, "DELETE FROM audit_head")
    code, _, err = await run(tmp_path, "audit", "verify")
    assert code == 1
    assert err.startswith("audit log broken: its head (table audit_head) is missing")


# -- export -----------------------------------------------------------------------------------


def lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


async def test_export_writes_every_row_as_json_lines_with_its_hash(tmp_path):
    url = await build(tmp_path, 5)
    code, out, err = await run(tmp_path, "audit", "export")
    assert (code, err) == (0, "")
    assert out.endswith("\n") and "\n\n" not in out
    exported = lines(out)
    assert [list(row) for row in exported] == [EXPORTED] * 5
    assert [row["seq"] for row in exported] == [1, 2, 3, 4, 5]
    first = exported[0]
    assert first["at"] == "2026-11-30T22:00:00.000000Z"
    assert first["after"] == {"title": "Checkout 5xx ✗", "severity": "SEV1", "at": stamp(T0)}
    assert first["before"] is None and first["prev_hash"] == GENESIS
    assert (exported[2]["actor"], exported[2]["outcome"]) == ("U0MALLORY", "denied")
    # a SIEM can check the chain from the export alone
    [(seq, digest)] = rows(url, "SELECT seq, hash FROM audit_head")
    assert verify(exported, (seq, digest)) is None
    assert "✗" in out  # UTF-8, not escaped


@pytest.mark.parametrize(
    ("args", "seqs"),
    [
        (["--since", "2026-12-01"], [3, 4, 5, 6]),  # 00:00 UTC included
        (["--until", "2026-12-01T02:00"], [1, 2, 3, 4]),  # 02:00 excluded
        (["--since", "2026-12-01", "--until", "2026-12-01T02:00"], [3, 4]),
        (["--since", "2026-12-01T01:00+01:00", "--until", "2026-12-01T03:00+02:00"], [3]),
        (["--since", "2026-11-30T23:30:00Z"], [3, 4, 5, 6]),
        (["--since", "2027-01-01"], []),
    ],
)
async def test_export_since_and_until(tmp_path, args, seqs):
    await build(tmp_path, 6)  # 22:00, 23:00, 00:00, 01:00, 02:00, 03:00 UTC
    code, out, err = await run(tmp_path, "audit", "export", *args)
    assert (code, err) == (0, "")
    assert [row["seq"] for row in lines(out)] == seqs


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "argument --since: 'yesterday' is not an ISO date"),
        (["--until", "2026-02-30"], "argument --until: '2026-02-30' is not an ISO date"),
        (["--since", "2026-12-01T25:00"], "argument --since: '2026-12-01T25:00' is not"),
        (
            ["--since", "2026-12-02", "--until", "2026-12-01"],
            "--since (2026-12-02T00:00:00.000000Z) must be before --until "
            "(2026-12-01T00:00:00.000000Z)",
        ),
    ],
)
async def test_export_refuses_bad_dates_clearly(tmp_path, args, message):
    await build(tmp_path, 1)
    code, out, err = await run(tmp_path, "audit", "export", *args)
    assert (code, out) == (2, "")
    assert message in err
