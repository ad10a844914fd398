"""What each team sees of its own incidents, over the real HTTP stack: broadcasts and digests in
its broadcast channel, reports and the weekly report per team, App Home's "Your teams", and
maintenance for a service allowed to those its owning team pages first.

Two teams (platform, payments) plus the default team, as in `test_teams`; payments has its own
broadcast channel, platform and the default team share the top-level one. The harness clock
starts Monday 2026-03-02 09:00 UTC (10:00 in Berlin)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.slack.ids import Action
from tests.support.alerts import AlertBot
from tests.support.db import rows
from tests.support.home import open_home, section_under
from tests.support.teams import CONFIG as TEAMS

STATUS, PAY_STATUS = "C0STATUS", "C0PAYSTATUS"
CONFIG = TEAMS.replace(
    "incident_channel: C0INCIDENTS\n",
    f"incident_channel: C0INCIDENTS\nbroadcast_channel: {STATUS}\n",
).replace(
    "    channel: C0PAYMENTS\n",
    f"    channel: C0PAYMENTS\n    broadcast_channel: {PAY_STATUS}\n",
)


@pytest.fixture
async def bot(tmp_path, double):
    running = await AlertBot(tmp_path, double, config=CONFIG).start()
    yield running
    await running.close()


def said(double, channel: str, starts: str = "") -> list[str]:
    """The text of each post in a channel (blocks joined), those starting with `starts`."""
    texts = ["\n".join(b["text"]["text"] for b in m["blocks"]) for m in double.messages(channel)]
    return [t for t in texts if t.startswith(starts)]


async def test_each_team_is_broadcast_in_its_own_channel_else_the_top_level_one(bot, double):
    await bot.command("declare sev1 Card payments failing service:billing")
    await bot.command("declare sev1 Public API down service:api")
    await bot.command("declare sev1 Office network down")
    await bot.deliver()
    [payments] = said(double, PAY_STATUS, ":rotating_light:")
    assert "Card payments failing" in payments
    shared = said(double, STATUS, ":rotating_light:")  # two broadcasts: either may land first
    assert sorted(("Public API down" in t, "Office network down" in t) for t in shared) == [
        (False, True),
        (True, False),
    ]
    assert not any("Card payments" in t for t in said(double, STATUS))


async def test_each_broadcast_channel_gets_a_digest_of_the_teams_it_hears_about(bot, double):
    await bot.command("declare sev2 Card payments failing service:billing")  # 09:00 UTC
    await bot.command("declare sev2 Public API slow service:api")
    await bot.command("declare sev4 Printer jammed")  # the default team's, not announced
    assert rows(bot, "SELECT key FROM timers WHERE kind = 'digest' ORDER BY key") == [
        (f"digest:{PAY_STATUS}:2026-03-02T12:00:00+00:00",),
        (f"digest:{STATUS}:2026-03-02T12:00:00+00:00",),
    ]
    await bot.advance(timedelta(hours=3))
    await bot.deliver()
    [pay_digest] = said(double, PAY_STATUS, ":clipboard:")
    assert pay_digest.startswith(":clipboard: *1 open incident* as of")
    assert "Card payments failing" in pay_digest and "Public API" not in pay_digest
    [digest] = said(double, STATUS, ":clipboard:")
    assert digest.startswith(":clipboard: *2 open incidents* as of")
    assert "Public API slow" in digest and "Printer jammed" in digest
    assert "Card payments" not in digest

    await bot.command("resolve INC-1", user="U0PAY")  # payments has nothing announced open
    await bot.advance(timedelta(hours=2))
    await bot.deliver()
    assert len(said(double, PAY_STATUS, ":clipboard:")) == 1  # its chain ended
    assert len(said(double, STATUS, ":clipboard:")) == 2  # the other goes on
    assert rows(bot, "SELECT key FROM timers WHERE kind = 'digest' AND status = 'pending'") == [
        (f"digest:{STATUS}:2026-03-02T16:00:00+00:00",)
    ]


async def test_a_digest_timer_from_before_teams_posts_to_the_top_level_channel(bot, double):
    await bot.command("declare sev1 Public API down service:api")
    rows(  # a slot armed by an earlier version: no channel in its key or payload
        bot,
        "INSERT INTO timers (kind, due_at, fence, status, payload, created_at, key) "
        "VALUES ('digest', '2026-03-02 10:00:00.000000', 0, 'pending', '{}', "
        "'2026-03-02 08:00:00.000000', 'digest:2026-03-02T10:00:00+00:00')",
    )
    await bot.advance(timedelta(hours=1))
    await bot.deliver()
    [digest] = said(double, STATUS, ":clipboard:")
    assert "Public API down" in digest and said(double, PAY_STATUS, ":clipboard:") == []


async def test_a_report_for_one_team_counts_only_its_incidents(bot, double):
    await bot.command("declare sev2 Card payments failing service:billing")
    await bot.command("declare sev1 Refunds stuck team:payments")
    await bot.command("declare sev2 Public API slow service:api")
    await bot.advance(timedelta(minutes=1))  # a report covers up to, not including, now
    answer = await bot.command("report 7d team:payments")
    body = "\n".join(b["text"]["text"] for b in answer["blocks"] if b["type"] == "section")
    assert "*Incident report · payments: the last 7 days*" in body
    assert "*2* declared · *2* still open" in body
    assert "Team" not in body  # one team: no table by team

    everyone = await bot.command("report")
    body = "\n".join(b["text"]["text"] for b in everyone["blocks"] if b["type"] == "section")
    assert "*3* declared" in body
    table = next(t for t in body.split("```") if t.strip().startswith("Team"))
    assert [line.split()[:3] for line in table.strip().splitlines()[1:]] == [
        ["platform", "1", "1"],
        ["payments", "2", "2"],
    ]  # teams with incidents, in config order

    unknown = await bot.command("report team:finops")
    assert unknown["text"] == "There is no team `finops`; teams: default, platform, payments."


async def test_the_weekly_report_covers_everyone_by_team_and_each_team_channel_its_own(bot, double):
    await bot.command("declare sev2 Card payments failing service:billing")
    await bot.command("declare sev3 Printer jammed")
    await bot.advance(timedelta(days=7))  # Monday 09:00 Berlin has passed
    await bot.deliver()
    [everyone] = [m for m in double.messages(STATUS) if "Weekly" in m["text"]]
    body = "\n".join(b["text"]["text"] for b in everyone["blocks"] if b["type"] == "section")
    assert "*2* declared" in body and "Team" in body and "payments" in body
    [own] = [m for m in double.messages(PAY_STATUS) if "Weekly" in m["text"]]
    body = "\n".join(b["text"]["text"] for b in own["blocks"] if b["type"] == "section")
    assert "*Weekly incident report · payments: the last 7 days*" in body
    assert "*1* declared" in body and "Team" not in body


async def test_the_update_form_offers_sharing_where_the_team_broadcasts(tmp_path, double):
    config = CONFIG.replace(f"broadcast_channel: {STATUS}\n", "")  # only payments broadcasts
    bot = await AlertBot(tmp_path, double, config=config).start()
    try:
        await bot.command("declare sev2 Card payments failing service:billing")
        await bot.command("declare sev2 Public API slow service:api")
        await bot.deliver()
        assert said(double, PAY_STATUS, ":rotating_light:")  # announced: its own channel
        assert said(double, STATUS) == []  # platform broadcasts nowhere
        for number, offered in ((1, True), (2, False)):
            await bot.click(Action.UPDATE, str(number))
            opened = (await double.wait_for("views.open", number))[number - 1]
            assert ("share" in [b.get("block_id") for b in opened.params["view"]["blocks"]]) is (
                offered
            )
    finally:
        await bot.close()


async def test_home_shows_the_viewers_teams_with_their_chain_and_open_incidents(bot, double):
    await bot.command("declare sev2 Card payments failing service:billing")
    await bot.command("declare sev2 Refunds stuck service:billing")
    await bot.command("declare sev2 Public API slow service:api")
    blocks = await open_home(bot, double, "U0PAY")  # a member of payments and its rotation
    teams = section_under(blocks, "Your teams")
    assert teams.startswith(
        "*payments* · 2 open (INC-2, INC-1)\nLevel 1: <@U0PAY> (rotation *payments*)"
    )
    assert "Level 2: <@U0PAYLEAD>" in teams and "platform" not in teams

    lead = section_under(await open_home(bot, double, "U0LEAD"), "Your teams")
    assert lead.startswith("*default* · nothing open")  # a member of the default team only

    stranger = await open_home(bot, double, "U0NOBODY")
    assert "Your teams" not in [b["text"]["text"] for b in stranger if b["type"] == "header"]


async def test_maintenance_for_a_service_is_for_its_owning_team(bot, double):
    refused = await bot.command("maintenance 1h api", user="U0PAY")
    assert refused["response_type"] == "ephemeral"
    assert "Only platform members or admins" in refused["text"] and rows(
        bot, "SELECT COUNT(*) FROM maintenance_windows"
    ) == [(0,)]
    allowed = await bot.command("maintenance 1h billing", user="U0PAY")
    assert "billing" in allowed["text"]
    assert rows(bot, "SELECT service FROM maintenance_windows") == [("billing",)]
