"""End to end over HTTP: declare, acknowledge, escalate, update, resolve, reopen, assign."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.slack.ids import Action, View
from tests.support.harness import CHANNEL, modal_values
from tests.support.slack_views import buttons, card_fields, card_of, replies


async def test_declare_by_command_posts_card_then_pages_level_one(bot, double):
    answer = await bot.command("declare sev2 Checkout API returns 500s service:api tenant:acme")
    assert answer["response_type"] == "ephemeral"
    assert "Declared INC-1 (SEV2)" in answer["text"]
    assert double.calls_to("chat.postMessage") == []  # nothing is sent before the ack

    await bot.deliver()
    card = card_of(double)
    assert card["blocks"][0]["text"]["text"] == "INC-1 · Checkout API returns 500s"
    fields = card_fields(card)
    assert "SEV2" in fields and "Declared, not yet acknowledged" in fields
    assert "<@U0ALICE>" in fields
    assert "<https://docs.example.com/ops/api|runbook>" in fields
    assert "acme" in fields
    assert "Ack due by <!date^" in fields and "(target 1h)" in fields
    assert set(buttons(card)) == {
        Action.ACK,
        Action.ESCALATE,
        Action.UPDATE,
        Action.RESOLVE,
        Action.SEVERITY,
    }
    assert all(value is None or value.startswith("1") for value in buttons(card).values())
    [declared] = replies(double)
    assert "<@U0ALICE> declared INC-1 (SEV2)" in declared
    assert "Paging level 1: <@U0AAA> (rotation *primary*)" in declared


async def test_sev1_pulls_in_its_page_targets(bot, double):
    await bot.command("declare sev1 Everything is down")
    await bot.deliver()
    [declared] = replies(double)
    assert "<@U0PRODUCT>" in declared and "<!subteam^S0PLATFORM>" in declared


async def test_acknowledge_button_updates_card_and_thread(bot, double):
    await bot.command("declare sev2 Queue backlog growing")
    await bot.deliver()
    bot.clock.advance(timedelta(minutes=4))
    response = await bot.click(Action.ACK, "1", user="U0BOB")
    assert response.status == 200
    await bot.deliver()

    card = card_of(double)
    assert "Acknowledged by <@U0BOB>" in card_fields(card)
    assert "Acknowledged in 4m (target 1h)" in card_fields(card)
    assert Action.ACK not in buttons(card)
    assert replies(double)[-1] == ":eyes: <@U0BOB> acknowledged INC-1 after 4m."
    updates = [c for c in double.calls_to("chat.update") if c.params["channel"] == CHANNEL]
    assert len(updates) == 1 and updates[0].params["ts"] == card["ts"]  # the card, in place


async def test_acknowledge_twice_by_command_answers_who_did_it(bot, double):
    await bot.command("declare Disk filling up")
    first = await bot.command("ack INC-1", user="U0BOB")
    second = await bot.command("ack INC-1", user="U0CAROL")
    assert first["text"] == "Acknowledged INC-1."
    assert second["text"].startswith("INC-1 is already acknowledged by <@U0BOB> at ")
    await bot.deliver()
    acks = [r for r in replies(double) if "acknowledged" in r]
    assert len(acks) == 1


async def test_escalate_by_button_and_command_walks_the_chain(bot, double):
    await bot.command("declare sev2 Payments failing")
    await bot.click(Action.ESCALATE, "1", user="U0BOB")
    answer = await bot.command("escalate INC-1 need the product lead", user="U0BOB")
    assert answer["text"] == "Escalated INC-1 to level 3."
    last = await bot.command("escalate INC-1")
    assert "already at the last escalation level (3 of 3)" in last["text"]
    await bot.deliver()

    thread = replies(double)
    assert "escalated INC-1 to level 2: <@U0LEAD>." in thread[1]
    assert "to level 3: <!subteam^S0PRODUCT>. Reason: need the product lead" in thread[2]
    assert len(thread) == 3
    assert "level 3 of 3" in card_fields(card_of(double))


async def test_severity_selector_and_command(bot, double):
    await bot.command("declare sev3 Slow search")
    await bot.deliver()
    option = {"text": {"type": "plain_text", "text": "SEV1"}, "value": "1:SEV1"}
    response = await bot.click(Action.SEVERITY, None, selected_option=option)
    assert response.status == 200
    same = await bot.command("sev INC-1 1")
    assert same["text"] == "INC-1 is already SEV1."
    await bot.deliver()
    card = card_of(double)
    assert "SEV1" in card_fields(card) and "(target 15m)" in card_fields(card)
    assert "changed the severity of INC-1 from SEV3 to SEV1" in replies(double)[-1]


async def test_update_by_command_and_by_modal(bot, double):
    await bot.command("declare sev2 Login errors")
    answer = await bot.command("update INC-1 Rolled back the deploy eta 30m")
    assert answer["text"] == "Update posted to INC-1."
    await bot.deliver()
    assert "Update from <@U0ALICE>: Rolled back the deploy" in replies(double)[-1]
    assert ":hourglass: ETA <!date^" in replies(double)[-1]

    await bot.click(Action.UPDATE, "1")
    await double.wait_for("views.open")
    view = double.calls_to("views.open")[0].params["view"]
    assert view["callback_id"] == View.UPDATE and view["private_metadata"] == "1"

    status, body = await bot.submit(
        View.UPDATE,
        modal_values(text="Error rate back to normal", eta="soon"),
        private_metadata="1",
    )
    assert status == 200 and body["response_action"] == "errors"
    assert "eta" in body["errors"]
    status, body = await bot.submit(
        View.UPDATE,
        modal_values(text="Error rate back to normal", eta="15m"),
        private_metadata="1",
    )
    assert status == 200 and body == {}
    await bot.deliver()
    assert "Error rate back to normal" in replies(double)[-1]


async def test_resolve_then_reopen(bot, double):
    await bot.command("declare sev2 Webhooks delayed")
    bot.clock.advance(timedelta(minutes=90))
    await bot.submit(View.RESOLVE, modal_values(summary=""), user="U0BOB", private_metadata="1")
    again = await bot.command("resolve INC-1 twice", user="U0CAROL")
    assert again["text"].startswith("INC-1 is already resolved by <@U0BOB> at ")
    await bot.deliver()
    card = card_of(double)
    assert "Resolved by <@U0BOB>" in card_fields(card)
    assert set(buttons(card)) == {Action.REOPEN}
    assert "resolved INC-1 after 1h 30m" in replies(double)[-1]

    denied = await bot.command("update INC-1 more news")
    assert "resolved; reopen it" in denied["text"]
    answer = await bot.command("reopen INC-1 errors are back")
    assert answer["text"] == "Reopened INC-1."
    await bot.deliver()
    card = card_of(double)
    assert "Declared, not yet acknowledged" in card_fields(card)
    assert "reopened INC-1. Paging level 1: <@U0AAA> (rotation *primary*)" in replies(double)[-1]


async def test_assign_roles(bot, double):
    await bot.command("declare Cache misses")
    answer = await bot.command("assign INC-1 commander <@U0DAVE|dave>")
    assert answer["text"] == "<@U0DAVE> is now commander of INC-1."
    await bot.command("assign INC-1 comms U0ERIN")
    again = await bot.command("assign INC-1 commander <@U0DAVE>")
    assert again["text"] == "<@U0DAVE> is already the commander of INC-1."
    await bot.deliver()
    fields = card_fields(card_of(double))
    assert "*Commander*\n<@U0DAVE>" in fields and "*Comms*\n<@U0ERIN>" in fields


async def test_list_and_show(bot, double):
    await bot.command("declare sev1 First")
    await bot.command("declare sev3 Second")
    await bot.command("resolve INC-1")
    listed = await bot.command("list")
    text = json.dumps(listed["blocks"])
    assert "*1 open*" in text and "INC-2" in text and "INC-1*" not in text
    shown = await bot.command("show INC-1")
    shown_text = json.dumps(shown["blocks"])
    assert "Timeline" in shown_text and "resolved INC-1" in shown_text
    missing = await bot.command("show INC-99")
    assert missing["text"] == "There is no INC-99. See `/incident list`."


async def test_bare_command_opens_declare_modal_and_modal_declares(bot, double):
    answer = await bot.command("", channel="C0OTHER")
    assert "Opening the declare form" in answer["text"]
    await double.wait_for("views.open")
    view = double.calls_to("views.open")[0].params["view"]
    assert view["callback_id"] == View.DECLARE and view["private_metadata"] == "C0OTHER"

    status, body = await bot.submit(View.DECLARE, modal_values(title="  ", severity="SEV2"))
    assert body["response_action"] == "errors" and "title" in body["errors"]
    status, body = await bot.submit(
        View.DECLARE,
        modal_values(
            title="Uploads failing",
            severity="SEV2",
            service="api",
            tenants="acme, globex",
            description="S3 returns 503",
        ),
        private_metadata="C0OTHER",
    )
    assert status == 200 and body == {}
    await bot.deliver()
    card = card_of(double)
    assert "acme, globex" in card_fields(card)
    assert any("S3 returns 503" in json.dumps(b) for b in card["blocks"])
    [note] = double.calls_to("chat.postEphemeral")
    assert note.params["channel"] == "C0OTHER" and "Declared INC-1" in note.params["text"]
