"""Who may silence paging with `/incident maintenance`: signed slash commands, a real bot.

Every service: the config's `admins` only. One service: the admins and the members of the team
that owns it (its `members`, the members of the rotations its chain names and the people its
chain names). Ending a window follows the same rule. A refusal is private, says who may, is
recorded in the audit log, and changes nothing: no window, no post, and alerts still page.
"""

from __future__ import annotations

import pytest

from tests.support.alerts import ALERTS_CONFIG, alertmanager, am_alert, start
from tests.support.db import count, rows
from tests.support.slack_views import notices

# the default team's chain: rotation primary (U0AAA, U0BBB, dora@example.com), then @U0LEAD;
# SEV1 also pages U0PRODUCT, who is not on the team
CONFIG = (
    ALERTS_CONFIG.replace(
        "    members: [U0AAA, U0BBB]\n", "    members: [U0AAA, U0BBB, dora@example.com]\n"
    )
    + 'admins: ["@U0ROOT", "boss@example.com", "group:S0ADMINS"]\n'
)
NO_ADMINS = ALERTS_CONFIG
API_DOWN = am_alert("ApiDown", "a1", service="api", severity="critical")
EVERY = (
    "Only admins may start or end a maintenance window for every service. Nothing was changed. "
    "A window for every service silences all paging."
)


def for_service(service: str) -> str:
    return (
        "Only the default team's members or admins may start or end maintenance windows for "
        f"service {service}. Nothing was changed."
    )


@pytest.fixture
async def bot(tmp_path, double):
    running = await start(tmp_path, double, config=CONFIG)
    yield running
    await running.close()


def add_person(bot, email: str, user_id: str) -> None:
    """What the people lookup (users.lookupByEmail) records, written as it would be."""
    rows(
        bot,
        "INSERT INTO people (email, user_id, looked_up_at) VALUES (?, ?, ?)",
        email,
        user_id,
        "2026-03-01 00:00:00.000000",
    )


async def ask(bot, text: str, user: str) -> str:
    answer = await bot.command(text, user=user)
    assert answer["response_type"] == "ephemeral", answer
    return answer["text"]


async def assert_nothing_changed(bot, double, windows: int = 0) -> None:
    """No window stored or ended, nothing posted, and an alert for api still pages."""
    assert count(bot, "maintenance_windows") == windows
    assert count(bot, "maintenance_windows", "ended_at IS NOT NULL") == 0
    await bot.deliver()
    assert len([n for n in notices(double) if "Maintenance" in n]) == windows
    status, reply = await bot.alert("alertmanager", alertmanager([API_DOWN]))
    assert (status, reply["outcome"]) == (200, "open" if windows == 0 else "maintenance")


async def test_only_admins_may_silence_every_service(bot, double):
    for user in ("U0MALLORY", "U0AAA", "U0PRODUCT"):  # a stranger, and people paged first
        said = await ask(bot, "maintenance 7d all", user)
        assert said == EVERY
        assert await ask(bot, "maintenance 3d", user) == said  # the same without a service
    await assert_nothing_changed(bot, double)
    denied = rows(
        bot, "SELECT actor, action, target, outcome FROM audit_log WHERE outcome != 'done'"
    )
    assert denied == [
        (user, "maintenance.start", "service:*", "denied")
        for user in ("U0MALLORY", "U0MALLORY", "U0AAA", "U0AAA", "U0PRODUCT", "U0PRODUCT")
    ]

    said = await ask(bot, "maintenance 2h all upgrade", "U0ROOT")
    assert said.startswith(":wrench: Maintenance #1 of every service until")


async def test_an_admin_named_by_email_counts_once_slack_resolved_it(bot, double):
    said = await ask(bot, "maintenance 2h", "U0BOSS")
    assert said == EVERY
    add_person(bot, "boss@example.com", "U0BOSS")
    said = await ask(bot, "maintenance 2h all", "U0BOSS")
    assert said.startswith(":wrench: Maintenance #1 of every service")


async def test_a_service_window_is_for_admins_and_the_owning_team(bot, double):
    said = await ask(bot, "maintenance 2h api deploy", "U0MALLORY")
    assert said == for_service("api")
    assert await ask(bot, "maintenance 2h api deploy", "U0DORA") == said  # not resolved yet
    assert await ask(bot, "maintenance 2h api deploy", "U0PRODUCT") == said  # paged, not team
    await assert_nothing_changed(bot, double)

    add_person(bot, "dora@example.com", "U0DORA")
    allowed = [("U0AAA", "api"), ("U0LEAD", "billing"), ("U0DORA", "search")]
    allowed.append(("U0ROOT", "storage"))
    for number, (user, service) in enumerate(allowed, start=1):
        said = await ask(bot, f"maintenance 1h {service}", user)
        assert said.startswith(f":wrench: Maintenance #{number} of *{service}* until"), said
    assert count(bot, "maintenance_windows") == 4


async def test_ending_a_window_follows_the_same_rule(bot, double):
    await ask(bot, "maintenance 2h api", "U0AAA")
    await ask(bot, "maintenance 2h", "U0ROOT")

    said = await ask(bot, "maintenance end 1", "U0MALLORY")
    assert said == for_service("api")
    said = await ask(bot, "maintenance end 2", "U0BBB")  # on the rotation, but #2 is for all
    assert said == EVERY
    assert count(bot, "maintenance_windows", "ended_at IS NULL") == 2
    await bot.deliver()
    assert not [n for n in notices(double) if "is over" in n]

    said = await ask(bot, "maintenance end 1", "U0BBB")  # another member of the rotation
    assert said == "Ended maintenance #1 of *api*: its alerts open incidents again."
    said = await ask(bot, "maintenance end", "U0ROOT")  # the one still running
    assert said == "Ended maintenance #2 of every service: its alerts open incidents again."


async def test_without_admins_nobody_may_silence_every_service(tmp_path, double):
    bot = await start(tmp_path, double, config=NO_ADMINS)
    try:
        said = await ask(bot, "maintenance 1h all", "U0AAA")
        assert said == EVERY
        said = await ask(bot, "maintenance 1h api", "U0AAA")
        assert said.startswith(":wrench: Maintenance #1 of *api*")
        assert count(bot, "maintenance_windows") == 1
    finally:
        await bot.close()
