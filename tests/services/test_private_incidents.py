"""Private incidents over the real HTTP stack: they open in the private channel (the double
refuses posts there until the bot is invited, as Slack does), are never broadcast, and show
outsiders only that they exist.

Two teams plus the default team (`tests/support/teams.py`) with a top-level broadcast channel;
U0OPS is the admin, U0PAY a payments member, U0MALLORY nobody.
"""

from __future__ import annotations

import json

import pytest

from bot.config import parse_config
from bot.slack.blocks.modals import declare_modal
from bot.slack.ids import View
from tests.support.alerts import AlertBot, alertmanager, am_alert
from tests.support.db import rows
from tests.support.harness import modal_values
from tests.support.home import open_home
from tests.support.teams import CONFIG as TEAMS

PRIVATE, STATUS = "G0SECURITY", "C0STATUS"
CONFIG = TEAMS.replace(
    "incident_channel: C0INCIDENTS\n",
    f"incident_channel: C0INCIDENTS\nbroadcast_channel: {STATUS}\nprivate_channel: {PRIVATE}\n",
)
BREACH = "Customer records exported by unknown token"


@pytest.fixture
async def bot(tmp_path, double):
    double.add_channel(PRIVATE, "security", private=True, member=True)
    running = await AlertBot(tmp_path, double, config=CONFIG).start()
    yield running
    await running.close()


def everything_said(double, channel: str) -> str:
    return json.dumps(double.messages(channel))


async def test_a_private_incident_opens_in_the_private_channel_and_is_never_broadcast(bot, double):
    answer = await bot.command(f"declare private sev1 {BREACH} service:billing tenant:acme")
    assert answer["text"] == f"Declared INC-1 (SEV1); its card is going up in <#{PRIVATE}>."
    await bot.command("declare sev1 Public API down service:api")
    await bot.command("update INC-1 token revoked", user="U0PAY")
    await bot.command("resolve INC-1 contained", user="U0PAY")
    await bot.deliver()
    assert BREACH in everything_said(double, PRIVATE)
    for public in ("C0INCIDENTS", "C0PAYMENTS", "C0PLATFORM", STATUS):
        assert BREACH not in everything_said(double, public)
        assert "INC-1" not in everything_said(double, public)
    assert "Public API down" in everything_said(double, STATUS)  # the other one is broadcast
    assert rows(bot, "SELECT private, team, channel_id FROM incidents ORDER BY id") == [
        (1, "payments", PRIVATE),
        (0, "platform", "C0PLATFORM"),
    ]


async def test_outsiders_see_only_that_it_exists(bot, double):
    await bot.command(f"declare private sev1 {BREACH} service:billing tenant:acme")
    await bot.command("declare sev2 Slow dashboard")
    listed = json.dumps(await bot.command("list", user="U0MALLORY"))
    assert "*INC-1* (private)" in listed and "Slow dashboard" in listed
    assert BREACH not in listed and "billing" not in listed and "acme" not in listed
    shown = await bot.command("show INC-1", user="U0MALLORY")
    assert shown["text"] == (
        "INC-1 is private: only its responders, its team's members and admins see what it is about."
    )
    home = json.dumps(await open_home(bot, double, "U0MALLORY"))
    assert "INC-1" in home and BREACH not in home
    refused = await bot.command("postmortem INC-1", user="U0MALLORY")
    assert refused["text"] == shown["text"]

    for insider in ("U0ALICE", "U0PAY", "U0OPS"):  # declared it, its team, admin
        assert BREACH in json.dumps(await bot.command("list", user=insider))
        assert BREACH in json.dumps(await bot.command("show INC-1", user=insider))


async def test_reports_count_it_without_its_title_service_or_tenants(bot, double):
    await bot.command(f"declare private sev1 {BREACH} service:billing tenant:acme")
    bot.clock.advance(600)
    await bot.command("resolve INC-1", user="U0PAY")
    bot.clock.advance(60)
    report = json.dumps(await bot.command("report 7d", user="U0OPS"))
    assert "(private)" in report and BREACH not in report
    assert "billing" not in report and "acme" not in report


async def test_its_postmortem_is_only_in_its_thread(bot, double):
    await bot.command(f"declare private sev1 {BREACH}")
    answer = await bot.command("postmortem INC-1", user="U0ALICE")
    assert answer["text"] == (
        "The postmortem draft of INC-1 is going up in its thread as a Markdown file."
    )
    await bot.deliver()
    shared = [c.params for c in double.calls_to("files.completeUploadExternal")]
    assert [p.get("channel_id") for p in shared] == [PRIVATE]
    token = bot.app.services.postmortems.token(1)
    async with bot.http.get(f"{bot.base}/incidents/INC-1/postmortem.md?token={token}") as got:
        assert got.status == 404
        assert await got.text() == "INC-1 is private: its draft is only in its thread.\n"


async def test_private_needs_a_private_channel(tmp_path, double):
    bot = await AlertBot(tmp_path, double, config=TEAMS).start()
    try:
        answer = await bot.command(f"declare private sev1 {BREACH}")
        assert answer["text"] == (
            "Private incidents open in a private channel: add `private_channel:` (the channel's "
            "id, with Firebell invited) to the config. Nothing was declared."
        )
        assert rows(bot, "SELECT COUNT(*) FROM incidents") == [(0,)]
    finally:
        await bot.close()


async def test_a_private_team_and_a_private_alert_route(tmp_path, double):
    config = CONFIG.replace(
        "    members: [U0PAY]\n", "    members: [U0PAY]\n    private: true\n"
    ).replace("      team: platform\n", "      team: platform\n      private: true\n")
    double.add_channel(PRIVATE, "security", private=True, member=True)
    bot = await AlertBot(tmp_path, double, config=config).start()
    try:
        await bot.command("declare sev2 Refund queue stuck service:billing")  # payments: private
        status, _ = await bot.alert("alertmanager", alertmanager([am_alert("DiskFull", "d1")]))
        assert status == 200
        await bot.command("declare sev2 Office wifi flaky")  # default team: public
        assert rows(bot, "SELECT private, channel_id FROM incidents ORDER BY id") == [
            (1, PRIVATE),
            (1, PRIVATE),
            (0, "C0INCIDENTS"),
        ]
    finally:
        await bot.close()


async def test_the_declare_modal_offers_private_only_with_a_private_channel(bot, double):
    assert '"block_id": "private"' in json.dumps(declare_modal(bot.config))
    assert '"block_id": "private"' not in json.dumps(declare_modal(parse_config(TEAMS)))
    values = modal_values(title=BREACH, severity="SEV1")
    values["private"] = {
        "value": {"type": "checkboxes", "selected_options": [{"value": "private"}]}
    }
    status, body = await bot.submit(View.DECLARE, values)
    assert (status, body) == (200, {})
    assert rows(bot, "SELECT private, channel_id FROM incidents") == [(1, PRIVATE)]
