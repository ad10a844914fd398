"""The start-up checks against Slack (`bot/slack/preflight.py`) over HTTP against the Slack
double: each channel, person and user group the config names asked about once, what is
missing named by key, a 429 waited out, and what fails for a whole method said once."""

from __future__ import annotations

import pytest

from bot.config import parse_config
from bot.slack import preflight
from bot.slack.preflight import ATTEMPTS, INCIDENT_CHANNEL
from tests.support.workspace import CONFIG, PRIVATE, PUBLIC, populate

TOKEN = "xoxb-preflight-test"


class Waits:
    def __init__(self) -> None:
        self.taken: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.taken.append(seconds)


async def check(double, text: str = CONFIG, waits: Waits | None = None):
    waits = waits or Waits()
    return await preflight.check(double.url, TOKEN, parse_config(text), sleep=waits)


def by_key(problems) -> dict:
    return {p.key: p.text for p in problems}


async def test_a_workspace_with_everything_passes_asking_each_id_once(double):
    populate(double)
    assert await check(double) == []
    asked = sorted(c.params["channel"] for c in double.calls_to("conversations.info"))
    assert asked == sorted([*PUBLIC, PRIVATE])
    users = [c.params["user"] for c in double.calls_to("users.info")]
    assert sorted(users) == sorted({"U07ALICE001", "U07LEAD0001", "U07ADMIN001", "U07PAY00001"})
    emails = sorted(c.params["email"] for c in double.calls_to("users.lookupByEmail"))
    assert emails == ["bob@acme.test", "lead@acme.test"]
    assert len(double.calls_to("usergroups.list")) == 1  # once, for every group named
    assert {c.token for c in double.calls} == {TOKEN}


async def test_what_the_workspace_lacks_is_named_by_key(double):
    populate(
        double,
        missing=frozenset({"C07PAYMENTS", "U07LEAD0001", "bob@acme.test", "S07PAYMENT1"}),
        uninvited=True,
    )
    problems = by_key(await check(double))
    assert set(problems) == {
        ("private_channel",),
        ("teams", 0, "channel"),
        ("rotations", 0, "members", 1),
        ("escalation", 1, "notify", 0),
        ("severities", 0, "page", 0),  # lead@acme.test: U07LEAD0001's address
        ("teams", 0, "members", 1),
    }
    assert problems[("teams", 0, "channel")].startswith(
        "C07PAYMENTS: Slack has no channel with this id that Firebell can see"
    )
    assert "type `/invite @Firebell` in the channel" in problems[("private_channel",)]
    assert problems[("escalation", 1, "notify", 0)].startswith(
        "U07LEAD0001: Slack has no user with this id in the workspace: in Slack, open the "
        "person's profile, click ⋮ (More) and Copy member ID"
    )
    assert problems[("rotations", 0, "members", 1)].startswith(
        "bob@acme.test: nobody in the workspace has a Slack account with this e-mail address"
    )
    assert problems[("teams", 0, "members", 1)].startswith(
        "group:S07PAYMENT1: Slack has no enabled user group with this id"
    )


async def test_only_a_missing_incident_channel_stops_the_start(double):
    populate(double, missing=frozenset({"C07INCDNT01", "C07STATUS01", "U07ADMIN001"}))
    problems = await check(double)
    stopping = [p.key for p in problems if p.stops_start]
    assert stopping == [INCIDENT_CHANNEL]
    assert {p.key for p in problems} == {
        INCIDENT_CHANNEL,
        ("broadcast_channel",),
        ("admins", 0),
    }


async def test_an_id_named_twice_is_asked_once_and_named_at_each_key(double):
    populate(double, missing=frozenset({"U07ALICE001"}))
    problems = by_key(await check(double))
    assert set(problems) == {("rotations", 0, "members", 0), ("admins", 1)}
    assert len([c for c in double.calls_to("users.info") if c.params["user"] == "U07ALICE001"]) == 1


async def test_a_rate_limit_waits_its_retry_after(double):
    populate(double)
    double.inject("users.info", status=429, retry_after=7)
    waits = Waits()
    assert await check(double, waits=waits) == []
    assert waits.taken == [7]


async def test_a_missing_scope_is_said_once_for_the_method(double):
    populate(double)
    double.inject("conversations.info", error="missing_scope", times=len(PUBLIC) + 1)
    problems = await check(double)
    assert [(p.key, p.stops_start) for p in problems] == [(None, False)]
    assert problems[0].text == (
        "conversations.info: the app lacks the channels:read (groups:read for a private "
        "channel) scope: add it (manifest.yml lists every scope Firebell uses) and reinstall "
        "the app to the workspace"
    )


async def test_a_plan_without_user_groups_is_said_once(double):
    populate(double)
    double.inject("usergroups.list", error="plan_upgrade_required")
    [problem] = await check(double)
    assert problem.key is None and problem.text.startswith(
        "usergroups.list: the workspace's Slack plan has no user groups"
    )


async def test_slack_out_of_reach_is_said_once_per_method_after_the_retries(double):
    populate(double)
    double.inject("users.lookupByEmail", status=503, times=100)
    problems = await check(double)
    assert [p.key for p in problems] == [None]
    assert problems[0].text.startswith("users.lookupByEmail: Slack did not answer (slack 503)")
    assert len(double.calls_to("users.lookupByEmail")) == 2 * ATTEMPTS  # two addresses


@pytest.mark.parametrize(
    ("channel", "problem"),
    [
        ({"is_private": False, "is_member": False}, None),  # chat:write.public posts there
        ({"is_private": True, "is_member": True}, None),
        (
            {"is_private": True, "is_member": False},
            "Firebell is not in this private channel: type `/invite @Firebell` in the channel",
        ),
        (
            {"is_archived": True, "is_member": True},
            "the channel is archived: unarchive it, or name another channel",
        ),
    ],
)
def test_what_keeps_firebell_from_posting_in_a_channel_it_can_see(channel, problem):
    assert preflight.channel_problem({"ok": True, "channel": channel}) == problem


async def test_an_address_slack_does_not_know_says_what_still_pages_it(double):
    """Bob's `people:` entry pages him in Slack and by ntfy (Slack cannot reach him); Lead
    has no entry: the problems say so, as the pages will go."""
    config = CONFIG + (
        "people:\n"
        "  - user: bob@acme.test\n"
        "    ntfy: bob-pager-4d5e\n"
        "    rules: [{after: 0m, via: [slack, ntfy]}, {after: 2m, via: [ntfy]}]\n"
    )
    populate(double, missing=frozenset({"bob@acme.test", "lead@acme.test"}))
    problems = by_key(await check(double, config))
    assert problems[("rotations", 0, "members", 1)].endswith(
        "with this e-mail address: write the address of their account, or their user id; "
        "until then pages reach them by ntfy only (their `people:` entry)"
    )
    assert problems[("severities", 0, "page", 0)].endswith(
        "; until then no page reaches them (no `people:` entry gives them another medium)"
    )
