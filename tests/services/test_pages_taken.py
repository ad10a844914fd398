"""A page by DM stops asking once someone takes the incident: it is re-rendered in place with
who acknowledged or resolved it and when, and without its Acknowledge button."""

from __future__ import annotations

from bot.slack.delivery.incident import TAKEN_MOST
from bot.slack.delivery.sender import BUNDLE_EVERY
from bot.slack.ids import Action
from tests.support.db import rows
from tests.support.harness import COVERED, SATURDAY, Bot
from tests.support.slack_views import ack_buttons, buttons

WAITING = "SELECT COUNT(*) FROM outbox WHERE kind = 'pages_taken' AND status = 'pending'"


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


async def test_pages_of_many_acknowledged_incidents_lose_their_buttons_in_one_round(bot, double):
    """The re-rendering edits DMs already sent and posts nothing in a channel: it waits
    neither for the incidents' cards and replies nor for a channel's pace (it used to queue
    behind both, at one edit a second across every incident)."""
    for n in range(6):
        await bot.command(f"declare sev2 Storm {n}")
        await bot.deliver()
        bot.clock.advance(BUNDLE_EVERY)  # a DM of its own each
    pages = double.messages(double.dm_channel("U0AAA"))
    assert [Action.ACK in buttons(p) for p in pages] == [True] * 6
    for n in range(6):
        await bot.click(Action.ACK, str(n + 1), user="U0BOB")
    await bot.app.sender.run_once()  # one round, the clock standing still
    assert rows(bot, WAITING) == [(0,)]
    pages = double.messages(double.dm_channel("U0AAA"))
    assert [buttons(p) for p in pages] == [{}] * 6
    replies = "SELECT COUNT(*) FROM outbox WHERE kind = 'reply' AND status = 'pending'"
    assert rows(bot, replies)[0][0] > 0  # while the channel's posts still wait for its pace


async def test_an_incident_paged_by_no_dm_leaves_nothing_to_re_render(tmp_path, double):
    bot = Bot(tmp_path, double, config=COVERED)
    bot.clock.set(SATURDAY)
    await bot.start()
    try:
        await bot.command("declare sev3 Waits for Monday")  # outside coverage: no one paged
        await bot.command("declare sev2 Pages now")
        await bot.click(Action.ACK, "1", user="U0BOB")
        await bot.click(Action.ACK, "2", user="U0BOB")
        taken = "SELECT incident_id FROM outbox WHERE kind = 'pages_taken'"
        assert rows(bot, taken) == [(2,)]
        await bot.deliver()
        [page] = double.messages(double.dm_channel("U0AAA"))  # INC-2's, sent acknowledged
        assert buttons(page) == {}
    finally:
        await bot.close()


def edits_of(double, user: str) -> list:
    return [
        c for c in double.calls_to("chat.update") if c.params["channel"] == double.dm_channel(user)
    ]


async def test_a_bundle_whose_incidents_are_acknowledged_one_by_one_is_edited_once(bot, double):
    """A storm's bundle lists thirty incidents; ten acknowledgements before the sender's next
    round are one edit of it, not ten (each a `chat.update` against Slack's limit)."""
    for n in range(30):
        await bot.command(f"declare sev2 Storm {n}")
    await bot.deliver()
    [bundle] = double.messages(double.dm_channel("U0AAA"))
    assert len(ack_buttons(bundle)) == 30
    for n in range(10):
        await bot.click(Action.ACK, str(n + 1), user="U0BOB")
    await bot.app.sender.run_once()
    assert len(edits_of(double, "U0AAA")) == 1
    [bundle] = double.messages(double.dm_channel("U0AAA"))
    assert sorted(int(v) for v in ack_buttons(bundle)) == list(range(11, 31))
    closed = "SELECT status, COUNT(*) FROM outbox WHERE kind = 'pages_taken' GROUP BY status"
    assert dict(rows(bot, closed)) == {"sent": 1, "superseded": 9}
    await bot.click(Action.ACK, "11", user="U0BOB")  # a later change: edited again
    await bot.deliver()
    assert len(edits_of(double, "U0AAA")) == 2
    [bundle] = double.messages(double.dm_channel("U0AAA"))
    assert "11" not in ack_buttons(bundle)


async def test_a_page_dm_slack_will_not_let_us_edit_leaves_the_others_edited(bot, double):
    """INC-1 paged two people; the first DM is gone (deleted), so Slack refuses its edit for
    good (message_not_found): the second is still edited, and nothing waits to retry."""
    await bot.command("declare sev2 Checkout slow")
    await bot.command("escalate INC-1")  # pages level 2 too
    await bot.deliver()
    gone = page_of(double, "U0AAA")
    await bot.app.slack.chat_delete(channel=double.dm_channel("U0AAA"), ts=gone["ts"])
    await bot.command("resolve INC-1 rolled back")
    await bot.deliver()
    assert [c.params["ts"] for c in edits_of(double, "U0AAA")] == [gone["ts"]]  # tried once
    page = page_of(double, "U0LEAD")
    assert buttons(page) == {} and "Resolved by <@U0ALICE>" in page["blocks"][0]["text"]["text"]
    assert rows(bot, WAITING) == [(0,)]


async def test_one_re_rendering_stands_for_a_bounded_number_of_acknowledgements(bot, double):
    """Forty-five acknowledged at once are two deliveries (40, then 5), each editing the DMs
    of its own incidents once: a retry after Slack's limit starts over only the one it was."""
    for n in range(TAKEN_MOST + 5):
        await bot.command(f"declare sev2 Storm {n}")
    await bot.deliver()
    first, second = double.messages(double.dm_channel("U0AAA"))  # 40 and 5 incidents
    for n in range(TAKEN_MOST + 5):
        await bot.click(Action.ACK, str(n + 1), user="U0BOB")
    await bot.app.sender.run_once()
    closed = "SELECT status, COUNT(*) FROM outbox WHERE kind = 'pages_taken' GROUP BY status"
    assert dict(rows(bot, closed)) == {"sent": 2, "superseded": TAKEN_MOST + 3}
    assert sorted(c.params["ts"] for c in edits_of(double, "U0AAA")) == sorted(
        [first["ts"], second["ts"]]
    )
    assert [ack_buttons(m) for m in double.messages(double.dm_channel("U0AAA"))] == [[], []]


async def test_an_edit_slack_rate_limits_is_made_after_its_wait_and_nothing_is_lost(bot, double):
    """The acknowledgement's two edits (the card's and the page DM's) each meet a 429: the
    delivery is tried again after Retry-After, and the DM ends edited, once."""
    await bot.command("declare sev2 Checkout slow")
    await bot.deliver()
    double.inject("chat.update", status=429, retry_after=2, times=2)
    await bot.click(Action.ACK, "1", user="U0BOB")
    await bot.deliver()
    assert double.faults_left("chat.update") == 0
    assert len(edits_of(double, "U0AAA")) == 2  # refused, then made
    assert buttons(page_of(double, "U0AAA")) == {}
    assert rows(bot, WAITING) == [(0,)]
