"""Audit log retention (`audit.keep`): a daily timer at 00:00 UTC deletes the rows older than
`keep` and appends an `audit.prune` row anchoring where the log now starts, so the chain still
checks, prune after prune, in process and with `firebell audit verify`.

The harness clock starts Monday 2026-03-02 09:00 UTC; timers fire through the real timer round
as the manual clock advances."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from bot.audit_cli import walk
from bot.config import parse_config
from bot.core.audit import PRUNE, stamp
from bot.services import audit, audit_retention
from bot.store import audit as store
from tests.support.cli import run
from tests.support.db import count, rows
from tests.support.harness import CONFIG, Bot

KEEPING = CONFIG + "audit:\n  keep: 2d\n"
MIDNIGHT = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # the first prune after the clock's start


async def log(bot) -> list[dict]:
    return await bot.app.db.read(lambda conn: list(store.rows(conn)))


async def intact(bot) -> str:
    """The chain checks, in process and as an operator checks it; what the command said."""
    found = await bot.app.db.read(walk)
    assert found.broken is None and found.head is not None, found
    code, out, err = await run(bot.directory, "audit", "verify", DATABASE_URL=bot.database_url)
    assert (code, err) == (0, ""), err
    assert out.startswith("audit log intact: ")
    return out.strip()


async def incident(bot, number: int) -> None:
    """Audit rows of a short incident, the `number`-th: declared, then resolved."""
    await bot.command(f"declare sev4 Incident {number}")
    await bot.command(f"resolve INC-{number}")


def prune_timers(bot) -> list[tuple]:
    return rows(bot, "SELECT due_at, status FROM timers WHERE kind = 'audit_prune' ORDER BY id")


async def test_old_rows_are_pruned_daily_and_the_chain_still_checks(tmp_path, double):
    bot = await Bot(tmp_path, double, config=KEEPING).start()
    try:
        await bot.tick()
        await bot.tick()  # planned every round, armed once (replicas likewise)
        assert prune_timers(bot) == [("2026-03-03 00:00:00.000000", "pending")]
        await incident(bot, 1)  # day 0, with the config.load row of the start
        day0 = await log(bot)
        await bot.advance(timedelta(days=1))  # Tue 09:00: the 00:00 prune found nothing old
        assert prune_timers(bot) == [
            ("2026-03-03 00:00:00.000000", "fired"),
            ("2026-03-04 00:00:00.000000", "pending"),
        ]
        await incident(bot, 2)
        day1 = await log(bot)
        assert len(day1) > len(day0)

        await bot.advance(timedelta(days=2, hours=-8))  # Thu 01:00: Wed's and Thu's prunes ran
        found = await log(bot)
        kept = [r for r in day1 if r["at"] >= stamp(MIDNIGHT)]  # Tuesday's rows and later
        [prune] = [r for r in found if r["action"] == PRUNE]
        assert found == [*kept, prune]  # only rows older than 2 days went, in one prune (Thu)
        first = kept[0]
        assert (prune["actor"], prune["source"], prune["target"]) == ("timer", "timer", "audit")
        assert prune["at"] == "2026-03-05T00:00:00.000000Z"
        assert prune["after"] == {
            "first_seq": first["seq"],
            "prev_hash": first["prev_hash"],
            "before": "2026-03-03T00:00:00.000000Z",
            "deleted": len(day0),
            "keep": "2d",
        }
        assert await intact(bot) == (
            f"audit log intact: {len(kept) + 1} rows (seq {first['seq']} to {prune['seq']}; "
            f"rows before {first['seq']} were pruned)"
        )

        await bot.advance(timedelta(days=2))  # Sat 01:00: Friday's prune took Tuesday's rows
        found = await log(bot)
        assert [r["action"] for r in found] == [PRUNE, PRUNE]  # Thursday's, Friday's
        assert found[1]["after"]["first_seq"] == found[0]["seq"]
        assert count(bot, "audit_log", "at < ?", "2026-03-05 00:00:00") == 0
        await intact(bot)
        await bot.advance(timedelta(days=1))  # Sun 01:00: the prune row at the start goes too
        found = await log(bot)
        assert [(r["action"], r["at"][:10]) for r in found] == [
            (PRUNE, "2026-03-06"),
            (PRUNE, "2026-03-08"),
        ]
        await intact(bot)
        await incident(bot, 3)
        await intact(bot)
    finally:
        await bot.close()


async def test_a_quiet_log_pruned_to_nothing_starts_at_its_prune_row(tmp_path, double):
    bot = await Bot(tmp_path, double, config=CONFIG + "audit:\n  keep: 1d\n").start()
    try:
        await bot.advance(timedelta(days=2))  # Wed 09:00: Tuesday's prune took every row
        [prune] = await log(bot)
        head = await bot.app.db.read(store.head)
        assert prune["action"] == PRUNE and prune["seq"] == head[0]
        assert (prune["after"]["first_seq"], prune["after"]["prev_hash"]) == (
            prune["seq"],
            prune["prev_hash"],
        )
        await intact(bot)
        await bot.advance(timedelta(days=2))  # and again: each prune row takes the last one's
        [again] = await log(bot)
        assert again["seq"] > prune["seq"] and again["after"]["first_seq"] == again["seq"]
        await intact(bot)
    finally:
        await bot.close()


async def test_a_long_log_is_pruned_in_steps_with_writes_in_between(tmp_path, double):
    """Retention turned on over a long log: each firing deletes one step of rows, in its own
    round, records it, and arms the next step due at once; an incident declared between two
    steps is stored, a restart goes on where it stopped; after the last step the chain checks
    and nothing more is armed."""
    step = audit_retention.STEP
    bot = await Bot(tmp_path, double, config=KEEPING).start()
    try:
        at = bot.clock.now()  # Monday 09:00: old by Thursday's prune (keep 2d)
        await bot.app.db.write(
            lambda conn: [
                audit.note(conn, at, "U0OLD", "incident.ack", f"INC-{n}")
                for n in range(2 * step + step // 2)
            ]
        )
        old = count(bot, "audit_log")  # with the start's config.load row
        await bot.advance(timedelta(days=2, hours=14, minutes=59))  # Wed 23:59
        bot.clock.set(datetime(2026, 3, 5, 0, 0, tzinfo=UTC))

        await bot.tick()  # the daily prune: one step
        assert count(bot, "audit_log", "action = ?", PRUNE) == 1
        assert count(bot, "audit_log") == old - step + 1
        assert prune_timers(bot)[-1] == ("2026-03-05 00:00:00.000000", "pending")  # the next
        await intact(bot)
        await incident(bot, 1)  # between two steps, as any write goes in between
        await bot.tick()
        await bot.stop()
        await bot.start()  # the last step is a timer in the database: still due
        await bot.tick()  # the last step: fewer rows than a step
        found = await log(bot)
        prunes = [r for r in found if r["action"] == PRUNE]
        assert [p["after"]["deleted"] for p in prunes] == [step, step, old - 2 * step]
        newer = [r["action"] for r in found if r["action"] != PRUNE]
        assert newer == ["declare", "resolve", "config.load"]  # the restart's
        assert prunes[-1]["after"]["first_seq"] == found[0]["seq"]
        assert prune_timers(bot) == [
            ("2026-03-03 00:00:00.000000", "fired"),
            ("2026-03-04 00:00:00.000000", "fired"),
            ("2026-03-05 00:00:00.000000", "fired"),  # Thursday's: the first step
            ("2026-03-06 00:00:00.000000", "pending"),  # Friday's, planned by that round
            ("2026-03-05 00:00:00.000000", "fired"),  # the second step
            ("2026-03-05 00:00:00.000000", "fired"),  # the last: nothing more armed
        ]
        await intact(bot)
    finally:
        await bot.close()


async def test_with_keep_off_nothing_is_planned_or_pruned(bot):
    await bot.tick()
    assert prune_timers(bot) == []
    before = await log(bot)
    await bot.advance(timedelta(days=3))
    assert prune_timers(bot) == []
    assert await log(bot) == before


async def test_a_timer_armed_before_keep_was_turned_off_does_nothing(bot):
    await bot.command("declare sev4 Old news")
    before = await log(bot)
    ctx = SimpleNamespace(config=parse_config(CONFIG))  # keep: off
    later = bot.clock.now() + timedelta(days=3650)
    acted = await bot.app.db.write(
        lambda conn: audit_retention.fire(conn, ctx, {"due_at": later}, later)
    )
    assert acted is False
    assert await log(bot) == before
