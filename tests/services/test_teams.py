"""Teams and services over the real HTTP stack: every incident and alert reaches the team
that owns it (its channel, its chain, its runbook), a transfer hands it over exactly once, and
a team's list shows only its incidents. Two teams with their own channels, chains and
rotations, plus the default team of the top-level keys."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.slack.ids import View
from tests.support.alerts import AlertBot, alertmanager, am_alert
from tests.support.db import rows
from tests.support.harness import CHANNEL, Bot, modal_values
from tests.support.slack_views import card_fields, card_of, cards, notices, paged, replies
from tests.support.teams import CONFIG, PAYMENTS, PLATFORM


@pytest.fixture
async def bot(tmp_path, double):
    running = await AlertBot(tmp_path, double, config=CONFIG).start()
    yield running
    await running.close()


async def test_a_declaration_goes_to_the_team_that_owns_its_service(bot, double):
    answer = await bot.command("declare sev2 Checkout failing service:billing")
    assert "Declared INC-1 (SEV2)" in answer["text"] and f"<#{PAYMENTS}>" in answer["text"]
    await bot.deliver()
    card = card_of(double, 1, channel=PAYMENTS)
    assert (
        "*Team · service*\npayments · billing · <https://docs.example.com/ops/billing|runbook>"
        in (card_fields(card))
    )
    assert cards(double) == [] and cards(double, channel=PLATFORM) == []
    assert paged(double) == ["U0PAY"]  # payments' level 1, nobody else
    assert rows(bot, "SELECT team, channel_id FROM incidents") == [("payments", PAYMENTS)]


async def test_a_named_team_wins_over_the_services_owner(bot, double):
    await bot.command("declare sev2 Billing API slow service:billing team:platform")
    await bot.deliver()
    assert cards(double, channel=PLATFORM) and not cards(double, channel=PAYMENTS)
    assert paged(double) == ["U0PLAT"]


async def test_without_service_or_team_the_default_team_has_it(bot, double):
    await bot.command("declare sev2 Office wifi down")
    await bot.command("declare sev2 Batch job late service:reporting")  # a service nobody owns
    await bot.deliver()
    assert len(cards(double)) == 2  # the top-level incident_channel
    assert "*Team · service*\ndefault · _not set_" in card_fields(card_of(double, 1))
    assert paged(double) == ["U0AAA"]  # both pages, due at once, in one DM
    assert "2 incidents" in double.messages(double.dm_channel("U0AAA"))[0]["text"]


async def test_an_unknown_team_is_refused_and_nothing_is_declared(bot, double):
    answer = await bot.command("declare sev2 Checkout failing team:finops")
    assert answer["text"] == "There is no team `finops`; teams: default, platform, payments."
    assert rows(bot, "SELECT COUNT(*) FROM incidents") == [(0,)]


async def test_escalation_follows_the_owning_teams_chain(bot, double):
    await bot.command("declare sev1 Payments down service:billing")
    await bot.deliver()
    await bot.advance(timedelta(minutes=16))
    await bot.deliver()
    assert paged(double) == ["U0PAY", "U0PAYLEAD"]
    assert "escalated INC-1 to level 2" in replies(double, 1, channel=PAYMENTS)[-1]


async def test_a_transfer_stops_the_old_chain_and_starts_the_new_one_once(bot, double):
    await bot.command("declare sev1 Checkout errors service:api")
    await bot.deliver()
    await bot.advance(timedelta(minutes=10))
    answer = await bot.command("transfer INC-1 payments", user="U0PLAT")
    assert answer["text"] == "Handed INC-1 to payments."
    again = await bot.command("transfer INC-1 payments", user="U0PLAT")
    assert again["text"] == "INC-1 already belongs to payments."
    await bot.deliver()
    # the old chain's deadline (15 minutes after the declaration) passes: nothing happens;
    # the new chain's (15 minutes after the transfer) calls payments' level 2, once
    await bot.advance(timedelta(minutes=6))
    await bot.deliver()
    assert paged(double) == ["U0PLAT", "U0PAY"]
    await bot.advance(timedelta(minutes=10))
    await bot.deliver()
    await bot.advance(timedelta(hours=2))
    await bot.deliver()
    assert paged(double) == ["U0PLAT", "U0PAY", "U0PAYLEAD"]
    # the thread stays where it was; the card names the new owner; payments gets a line
    card = card_of(double, 1, channel=PLATFORM)
    assert "payments · api" in card_fields(card)
    said = replies(double, 1, channel=PLATFORM)
    assert any("handed INC-1 from platform to payments" in r for r in said)
    [line] = notices(double, channel=PAYMENTS)
    assert "INC-1 (SEV1) Checkout errors is now payments'" in line and "its thread" in line
    assert rows(bot, "SELECT team, channel_id FROM incidents") == [("payments", PLATFORM)]


async def test_a_resolved_incident_is_not_handed_over(bot, double):
    await bot.command("declare sev2 Checkout errors service:api")
    await bot.command("resolve INC-1 fixed")
    answer = await bot.command("transfer INC-1 payments")
    assert answer["text"] == "INC-1 is resolved; reopen it before handing it over."


async def test_a_teams_list_shows_only_its_incidents(bot, double):
    await bot.command("declare sev2 Checkout failing service:billing")
    await bot.command("declare sev2 API slow service:api")
    await bot.command("declare sev2 Office wifi down")
    payments = await bot.command("list payments")
    assert payments["text"] == "1 open incidents"
    every = await bot.command("list")
    assert every["text"] == "3 open incidents"
    default = await bot.command("list default")
    assert default["text"] == "1 open incidents"
    unknown = await bot.command("list finops")
    assert unknown["text"] == "There is no team `finops`; teams: default, platform, payments."


async def test_alerts_reach_the_team_of_their_service_label(bot, double):
    body = alertmanager([am_alert("HighErrorRate", "aaa1", service="billing")])
    assert (await bot.alert("alertmanager", body))[0] == 200
    await bot.deliver()
    assert cards(double, channel=PAYMENTS) and not cards(double)
    assert paged(double) == ["U0PAY"]


async def test_alert_routes_by_equality_and_by_regex(bot, double):
    disk = alertmanager(
        [am_alert("DiskFull", "bbb1", service="reporting")],
        group_key='{}:{alertname="DiskFull"}',
    )
    pay = alertmanager(
        [am_alert("Latency", "ccc1", service="web", severity="warning", instance="pay-3:9100")],
        group_key='{}:{alertname="Latency"}',
    )
    assert (await bot.alert("alertmanager", disk))[0] == 200
    assert (await bot.alert("alertmanager", pay))[0] == 200
    await bot.deliver()
    assert rows(bot, "SELECT id, team, service, severity FROM incidents ORDER BY id") == [
        (1, "platform", "reporting", "SEV1"),
        (2, "payments", "billing", "SEV1"),  # the route names service and severity
    ]
    assert sorted(paged(double)) == ["U0PAY", "U0PLAT"]


async def test_without_teams_the_card_reads_as_before(tmp_path, double):
    plain = await Bot(tmp_path, double).start()
    try:
        await plain.command("declare sev2 Checkout slow service:api")
        await plain.deliver()
        fields = card_fields(card_of(double, 1, channel=CHANNEL))
        assert "*Service*\napi · <https://docs.example.com/ops/api|runbook>" in fields
        assert "Team" not in fields
    finally:
        await plain.close()


async def test_a_services_maintenance_is_announced_to_its_owning_team(bot, double):
    await bot.command("maintenance 2h billing ledger migration", user="U0OPS")
    await bot.command("maintenance 1h", user="U0OPS")  # every service: the default team's
    await bot.deliver()
    assert len(notices(double, channel=PAYMENTS)) == 1
    assert "billing" in notices(double, channel=PAYMENTS)[0]
    assert len(notices(double)) == 1 and notices(double, channel=PLATFORM) == []


async def test_a_handover_goes_to_the_teams_whose_chains_use_the_rotation(bot, double):
    await bot.advance(timedelta(weeks=1))
    await bot.deliver()
    said = {
        channel: [n for n in notices(double, channel=channel) if "handover" in n.lower()]
        for channel in (CHANNEL, PLATFORM, PAYMENTS)
    }
    assert [len(said[c]) for c in (CHANNEL, PLATFORM, PAYMENTS)] == [1, 1, 1], said
    assert "payments" in said[PAYMENTS][0] and "platform-primary" in said[PLATFORM][0]


async def test_a_teams_oncall_shows_each_level_of_its_chain_now(bot, double):
    answer = await bot.command("oncall payments")  # a team and a rotation: the team wins
    assert answer["text"] == (
        "payments: *Level 1*: <@U0PAY> (rotation *payments*); *Level 2*: <@U0PAYLEAD>"
    )
    shown = "\n".join(b["text"]["text"] for b in answer["blocks"])
    assert shown.startswith("*payments* escalation chain, as it would page now:")
    assert "<@U0PAY> is on call" in shown  # the rotation's own section follows
    rotation = await bot.command("oncall platform-primary")
    assert rotation["text"].startswith("On call now: platform-primary <@U0PLAT>")


async def test_the_declare_form_offers_the_teams_and_its_choice_owns_the_incident(bot, double):
    await bot.command("")
    await double.wait_for("views.open")
    view = double.calls_to("views.open")[0].params["view"]
    [team] = [b for b in view["blocks"] if b.get("block_id") == "team"]
    assert [o["value"] for o in team["element"]["options"]] == ["default", "platform", "payments"]
    status, body = await bot.submit(
        View.DECLARE,
        modal_values(title="Refunds stuck", severity="SEV2", service="api", team="payments"),
    )
    assert status == 200 and body == {}
    await bot.deliver()
    assert cards(double, channel=PAYMENTS) and not cards(double, channel=PLATFORM)
