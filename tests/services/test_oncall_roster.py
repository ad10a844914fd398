"""Who is on call comes from a roster held in memory between declarations (overrides and the
people Slack resolved); each change to what it holds is seen by the very next declaration:
an override created, removed or expired, a person resolved, a new config, and a write by
another replica on the same database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import parse_config
from bot.slack.directory import refresh_people
from bot.store import overrides
from tests.support.harness import CONFIG, Bot
from tests.support.slack_views import paged

BOB = "<@U0BOB|bob>"


async def pages(bot, double) -> list[str]:
    """Declare a SEV2 (level 1 is paged at once); who that page went to."""
    before = len(paged(double))
    await bot.command(f"declare sev2 Checkout slow {before}")
    await bot.deliver()
    return paged(double)[before:]


async def test_an_override_created_then_removed_is_seen_by_the_next_declaration(bot, double):
    assert await pages(bot, double) == ["U0AAA"]  # the roster is held from here on
    await bot.command(f"override primary {BOB} 4h", user="U0BBB")
    assert await pages(bot, double) == ["U0BOB"]
    await bot.command("override remove 1", user="U0BBB")
    assert await pages(bot, double) == ["U0AAA"]


async def test_an_override_that_expired_is_not_used_by_the_next_declaration(bot, double):
    await bot.command(f"override primary {BOB} 1h", user="U0BBB")
    start = bot.clock.now()
    assert await pages(bot, double) == ["U0BOB"]
    bot.clock.set(start + timedelta(minutes=59))
    assert await pages(bot, double) == ["U0BOB"]
    bot.clock.set(start + timedelta(hours=1))
    assert await pages(bot, double) == ["U0AAA"]


async def test_an_override_set_ahead_takes_over_when_it_starts(bot, double):
    """Who is on call is found once per piece of the timeline; the piece found before an
    override starts must end where the override starts, not at the next handoff."""
    assert bot.clock.now() == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
    ahead = "from 2026-03-02 11:00 to 2026-03-02 13:00"  # Berlin: 10:00-12:00 UTC
    await bot.command(f"override primary {BOB} {ahead}", user="U0BBB")
    assert await pages(bot, double) == ["U0AAA"]
    bot.clock.set(datetime(2026, 3, 2, 9, 59, 59, tzinfo=UTC))
    assert await pages(bot, double) == ["U0AAA"]
    bot.clock.set(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    assert await pages(bot, double) == ["U0BOB"]
    bot.clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    assert await pages(bot, double) == ["U0AAA"]


async def test_the_next_member_is_paged_after_the_handoff(bot, double):
    """The weekly handoff (Mondays 09:00 in Berlin) moves the pages on with no write
    between the declarations on either side of it."""
    assert await pages(bot, double) == ["U0AAA"]
    bot.clock.set(datetime(2026, 3, 9, 7, 59, 59, tzinfo=UTC))
    assert await pages(bot, double) == ["U0AAA"]
    bot.clock.set(datetime(2026, 3, 9, 8, 0, tzinfo=UTC))
    assert await pages(bot, double) == ["U0BBB"]


async def test_a_person_slack_resolved_is_paged_by_the_next_declaration(tmp_path, double):
    config = CONFIG.replace("members: [U0AAA, U0BBB]", "members: [carol@example.com, U0BBB]")
    bot = await Bot(tmp_path, double, config=config).start()
    try:
        assert await pages(bot, double) == []  # an address Slack has not resolved is named
        double.add_user("carol@example.com", "U0CAROL")
        await refresh_people(bot.app)
        assert await pages(bot, double) == ["U0CAROL"]
    finally:
        await bot.close()


async def test_a_new_config_is_seen_by_the_next_declaration(bot, double):
    assert await pages(bot, double) == ["U0AAA"]
    await bot.stop()
    bot.config = parse_config(CONFIG.replace("members: [U0AAA, U0BBB]", "members: [U0CCC]"))
    await bot.start()
    assert await pages(bot, double) == ["U0CCC"]


async def test_another_replicas_override_is_seen_by_the_next_declaration(bot, double, tmp_path):
    other = Bot(tmp_path / "other", double, clock=bot.clock)
    other.database_url = bot.database_url  # a second app and Database on the same one
    await other.start()
    try:
        assert await pages(bot, double) == ["U0AAA"]
        await other.command(f"override primary {BOB} 4h", user="U0BBB")
        assert await pages(bot, double) == ["U0BOB"]
        await other.command("override remove 1", user="U0BBB")
        assert await pages(bot, double) == ["U0AAA"]
    finally:
        await other.stop()
        await other.http.close()


async def test_a_roster_read_in_a_transaction_rolled_back_is_not_kept(bot, double):
    """Its version counter rolls back too, and the next write would bring it to the same
    number with other data behind it."""
    rotations = bot.app.services.incidents.ctx.rotations
    now = bot.clock.now()

    def override_then_fail(conn):
        overrides.insert(conn, "primary", "U0BOB", now, now + timedelta(hours=1), "U0BBB", now)
        assert rotations.on_call(rotations.roster(conn, now), "primary", now).user == "U0BOB"
        raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        await bot.app.db.write(override_then_fail)
    await bot.app.services.people.record("nobody@example.com", None)  # the counter moves on
    assert await pages(bot, double) == ["U0AAA"]
