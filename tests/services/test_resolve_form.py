"""The card's Resolve button opens a form with an optional summary; the summary is kept on the
incident and shown on the card, in the thread and in the stakeholders' post. Two forms
submitted (two clicks) resolve once.

Over HTTP, signed as Slack signs: the click, then the form's submission as Slack sends it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.slack.ids import Action, Field, View
from tests.support.db import count, rows
from tests.support.harness import CONFIG, Bot, modal_values
from tests.support.slack_views import buttons, card_fields, card_of, replies

STATUS = "C0STATUS"
BROADCASTING = CONFIG.replace(
    "incident_channel: C0INCIDENTS\n",
    f"incident_channel: C0INCIDENTS\nbroadcast_channel: {STATUS}\n",
)


@pytest.fixture
async def bot(tmp_path, double):
    running = await Bot(tmp_path, double, config=BROADCASTING).start()
    yield running
    await running.close()


async def resolve_form(bot, double, user: str = "U0ALICE") -> dict:
    """Click Resolve on the card of INC-1; the form Slack was asked to open."""
    opened = len(double.calls_to("views.open"))
    response = await bot.click(Action.RESOLVE, "1", user=user)
    assert response.status == 200
    calls = await double.wait_for("views.open", opened + 1)
    return calls[-1].params["view"]


def ephemerals(double) -> list[str]:
    return [c.params["text"] for c in double.calls_to("chat.postEphemeral")]


async def test_resolve_opens_a_form_and_its_summary_is_shown_everywhere(bot, double):
    await bot.command("declare sev2 Checkout fails tenant:acme")
    await bot.deliver()
    resolve = card_of(double)["blocks"][-1]["elements"]
    button = next(e for e in resolve if e.get("action_id") == Action.RESOLVE)
    assert "confirm" not in button  # the form is the confirmation

    view = await resolve_form(bot, double, user="U0BOB")
    assert view["callback_id"] == View.RESOLVE and view["private_metadata"] == "1"
    assert view["title"]["text"] == "Resolve INC-1" and view["submit"]["text"] == "Resolve"
    [field] = [b for b in view["blocks"] if b.get("block_id") == Field.SUMMARY]
    assert field["optional"] is True and field["element"]["multiline"] is True
    assert rows(bot, "SELECT status FROM incidents") == [("declared",)]  # the click alone

    bot.clock.advance(timedelta(minutes=38))
    status, body = await bot.submit(
        View.RESOLVE,
        modal_values(summary="A bad deploy <!channel>, rolled back"),
        user="U0BOB",
        private_metadata="1",
    )
    assert (status, body) == (200, {})
    assert rows(bot, "SELECT status, summary FROM incidents") == [
        ("resolved", "A bad deploy <!channel>, rolled back")
    ]
    await bot.deliver()
    card = card_of(double)
    assert "Resolved by <@U0BOB>" in card_fields(card)
    [context] = [b for b in card["blocks"] if b["type"] == "context"]
    assert "Summary: A bad deploy &lt;!channel&gt;, rolled back" in str(context)
    assert set(buttons(card)) == {Action.REOPEN}
    assert replies(double)[-1] == (
        ":white_check_mark: <@U0BOB> resolved INC-1 after 38m. "
        "Summary: A bad deploy &lt;!channel&gt;, rolled back"
    )
    [_, resolved] = [m["blocks"][0]["text"]["text"] for m in double.messages(STATUS)]
    assert resolved.startswith(":white_check_mark: *Resolved: Checkout fails*")
    assert "A bad deploy , rolled back" in resolved  # plain words: no mention reaches them
    assert "*Status:* Resolved after 38m" in resolved


async def test_an_empty_summary_resolves_without_one(bot, double):
    await bot.command("declare sev2 Search is slow")
    await resolve_form(bot, double)
    status, body = await bot.submit(View.RESOLVE, modal_values(summary=None), private_metadata="1")
    assert (status, body) == (200, {})
    assert rows(bot, "SELECT status, summary FROM incidents") == [("resolved", None)]
    await bot.deliver()
    assert "Summary" not in replies(double)[-1]


async def test_two_forms_resolve_once_and_the_second_says_who_did(bot, double):
    await bot.command("declare sev2 Queue backlog growing")
    await resolve_form(bot, double, user="U0BOB")
    await resolve_form(bot, double, user="U0CAROL")  # a second click, another form
    first = await bot.submit(
        View.RESOLVE, modal_values(summary="Scaled up"), user="U0BOB", private_metadata="1"
    )
    second = await bot.submit(
        View.RESOLVE, modal_values(summary="Me too"), user="U0CAROL", private_metadata="1"
    )
    assert first == (200, {})
    status, body = second
    assert status == 200 and body["response_action"] == "errors"
    assert body["errors"][Field.SUMMARY].startswith("INC-1 is already resolved by <@U0BOB> at ")
    assert rows(bot, "SELECT resolved_by, summary FROM incidents") == [("U0BOB", "Scaled up")]
    assert count(bot, "events") == 2  # declared, resolved: once
    await bot.deliver()
    assert len([r for r in replies(double) if " resolved INC-1" in r]) == 1


async def test_an_old_card_or_an_unknown_incident_gets_an_answer_not_a_form(bot, double):
    await bot.command("declare sev2 Webhooks delayed")
    await bot.command("resolve INC-1 Fixed upstream")
    response = await bot.click(Action.RESOLVE, "1", user="U0BOB")  # a card not yet re-rendered
    assert response.status == 200
    await bot.click(Action.RESOLVE, "404")
    await bot.deliver()
    assert ephemerals(double) == [
        "INC-1 is already resolved.",
        "There is no INC-404. See `/incident list`.",
    ]
    assert double.calls_to("views.open") == []


async def test_whoever_may_not_resolve_is_told_in_the_form(tmp_path, double):
    config = BROADCASTING.replace("members: [U0ALICE, U0BOB, U0CAROL]", "members: [U0ALICE]")
    bot = await Bot(tmp_path, double, config=config).start()
    try:
        await bot.command("declare sev2 Checkout fails")
        status, body = await bot.submit(
            View.RESOLVE, modal_values(summary="mine now"), user="U0MALLORY", private_metadata="1"
        )
        assert status == 200 and body["response_action"] == "errors"
        assert "may resolve INC-1" in body["errors"][Field.SUMMARY]
        assert rows(bot, "SELECT status, summary FROM incidents") == [("declared", None)]
        assert rows(bot, "SELECT source, outcome FROM audit_log WHERE action = 'resolve'") == [
            ("modal", "denied")
        ]
    finally:
        await bot.close()
