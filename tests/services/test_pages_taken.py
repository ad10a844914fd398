"""A page by DM stops asking once someone takes the incident: it is re-rendered in place with
who acknowledged or resolved it and when, and without its Acknowledge button."""

from __future__ import annotations

from bot.slack.ids import Action
from tests.support.slack_views import buttons


def page_of(double, user: str) -> dict:
    [page] = double.messages(double.dm_channel(user))
    return page


async def test_the_page_dm_says_who_acknowledged_and_loses_its_button(bot, double):
    await bot.command("declare sev2 Checkout slow")
    await bot.deliver()
    page = page_of(double, "U0AAA")
    assert Action.ACK in buttons(page)
    await bot.click(Action.ACK, "1", user="U0BOB")
    await bot.deliver()
    page = page_of(double, "U0AAA")  # the same message, updated: no second DM
    assert buttons(page) == {}
    shown = page["blocks"][0]["text"]["text"]
    assert "Acknowledged by <@U0BOB>" in shown and "Acknowledge by" not in shown
    assert [c.params["channel"] for c in double.calls_to("chat.update")].count(
        double.dm_channel("U0AAA")
    ) == 1


async def test_every_page_of_an_escalated_incident_says_who_resolved_it(bot, double):
    await bot.command("declare sev2 Checkout slow")
    await bot.command("escalate INC-1")  # pages level 2 too
    await bot.deliver()
    await bot.command("resolve INC-1 rolled back")
    await bot.deliver()
    for user in ("U0AAA", "U0LEAD"):
        page = page_of(double, user)
        assert buttons(page) == {}
        assert "Resolved by <@U0ALICE>" in page["blocks"][0]["text"]["text"]
