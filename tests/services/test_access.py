"""Who may do what, over the real HTTP stack: signed commands and clicks, a real database, the
Slack double answering `usergroups.users.list`.

Two teams (platform, payments) plus the default team (`tests/support/teams.py`); U0OPS is the
admin, U0PAY a payments member (on its rotation), U0PAYLEAD named in payments' chain,
U0PLAT a platform member, U0MALLORY nobody. A refusal changes nothing, says who may, and is
one `denied` row in the audit log.
"""

from __future__ import annotations

import pytest

from bot.slack.ids import Action, Field, View
from tests.support.alerts import AlertBot
from tests.support.db import rows
from tests.support.harness import modal_values
from tests.support.teams import CONFIG


@pytest.fixture
async def bot(tmp_path, double):
    running = await AlertBot(tmp_path, double, config=CONFIG).start()
    yield running
    await running.close()


async def say(bot, text: str, user: str) -> str:
    answer = await bot.command(text, user=user)
    assert answer["response_type"] == "ephemeral", answer
    return answer["text"]


def incident(bot) -> tuple:
    return rows(bot, "SELECT status, severity, commander, team FROM incidents WHERE id = 1")[0]


def denied(bot) -> list[tuple]:
    return rows(
        bot,
        "SELECT actor, action, target FROM audit_log WHERE outcome = 'denied' ORDER BY seq",
    )


async def test_a_stranger_is_refused_what_only_responders_and_the_team_may(bot, double):
    await say(bot, "declare sev2 Checkout failing service:billing", "U0ALICE")
    before = incident(bot)
    who = "Only INC-1's responders, payments members or admins may"
    refusals = {
        "resolve INC-1 fixed": f"{who} resolve INC-1.",
        "sev INC-1 sev3": f"{who} lower INC-1's severity.",
        "assign INC-1 commander <@U0MALLORY>": f"{who} assign INC-1's commander or comms lead.",
        "transfer INC-1 platform": (
            "Only INC-1's responders, payments or platform members or admins may transfer INC-1."
        ),
    }
    for text, refusal in refusals.items():
        assert await say(bot, text, "U0MALLORY") == f"{refusal} Nothing was changed."
    assert incident(bot) == before
    assert denied(bot) == [
        ("U0MALLORY", action, "INC-1") for action in ("resolve", "severity", "assign", "transfer")
    ]
    # anyone may make it more severe, post an update, escalate
    assert await say(bot, "sev INC-1 sev1", "U0MALLORY") == "INC-1 is now SEV1."
    assert await say(bot, "update INC-1 card errors at 4%", "U0MALLORY") == (
        "Update posted to INC-1."
    )
    assert (await say(bot, "escalate INC-1", "U0MALLORY")).startswith("Escalated INC-1")
    assert (
        await say(bot, "resolve INC-1", "U0MALLORY") == f"{who} resolve INC-1. Nothing was changed."
    )


async def test_responders_team_members_and_admins_may(bot, double):
    await say(bot, "declare sev2 Checkout failing service:billing", "U0ALICE")
    assert await say(bot, "resolve INC-1 rolled back", "U0ALICE") == "Resolved INC-1."  # declared
    assert await say(bot, "reopen INC-1 back again", "U0PAYLEAD") == "Reopened INC-1."  # team
    assert await say(bot, "sev INC-1 sev3", "U0OPS") == "INC-1 is now SEV3."  # admin
    assert await say(bot, "resolve INC-1", "U0PAY") == "Resolved INC-1."  # paged (and team)
    assert denied(bot) == []


async def test_acknowledging_makes_a_responder(bot, double):
    await say(bot, "declare sev2 Checkout failing service:billing", "U0ALICE")
    assert (await say(bot, "resolve INC-1", "U0MALLORY")).startswith("Only INC-1's")
    assert await say(bot, "ack INC-1", "U0MALLORY") == "Acknowledged INC-1."
    assert await say(bot, "resolve INC-1", "U0MALLORY") == "Resolved INC-1."


async def test_a_member_of_the_receiving_team_may_transfer(bot, double):
    await say(bot, "declare sev2 Checkout failing service:billing", "U0ALICE")
    assert await say(bot, "transfer INC-1 platform", "U0PLAT") == "Handed INC-1 to platform."
    assert incident(bot)[3] == "platform"


async def test_buttons_follow_the_same_rules(bot, double):
    await say(bot, "declare sev2 Checkout failing service:billing", "U0ALICE")
    await bot.deliver()
    response = await bot.click(Action.REOPEN, "1", user="U0MALLORY")
    assert response.status == 200
    await bot.deliver()
    [refusal] = [c.params["text"] for c in double.calls_to("chat.postEphemeral")]
    assert refusal == (
        "Only INC-1's responders, payments members or admins may reopen INC-1. Nothing was changed."
    )
    assert rows(bot, "SELECT source FROM audit_log WHERE outcome = 'denied'") == [("button",)]
    # the Resolve button's form: the refusal comes back into the form
    status, body = await bot.submit(
        View.RESOLVE, modal_values(summary=""), user="U0MALLORY", private_metadata="1"
    )
    assert status == 200 and body["errors"] == {
        Field.SUMMARY: "Only INC-1's responders, payments members or admins may resolve INC-1. "
        "Nothing was changed."
    }
    assert incident(bot)[0] == "declared"
    await bot.submit(View.RESOLVE, modal_values(summary=""), user="U0PAY", private_metadata="1")
    assert incident(bot)[0] == "resolved"


async def test_overrides_are_for_the_rotation_and_the_teams_it_pages(bot, double):
    refusal = await say(bot, "override payments <@U0MALLORY> 4h", "U0MALLORY")
    assert refusal == (
        "Only payments's members, members of the teams it pages or admins may change the "
        "overrides of rotation payments. Nothing was changed."
    )
    assert denied(bot) == [("U0MALLORY", "override.add", "rotation:payments")]
    said = await say(bot, "override payments <@U0PAYLEAD> 4h", "U0PAYLEAD")  # payments' chain
    assert "Override *#1*: <@U0PAYLEAD> is on call for *payments*" in said
    assert rows(bot, "SELECT COUNT(*) FROM overrides") == [(1,)]


async def test_access_in_the_config_changes_who_may(tmp_path, double):
    config = CONFIG + "access: {resolve: anyone, acknowledge: responders}\n"
    bot = await AlertBot(tmp_path, double, config=config).start()
    try:
        await say(bot, "declare sev2 Checkout failing service:billing", "U0ALICE")
        assert await say(bot, "ack INC-1", "U0MALLORY") == (
            "Only INC-1's responders or admins may acknowledge INC-1. Nothing was changed."
        )
        assert await say(bot, "resolve INC-1", "U0MALLORY") == "Resolved INC-1."
        assert denied(bot) == [("U0MALLORY", "acknowledge", "INC-1")]
    finally:
        await bot.close()


async def test_a_user_group_is_read_again_once_before_a_refusal(tmp_path, double):
    config = CONFIG.replace("admins: [U0OPS]", 'admins: [U0OPS, "group:S0ADMINS"]')
    bot = await AlertBot(tmp_path, double, config=config).start()
    try:
        double.add_usergroup("S0ADMINS", ["U0NEWADMIN"])  # joined after Firebell last looked
        said = await say(bot, "maintenance 1h all", "U0NEWADMIN")
        assert said.startswith(":wrench: Maintenance #1 of every service"), said
        asked = [c.params["usergroup"] for c in double.calls_to("usergroups.users.list")]
        assert asked == ["S0ADMINS"]

        # a stranger: refused after one more look, and not again within 30 seconds
        bot.clock.advance(60)
        for _ in range(3):
            refusal = await say(bot, "maintenance 1h all", "U0MALLORY")
            assert refusal.startswith("Only admins may")
        assert len(double.calls_to("usergroups.users.list")) == 2
        assert denied(bot) == [("U0MALLORY", "maintenance.start", "service:*")] * 3
    finally:
        await bot.close()


async def test_a_group_slack_cannot_list_refuses_promptly_and_keeps_nothing(tmp_path, double):
    config = CONFIG.replace("admins: [U0OPS]", 'admins: [U0OPS, "group:S0ADMINS"]')
    bot = await AlertBot(tmp_path, double, config=config).start()
    try:
        double.add_usergroup("S0ADMINS", ["U0NEWADMIN"])
        double.inject("usergroups.users.list", status=500)
        refusal = await say(bot, "maintenance 1h all", "U0NEWADMIN")
        assert refusal.startswith("Only admins may")
        double.inject("usergroups.users.list", error="missing_scope")
        bot.clock.advance(60)
        assert (await say(bot, "maintenance 1h all", "U0NEWADMIN")).startswith("Only admins")
        assert rows(bot, "SELECT COUNT(*) FROM maintenance_windows") == [(0,)]
    finally:
        await bot.close()


async def test_an_incidents_audit_record_is_for_its_responders(bot, double):
    await say(bot, "declare sev2 Checkout failing service:billing", "U0ALICE")
    await say(bot, "ack INC-1", "U0PAY")
    await say(bot, "resolve INC-1", "U0MALLORY")  # refused: on the record too
    answer = await bot.command("audit INC-1", user="U0ALICE")
    assert answer["text"] == "Audit record of INC-1: 3 entries"
    lines = answer["blocks"][0]["text"]["text"]
    for part in ("*declare* (command)", "<@U0PAY> *acknowledge*", "*resolve* (command) · _denied_"):
        assert part in lines, lines

    refusal = await say(bot, "audit INC-1", "U0MALLORY")
    assert refusal == (
        "Only INC-1's responders, payments members or admins may see INC-1's audit record. "
        "Nothing was changed."
    )
    assert denied(bot)[-1] == ("U0MALLORY", "audit.view", "INC-1")
    assert (await say(bot, "audit INC-9", "U0OPS")) == "There is no INC-9. See `/incident list`."


async def test_a_change_the_incident_refuses_is_recorded_as_invalid(bot, double):
    await say(bot, "declare sev2 Checkout failing service:billing", "U0ALICE")
    await say(bot, "resolve INC-1", "U0PAY")
    again = await say(bot, "resolve INC-1 twice", "U0PAY")
    assert again.startswith("INC-1 is already resolved")
    invalid = rows(
        bot, "SELECT actor, action, target, after FROM audit_log WHERE outcome = 'invalid'"
    )
    assert [row[:3] for row in invalid] == [("U0PAY", "resolve", "INC-1")]
    assert "already resolved" in invalid[0][3]
