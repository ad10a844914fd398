"""E-mail members and targets, looked up with users.lookupByEmail and kept in `people`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.services import oncall
from bot.services.oncall import Rotations
from bot.services.people import PeopleService, config_emails
from bot.slack.directory import Directory, refresh_people
from bot.slack.ids import Action
from tests.support.db import rows
from tests.support.harness import CONFIG, Bot
from tests.support.slack_views import dms, replies

EMAIL_CONFIG = (
    CONFIG.replace("members: [U0AAA, U0BBB]", "members: [Alice@Example.com, U0BBB]")
    .replace('page: ["@U0PRODUCT", "group:S0PLATFORM"]', 'page: ["@ghost@example.com"]')
    .replace('- notify: ["@U0LEAD"]', '- notify: ["@lead@example.com", "@U0LEAD"]')
)


@pytest.fixture
async def bot(tmp_path, double):
    running = await Bot(tmp_path, double, config=EMAIL_CONFIG).start()
    yield running
    await running.close()


def people_rows(bot: Bot) -> dict[str, tuple]:
    found = rows(bot, "SELECT email, user_id, looked_up_at FROM people")
    return {email: (user_id, at) for email, user_id, at in found}


def directory(bot: Bot, **options) -> Directory:
    people = PeopleService(bot.app.db, bot.config, bot.clock)
    return Directory(bot.app.bolt.client, people, **options)


def test_every_email_in_the_config_is_collected_once_lower_case(bot):
    assert config_emails(bot.config) == [
        "alice@example.com",
        "ghost@example.com",
        "lead@example.com",
    ]


async def test_lookups_are_stored_and_unknown_people_too(bot, double):
    double.add_user("alice@example.com", "U0ALICE")
    double.add_user("lead@example.com", "U0LEAD")
    summary = await refresh_people(bot.app)

    assert (summary.found, summary.unknown, summary.failed) == (2, 1, 0)
    asked = [c.params["email"] for c in double.calls_to("users.lookupByEmail")]
    assert asked == ["alice@example.com", "ghost@example.com", "lead@example.com"]
    assert all(c.token == "xoxb-test-token" for c in double.calls_to("users.lookupByEmail"))
    stored = people_rows(bot)
    assert {email: user for email, (user, _) in stored.items()} == {
        "alice@example.com": "U0ALICE",
        "ghost@example.com": None,  # users_not_found: known to be unknown
        "lead@example.com": "U0LEAD",
    }
    assert {at for _, at in stored.values()} == {"2026-03-02 09:00:00.000000"}


async def test_fresh_answers_are_not_asked_again_but_week_old_ones_are(bot, double):
    double.add_user("alice@example.com", "U0ALICE")
    await refresh_people(bot.app)
    double.reset_calls()
    bot.clock.advance(timedelta(days=6))
    assert (await refresh_people(bot.app)).asked == 0
    assert double.calls_to("users.lookupByEmail") == []

    double.add_user("ghost@example.com", "U0GHOST")  # joined the workspace since
    bot.clock.advance(timedelta(days=1, seconds=1))
    summary = await refresh_people(bot.app)
    assert summary.asked == 3
    assert people_rows(bot)["ghost@example.com"][0] == "U0GHOST"


async def test_rate_limits_are_retried_after_retry_after(bot, double):
    double.add_user("alice@example.com", "U0ALICE")
    double.inject("users.lookupByEmail", status=429, retry_after=7, times=2)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # records the wait instead of taking it
        waits.append(seconds)

    summary = await directory(bot, sleep=sleep).refresh()
    assert waits == [7.0, 7.0]
    assert summary.failed == 0 and summary.found == 1
    calls = double.calls_to("users.lookupByEmail")
    assert [c.params["email"] for c in calls[:3]] == ["alice@example.com"] * 3
    assert [c.fault for c in calls[:3]] == ["http 429", "http 429", None]
    assert people_rows(bot)["alice@example.com"][0] == "U0ALICE"


async def test_a_lasting_rate_limit_leaves_the_address_for_next_time(bot, double):
    double.inject("users.lookupByEmail", retry_after=0, times=4)
    summary = await directory(bot, retries=3).refresh()
    assert summary.failed == 1 and summary.asked == 3
    assert "alice@example.com" not in people_rows(bot)
    assert set(people_rows(bot)) == {"ghost@example.com", "lead@example.com"}


async def test_server_errors_are_retried(bot, double):
    double.add_user("alice@example.com", "U0ALICE")
    double.inject("users.lookupByEmail", status=503, times=1)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    summary = await directory(bot, sleep=sleep).refresh()
    assert summary.found == 1 and summary.failed == 0 and waits == [1.0]


async def test_a_missing_scope_stops_the_round_and_is_logged_without_the_token(bot, double, capsys):
    double.inject("users.lookupByEmail", error="missing_scope", times=1)
    summary = await refresh_people(bot.app)
    assert summary.failed == 3 and summary.found == 0
    assert len(double.calls_to("users.lookupByEmail")) == 1
    assert people_rows(bot) == {}
    out, err = capsys.readouterr()
    assert "people_lookup_unavailable" in out + err and "users:read.email" in out + err
    assert "xoxb-test-token" not in out + err


async def test_other_errors_skip_only_that_address(bot, double):
    double.add_user("lead@example.com", "U0LEAD")
    double.inject("users.lookupByEmail", error="invalid_email", times=1)
    summary = await refresh_people(bot.app)
    assert (summary.found, summary.unknown, summary.failed) == (1, 1, 1)
    assert set(people_rows(bot)) == {"ghost@example.com", "lead@example.com"}


async def test_an_email_member_is_paged_by_the_user_id_slack_gave(bot, double):
    double.add_user("alice@example.com", "U0ALICE")
    await refresh_people(bot.app)
    rotations = Rotations(bot.config)
    now = bot.clock.now()  # Monday 2 March 2026: the 9th week, so members[0] is on call
    found = await bot.app.db.read(
        lambda conn: oncall.resolve(conn, rotations, ["rotation:primary"], now)
    )
    assert found.users == ("U0ALICE",) and found.on_call == {"primary": "U0ALICE"}

    await bot.command("declare sev2 Checkout slow")
    await bot.deliver()
    assert dms(double) == ["U0ALICE"]


async def test_an_unknown_email_member_is_named_not_messaged(bot, double):
    await refresh_people(bot.app)  # alice is not in the workspace
    rotations = Rotations(bot.config)
    now = bot.clock.now()
    found = await bot.app.db.read(
        lambda conn: oncall.resolve(conn, rotations, ["rotation:primary"], now)
    )
    assert found.users == () and found.on_call == {"primary": "alice@example.com"}


async def test_the_thread_says_who_was_named_but_not_paged(bot, double):
    """An address no Slack user has is named, not messaged: the thread must not read as if
    they were paged (nor anyone else: nobody was, so escalation goes on)."""
    double.add_user("lead@example.com", "U0LEAD")
    await refresh_people(bot.app)  # alice (on call) and ghost (SEV1's page) are unknown
    await bot.command("declare sev1 Checkout down")
    await bot.deliver()
    assert dms(double) == []
    declared = replies(double)[0]
    assert "Paging level 1: alice@example.com (rotation *primary*)." in declared
    assert declared.endswith(
        ":warning: Not paged, no Slack user has this address: alice@example.com, ghost@example.com."
    )

    await bot.click(Action.ESCALATE, "1", user="U0BOB")  # level 2: lead, known, and U0LEAD
    await bot.deliver()
    assert "Not paged" not in replies(double)[-1] and dms(double) == ["U0LEAD"]


async def test_nobody_is_said_unreached_once_slack_knows_them(bot, double):
    double.add_user("alice@example.com", "U0ALICE")
    double.add_user("ghost@example.com", "U0GHOST")
    await refresh_people(bot.app)
    await bot.command("declare sev1 Checkout down")
    await bot.deliver()
    assert sorted(dms(double)) == ["U0ALICE", "U0GHOST"]
    assert "Not paged" not in replies(double)[0]
    stored = rows(bot, "SELECT data FROM events WHERE kind = 'declared'")[0][0]
    assert '"unreached"' not in stored  # written only when someone was


async def test_the_lookup_runs_in_the_background_when_workers_run(tmp_path, double):
    from bot.app import Firebell

    double.add_user("alice@example.com", "U0ALICE")
    harness = Bot(tmp_path, double, config=EMAIL_CONFIG)
    app = Firebell(harness.settings(), harness.config, harness.clock, run_workers=True)
    await app.start()
    try:
        await double.wait_for("users.lookupByEmail", 3)
        lookup = next(t for t in app._tasks if t.get_name() == "people-lookup")
        summary = await lookup
        assert summary.found == 1 and summary.unknown == 2
    finally:
        await app.stop()
