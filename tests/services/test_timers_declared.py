"""A declaration's timers (escalation, page when coverage resumes, reminder) are written by
one INSERT, with the fences, due times and payloads they always had."""

from __future__ import annotations

import json

from tests.support.db import rows, statements_from_now
from tests.support.harness import COVERED, SATURDAY, Bot

TIMERS = "SELECT kind, due_at, fence, status, payload FROM timers ORDER BY id"


def timers(bot) -> list[tuple]:
    """The timers' rows, each payload as the JSON it holds (its text differs by backend)."""
    return [(*row[:-1], json.loads(row[-1])) for row in rows(bot, TIMERS)]


def timer_inserts(bot) -> list[str]:
    """The INSERTs into timers the bot runs from now on."""
    return statements_from_now(bot.app.db, "INSERT INTO timers")


async def test_a_declaration_writes_its_escalation_and_reminder_timers_in_one_insert(bot):
    seen = timer_inserts(bot)
    await bot.command("declare sev2 Checkout slow")
    assert len(seen) == 1
    assert timers(bot) == [  # declared Monday 09:00 UTC; SEV2: ack 1h, update every 1h
        ("escalate", "2026-03-02 10:00:00.000000", 1, "pending", {}),
        (
            "reminder",
            "2026-03-02 10:00:00.000000",
            0,
            "pending",
            {"since": "2026-03-02T09:00:00+00:00"},
        ),
    ]


async def test_one_waiting_for_coverage_writes_page_escalate_and_reminder_in_one(tmp_path, double):
    bot = Bot(tmp_path, double, config=COVERED)
    bot.clock.set(SATURDAY)
    await bot.start()
    try:
        seen = timer_inserts(bot)
        await bot.command("declare sev3 Reports slow")
        assert len(seen) == 1
        resumes = "2026-03-09 08:00:00.000000"  # Monday 09:00 in Berlin
        assert timers(bot) == [
            ("page", resumes, 1, "pending", {}),
            ("escalate", "2026-03-09 12:00:00.000000", 1, "pending", {}),  # 4h after
            (
                "reminder",
                "2026-03-09 12:00:00.000000",
                0,
                "pending",
                {"since": "2026-03-09T08:00:00+00:00"},
            ),
        ]
    finally:
        await bot.close()
