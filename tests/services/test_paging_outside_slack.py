"""Someone paged by an e-mail address no Slack user has is paged by the other media their
`people:` entry gives (a real SMTP server, the ntfy double), acknowledges through the link
their page carries, as that address; whoever has no such medium is named and not paged.

Alice is on call in `primary` by an address Slack does not know; her entry pages her by ntfy
at once, by e-mail after 2 minutes, in Slack and by ntfy again after 5: the Slack steps skip
her, the others reach her until she acknowledges.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from structlog.testing import capture_logs

from bot.slack.directory import refresh_people
from tests.support.db import rows
from tests.support.harness import CONFIG
from tests.support.paging import link_path, started
from tests.support.slack_views import dms, replies

ALICE = "alice.wonderland@example.com"  # `ntfy:` and the address are 33 characters
LONG = "a" * 60 + "@example.com"  # longer than any name the tables hold for who acted

OUTSIDE = (
    CONFIG.replace("members: [U0AAA, U0BBB]", f"members: [{ALICE}, U0BBB]").replace(
        'page: ["@U0PRODUCT", "group:S0PLATFORM"]',
        f'page: ["@ghost@example.com", "@dave@example.com", "@{LONG}"]',
    )
    + f"""
people:
  - user: {ALICE}
    email: alice@home.example.com
    ntfy: alice-pager-7f3a
    rules:
      - {{after: 0m, via: [slack, ntfy]}}
      - {{after: 2m, via: [email]}}
      - {{after: 5m, via: [slack, ntfy]}}
  - user: dave@example.com  # a phone, but rules that page in Slack only
    phone: "+4915112345678"
    rules: [{{after: 0m, via: [slack]}}]
  - user: {LONG}
    ntfy: long-pager-1b2c
"""
)


@pytest.fixture
async def bot(tmp_path, double):
    async with started(tmp_path, double, OUTSIDE) as running:
        await refresh_people(running.app)  # Slack knows none of these addresses
        yield running


async def test_an_address_slack_does_not_know_is_paged_by_the_other_media(bot):
    await bot.command("declare sev2 Checkout <failing>")
    await bot.deliver()
    assert dms(bot.double) == []  # nobody in Slack: U0BBB is not on call
    assert rows(bot, "SELECT COUNT(*) FROM outbox WHERE kind = 'dm'") == [(0,)]
    [push] = [r.json for r in bot.ntfy.requests]
    assert push["topic"] == "alice-pager-7f3a" and "INC-1" in push["title"]
    declared = replies(bot.double)[0]
    assert declared.endswith(
        f":iphone: No Slack user has this address, paged outside Slack only: {ALICE}."
    )
    assert "Not paged" not in declared
    # her lanes hold a digest of her address, which with the medium would not fit in 32
    lanes = [lane for (lane,) in rows(bot, "SELECT channel FROM outbox WHERE kind = 'page_ntfy'")]
    assert lanes and all(lane.startswith("ntfy:~") and len(lane) <= 32 for lane in lanes)

    await bot.advance(timedelta(minutes=2))
    await bot.deliver()
    [mail] = bot.mail.received
    assert mail.rcpt_tos == ["alice@home.example.com"]
    link = next(w for w in mail.part("plain").split() if "/p/" in w)
    async with bot.http.post(bot.base + link_path(link), data={"action": "ack"}) as acted:
        assert acted.status == 200
    assert rows(bot, "SELECT status, acknowledged_by FROM incidents") == [("acknowledged", ALICE)]

    await bot.advance(timedelta(minutes=10))
    await bot.deliver()
    assert len(bot.ntfy.requests) == 1  # the 5-minute step went with the acknowledgement
    assert rows(bot, "SELECT COUNT(*) FROM outbox WHERE kind = 'dm'") == [(0,)]
    thread = replies(bot.double)
    assert any(t.startswith(f":eyes: {ALICE} acknowledged INC-1 after 2m.") for t in thread)
    sent = [t.split(" sent ")[0] for t in thread if t.startswith(":outbox_tray:")]
    assert sent == [
        f":outbox_tray: ntfy push page to {ALICE}",
        f":outbox_tray: E-mail page to {ALICE}",
    ]
    assert rows(bot, "SELECT actor, source FROM audit_log WHERE action = 'acknowledge'") == [
        (ALICE, "link")
    ]


async def test_whom_no_medium_reaches_is_named_and_not_paged(bot):
    """Ghost has no entry, Dave's rules page in Slack only, and the long address is longer
    than an actor can be: none is paged; Alice, on call, is."""
    await bot.command("declare sev1 Payments down")
    await bot.deliver()
    declared = replies(bot.double)[0]
    assert declared.endswith(
        f":iphone: No Slack user has this address, paged outside Slack only: {ALICE}."
        " :warning: Not paged, no Slack user has this address: ghost@example.com, "
        f"dave@example.com, {LONG}."
    )
    assert [r.json["topic"] for r in bot.ntfy.requests] == ["alice-pager-7f3a"]
    assert rows(bot, "SELECT COUNT(*) FROM outbox WHERE kind IN ('dm', 'page_sms')") == [(0,)]
    [(stored,)] = rows(bot, "SELECT data FROM events WHERE kind = 'declared'")
    assert json.loads(stored)["notified"] == [ALICE]  # whom a page reached: a responder


async def test_whom_a_page_reached_outside_slack_is_a_responder(tmp_path, double):
    """Acknowledging restricted to responders, and Alice pulled in by SEV1's `page:`, not
    on call nor in the team: paged outside Slack only, she is a responder all the same."""
    config = (
        OUTSIDE.replace(f"members: [{ALICE}, U0BBB]", "members: [U0AAA, U0BBB]").replace(
            f'page: ["@ghost@example.com", "@dave@example.com", "@{LONG}"]', f'page: ["@{ALICE}"]'
        )
        + "access: {acknowledge: responders}\n"
    )
    async with started(tmp_path, double, config) as bot:
        await refresh_people(bot.app)
        await bot.command("declare sev1 Payments down")
        await bot.advance(timedelta(minutes=2))
        await bot.deliver()
        [mail] = bot.mail.received
        link = next(w for w in mail.part("plain").split() if "/p/" in w)
        async with bot.http.post(bot.base + link_path(link), data={"action": "ack"}) as acted:
            assert acted.status == 200
        assert rows(bot, "SELECT status, acknowledged_by FROM incidents") == [
            ("acknowledged", ALICE)
        ]


async def test_the_start_up_lookup_says_by_what_each_unknown_address_is_paged(tmp_path, double):
    async with started(tmp_path, double, OUTSIDE) as bot:
        with capture_logs() as logged:
            await refresh_people(bot.app)
    warned = {e["email"]: e["paged_by"] for e in logged if e["event"] == "person_not_in_slack"}
    assert warned == {
        ALICE: ["ntfy", "email"],  # her rules' order; `slack` cannot reach her
        "ghost@example.com": "nothing",
        "dave@example.com": "nothing",
        LONG: "nothing",
    }


async def test_their_handover_goes_to_their_entrys_email_address(bot):
    """U0BBB's week starts by DM on Monday 9 March; Alice's next, on the 16th, reaches her
    by e-mail in her lane, listing the open incident as the channel's handover does."""
    await bot.command("declare sev4 Disk <filling>")  # open through both handovers
    await bot.deliver()
    await bot.advance(timedelta(days=14))
    await bot.deliver()
    assert dms(bot.double, "You are on call") == ["U0BBB"]
    [handover] = [m for m in bot.mail.received if m.message["Subject"].startswith("On call")]
    assert handover.rcpt_tos == ["alice@home.example.com"]
    assert handover.message["Subject"] == "On call for primary until Mon 23 Mar 09:00"
    assert handover.part("plain").replace("\r\n", "\n") == (
        "You are on call for primary from now until Mon 23 Mar 09:00 (Europe/Berlin).\n\n"
        "Open incidents:\n- INC-1 [SEV4] Disk <filling> · declared · open 13d 23h\n\n"
        "-- \nFirebell tells you when each of your on-call shifts starts.\n"
    )
    lanes = rows(bot, "SELECT channel, status FROM outbox WHERE kind = 'handover_email'")
    assert [(lane[:7], status) for lane, status in lanes] == [("email:~", "sent")]


async def test_without_an_email_in_their_entry_their_handover_goes_nowhere(tmp_path, double):
    """Dave's entry gives a phone, no e-mail: a handover is no page, so nothing reaches him."""
    phoned = OUTSIDE.replace(f"members: [{ALICE}, U0BBB]", "members: [dave@example.com, U0BBB]")
    async with started(tmp_path, double, phoned) as running:
        await refresh_people(running.app)
        await running.advance(timedelta(days=14))  # U0BBB's week, then Dave's
        await running.deliver()
        assert dms(running.double, "You are on call") == ["U0BBB"]
        assert rows(running, "SELECT COUNT(*) FROM outbox WHERE kind = 'handover_email'") == [(0,)]
        assert running.mail.received == []
