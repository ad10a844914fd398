"""Long texts full of characters mrkdwn escapes, through the whole stack: the stand-in refuses
what Slack refuses, so a card or a reply over Slack's limits would be lost here as it was in
production. Each one stays whole: cut with "…" and a pointer to where all of it is."""

from __future__ import annotations

from bot.slack.ids import Action, View
from tests.support.harness import CHANNEL, modal_values
from tests.support.sendable import message_problems
from tests.support.slack_views import buttons, card_of, card_text, refused, replies

PASTED_LOG = ("<html> & <body> 500 Internal Server Error </body> & </html>\n" * 60)[:2890]
ALLOWED = {
    "users": {"U0ALICE", "U0BOB", "U0LEAD", "U0AAA", "U0BBB", "U0PRODUCT"},
    "channels": {CHANNEL},
    "groups": {"S0PLATFORM", "S0PRODUCT"},
}


async def test_a_pasted_log_as_description_keeps_the_card_and_its_thread(bot, double):
    values = modal_values(title="Checkout 500s", severity="SEV1", description=PASTED_LOG)
    status, _ = await bot.submit(View.DECLARE, values, private_metadata=CHANNEL)
    assert status == 200
    await bot.deliver()
    assert refused(double) == []
    card = card_of(double)
    assert buttons(card).keys() >= {Action.ACK, Action.RESOLVE}
    [description] = [
        b for b in card["blocks"] if "&lt;html&gt;" in b.get("text", {}).get("text", "")
    ]
    shown = description["text"]["text"]
    assert len(shown) <= 3000  # escaped, the log is 3,970 characters
    assert shown.endswith("…the rest is in the postmortem draft, `/incident postmortem INC-1`._")
    assert shown.split("\n")[-2].endswith("&lt;/html&gt;")  # cut after a whole line
    [declared, *_] = replies(double)
    assert "declared INC-1" in declared and "Paging level 1" in declared
    assert message_problems(card["text"], card["blocks"], ALLOWED) == []


async def test_a_long_resolution_summary_still_closes_the_card(bot, double):
    await bot.command("declare sev2 Queue stuck")
    await bot.deliver()
    summary = ("Drained <queue> & restarted <workers> after the & storm. " * 60)[:2900]
    answer = await bot.command(f"resolve INC-1 {summary}")
    assert answer["text"] == "Resolved INC-1."
    await bot.deliver()
    assert refused(double) == []
    card = card_of(double)
    assert set(buttons(card)) == {Action.REOPEN}  # no live Acknowledge or Resolve
    assert "Resolved by <@U0ALICE>" in card_text(card)
    [context] = [b for b in card["blocks"] if b["type"] == "context"]
    shown = context["elements"][0]["text"]
    assert len(shown) <= 2000 and "Summary: Drained &lt;queue&gt; &amp; restarted" in shown
    assert shown.endswith("… _(all of it: the postmortem draft, `/incident postmortem INC-1`)_")
    assert message_problems(card["text"], card["blocks"], ALLOWED) == []
    resolved = replies(double)[-1]
    assert resolved.startswith(":white_check_mark: <@U0ALICE> resolved INC-1")


async def test_the_timeline_of_a_long_incident_is_shown_whole_or_said_where(bot, double):
    await bot.command("declare sev2 Flapping")
    for n in range(12):
        await bot.command(f"update INC-1 {n} " + "<a> & <b> " * 280)
    answer = await bot.command("show INC-1")
    assert message_problems(answer["text"], answer["blocks"], ALLOWED) == []
    timeline = "\n".join(b.get("text", {}).get("text", "") for b in answer["blocks"])
    assert "*Timeline*" in timeline
    assert "&lt;a&gt; &amp; &lt;b&gt;" in timeline
    assert "`/incident postmortem INC-1`" in timeline  # where the updates are whole
