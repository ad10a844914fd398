"""Stakeholder broadcasts in `broadcast_channel`: plain language, no mentions, no internal links
but the thread's permalink, tenants and ETA shown; the periodic digest of open incidents.

The harness clock starts Monday 2026-03-02 09:00 UTC (10:00 in Berlin)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import parse_config
from bot.config_source import ConfigError
from bot.slack.blocks import modals
from bot.slack.ids import Action, View
from tests.support.db import count, rows
from tests.support.harness import CHANNEL, CONFIG, Bot, modal_values
from tests.support.slack_views import card_of

STATUS = "C0STATUS"
BROADCASTING = CONFIG.replace(
    "incident_channel: C0INCIDENTS\n",
    f"incident_channel: C0INCIDENTS\nbroadcast_channel: {STATUS}\n",
)
MARKUP = re.compile(r"<([^<>]*)>")


@pytest.fixture
async def bot(tmp_path, double):
    running = await Bot(tmp_path, double, config=BROADCASTING).start()
    yield running
    await running.close()


def db(bot):
    return bot  # its database, SQLite or PostgreSQL


def broadcasts(double) -> list[str]:
    """What stakeholders read: the text of every post in the broadcast channel."""
    return ["\n".join(b["text"]["text"] for b in m["blocks"]) for m in double.messages(STATUS)]


def permalink(double, number: int = 1) -> str:
    """The thread of INC-<number>, as chat.getPermalink answers for its card."""
    card = card_of(double, number)
    return f"https://firebell-test.slack.com/archives/{CHANNEL}/p{card['ts'].replace('.', '')}"


def assert_fit_for_stakeholders(text: str, thread: str) -> None:
    """No user, group or channel-wide mention; the only link is the thread's permalink; the
    only other markup is a date Slack shows in the reader's time zone."""
    for token in MARKUP.findall(text):
        if token.startswith("!date^"):
            continue
        assert token == f"{thread}|Follow the incident thread", token
    assert "docs.example.com" not in text  # the runbook is for responders
    for internal in ("U0ALICE", "U0BOB", "U0AAA", "U0PRODUCT", "S0PLATFORM", "@U0"):
        assert internal not in text


def share(values: dict) -> dict:
    values["share"] = {"value": {"type": "checkboxes", "selected_options": [{"value": "share"}]}}
    return values


async def test_a_sev1_is_announced_in_plain_words_with_tenants_eta_and_the_thread(bot, double):
    await bot.command(
        "declare sev1 Checkout fails for <@U0BOB|bob> <!channel> service:api tenant:acme,globex"
    )
    await bot.deliver()
    [announced] = broadcasts(double)
    assert_fit_for_stakeholders(announced, permalink(double))
    assert announced.startswith(":rotating_light: *We are investigating an incident: Checkout")
    assert "Checkout fails for @bob*" in announced  # mentions reduced to names, or nothing
    assert "*Impact:* Complete outage (SEV1)" in announced
    assert "*Affected customers:* acme, globex" in announced
    assert "*Expected fix (ETA):* not known yet" in announced
    assert "*Status:* Investigating" in announced
    assert f"<{permalink(double)}|Follow the incident thread>" in announced
    [post] = [c for c in double.calls_to("chat.postMessage") if c.params["channel"] == STATUS]
    assert post.params["unfurl_links"] is False

    bot.clock.advance(timedelta(minutes=5))
    await bot.command("ack INC-1", user="U0BOB")
    values = share(
        modal_values(
            text="Rolled back <@U0AAA|ann>'s deploy, see <https://grafana.internal/d/1|dash> <!here>",
            eta="45m",
        )
    )
    status, _ = await bot.submit(View.UPDATE, values, user="U0BOB", private_metadata="1")
    assert status == 200
    await bot.deliver()
    update = broadcasts(double)[-1]
    assert_fit_for_stakeholders(update, permalink(double))
    assert update.startswith(":memo: *Update on the incident: Checkout fails for @bob")
    assert "Rolled back @ann's deploy, see dash " in update
    assert "grafana.internal" not in update
    eta = datetime(2026, 3, 2, 9, 50, tzinfo=UTC)
    assert f"*Expected fix (ETA):* <!date^{int(eta.timestamp())}^" in update
    assert "*Status:* Being worked on" in update
    thread = [m["text"] for m in double.messages(CHANNEL) if m.get("thread_ts")]
    assert any("_(shared with stakeholders)_" in t for t in thread)

    bot.clock.advance(timedelta(minutes=40))
    await bot.command("resolve INC-1 A bad deploy, rolled back", user="U0BOB")
    await bot.deliver()
    resolved = broadcasts(double)[-1]
    assert_fit_for_stakeholders(resolved, permalink(double))
    assert resolved.startswith(":white_check_mark: *Resolved: Checkout fails for @bob")
    assert "A bad deploy, rolled back" in resolved
    assert "*Status:* Resolved after 45m" in resolved
    assert "*Affected customers:* acme, globex" in resolved
    assert "ETA" not in resolved
    assert len(broadcasts(double)) == 3


async def test_an_update_not_marked_for_sharing_stays_in_the_thread(bot, double):
    await bot.command("declare sev1 Quiet updates")
    await bot.command("update INC-1 internal detail about <@U0BOB>")
    status, _ = await bot.submit(
        View.UPDATE, modal_values(text="more internal detail"), private_metadata="1"
    )
    assert status == 200
    await bot.deliver()
    assert len(broadcasts(double)) == 1  # the declaration only


async def test_the_update_form_offers_sharing_only_with_a_broadcast_channel(bot, double, tmp_path):
    await bot.command("declare sev2 Form")
    await bot.click(Action.UPDATE, "1")
    [opened] = await double.wait_for("views.open")
    assert "share" in [b.get("block_id") for b in opened.params["view"]["blocks"]]
    incident = await bot.app.services.incidents.get(1)
    plain = modals.update_modal(incident)
    assert "share" not in [b.get("block_id") for b in plain["blocks"]]


async def test_minor_incidents_are_announced_only_once_they_matter(bot, double):
    await bot.command("declare sev3 Slow exports tenant:acme")
    await bot.command("resolve INC-1")
    await bot.deliver()
    assert broadcasts(double) == []  # never announced: its resolution is not news either

    await bot.command("declare sev3 Search degraded")
    await bot.command("sev INC-2 sev1")
    await bot.deliver()
    [raised] = broadcasts(double)
    assert raised.startswith(":warning: *The incident “Search degraded” is now more severe: SEV1*")
    await bot.command("sev INC-2 sev3")
    await bot.command("resolve INC-2")
    await bot.deliver()
    lowered, resolved = broadcasts(double)[1:]
    assert lowered.startswith(":warning: *The incident “Search degraded” is now less severe: SEV3")
    assert resolved.startswith(":white_check_mark: *Resolved: Search degraded*")

    await bot.command("declare sev4 Typo")
    await bot.submit(View.UPDATE, share(modal_values(text="Fixing it")), private_metadata="3")
    await bot.command("reopen INC-2 back again")
    await bot.command("resolve INC-3")
    await bot.deliver()
    shared, reopened, typo_resolved = broadcasts(double)[3:]
    assert shared.startswith(":memo: *Update on the incident: Typo*")
    assert reopened.startswith(":leftwards_arrow_with_hook: *The incident “Search degraded” is")
    assert typo_resolved.startswith(":white_check_mark: *Resolved: Typo*")  # shared before


async def test_which_severities_are_announced_is_configurable(tmp_path, double):
    config = BROADCASTING + "broadcast:\n  declare: [sev3]\n  digest_every: off\n"
    bot = await Bot(tmp_path, double, config=config).start()
    try:
        await bot.command("declare sev1 Not announced here")
        await bot.command("declare sev3 Announced here")
        await bot.deliver()
        assert [b.split("\n")[0] for b in broadcasts(double)] == [
            ":rotating_light: *We are investigating an incident: Announced here*"
        ]
        assert count(db(bot), "timers", "kind = 'digest'") == 0
    finally:
        await bot.close()


async def test_without_a_broadcast_channel_nothing_is_broadcast(tmp_path, double):
    bot = await Bot(tmp_path, double).start()
    try:
        await bot.command("declare sev1 Everything down")
        await bot.command("resolve INC-1")
        await bot.advance(timedelta(days=8))
        await bot.deliver()
        channels = {c.params["channel"] for c in double.calls_to("chat.postMessage")}
        assert STATUS not in channels
        assert count(db(bot), "outbox", "kind IN ('broadcast', 'digest', 'report')") == 0
    finally:
        await bot.close()


async def test_a_digest_of_all_open_incidents_every_2h_while_a_sev1_or_sev2_is_open(bot, double):
    await bot.command("declare sev4 Minor thing tenant:initech")
    await bot.advance(timedelta(hours=1))
    assert count(db(bot), "timers", "kind = 'digest'") == 0  # a SEV4 starts no digest
    await bot.command("declare sev2 Payments delayed tenant:acme")  # 10:00 UTC
    await bot.command("declare sev1 Checkout down")  # the same slot: armed once
    assert rows(db(bot), "SELECT due_at FROM timers WHERE kind = 'digest'") == [
        ("2026-03-02 12:00:00.000000",)
    ]
    await bot.advance(timedelta(hours=1, minutes=59))
    await bot.deliver()
    assert not any(b.startswith(":clipboard:") for b in broadcasts(double))
    await bot.advance(timedelta(minutes=1))
    await bot.deliver()
    [digest] = [b for b in broadcasts(double) if b.startswith(":clipboard:")]
    assert digest.startswith(":clipboard: *3 open incidents* as of <!date^")
    for title in ("Minor thing", "Payments delayed", "Checkout down"):
        assert title in digest
    assert "initech" in digest and "acme" in digest
    assert permalink(double, 2) in digest and permalink(double, 3) in digest
    for token in MARKUP.findall(digest):
        assert token.startswith(("!date^", "https://firebell-test.slack.com/archives/")), token

    await bot.command("resolve INC-3")
    await bot.advance(timedelta(hours=2))  # 14:00: INC-2 (SEV2) still open
    await bot.deliver()
    digests = [b for b in broadcasts(double) if b.startswith(":clipboard:")]
    assert len(digests) == 2 and digests[-1].startswith(":clipboard: *2 open incidents*")
    await bot.command("resolve INC-2")
    await bot.advance(timedelta(hours=6))  # only the SEV4 is left: the chain ends
    await bot.deliver()
    assert len([b for b in broadcasts(double) if b.startswith(":clipboard:")]) == 2
    assert count(db(bot), "timers", "kind = 'digest' AND status = 'pending'") == 0


async def test_after_downtime_one_digest_goes_out_not_one_per_missed_slot(tmp_path, double):
    bot = await Bot(tmp_path, double, config=BROADCASTING).start()
    try:
        await bot.command("declare sev1 Long outage")  # 09:00: arms the 12:00 slot
        await bot.advance(timedelta(minutes=150))
        await bot.command("declare sev2 Second")  # 11:30: arms the 14:00 slot
        assert count(db(bot), "timers", "kind = 'digest' AND status = 'pending'") == 2
        await bot.stop()
        bot.clock.advance(timedelta(hours=4))  # down until 15:30: both slots missed
        await bot.start()
        await bot.tick()
        await bot.tick()
        await bot.deliver()
        assert len([b for b in broadcasts(double) if b.startswith(":clipboard:")]) == 1
        assert rows(
            db(bot), "SELECT due_at FROM timers WHERE kind = 'digest' AND status = 'pending'"
        ) == [("2026-03-02 16:00:00.000000",)]
    finally:
        await bot.close()


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (
            "broadcast: {declare: [sev9]}",
            "broadcast.declare[0]: 'sev9' is not one of the `severities`",
        ),
        (
            "broadcast: {weekly_report: monday}",
            "broadcast.weekly_report: 'monday' is not a weekday and time like `mon 09:00`, or `off`",
        ),
        (
            "broadcast: {digest_every: 2 hours}",
            "broadcast.digest_every: '2 hours' is not a duration like 15m, 4h or 1d",
        ),
        ("broadcast: {digest: 2h}", "broadcast.digest: is not a known key (check the spelling)"),
        (
            "timeline_emoji: 'push pin'",
            "timeline_emoji: 'push pin' does not have the expected form",
        ),
    ],
)
def test_broadcast_settings_mistakes_are_named(extra, problem):
    with pytest.raises(ConfigError) as caught:
        parse_config(BROADCASTING + extra + "\n", "firebell.yml")
    [line] = caught.value.problems
    assert line.endswith(problem), line
    assert line.startswith("firebell.yml:")


def test_broadcast_settings_defaults_and_off():
    config = parse_config(BROADCASTING)
    assert config.announced == ("SEV1", "SEV2")
    assert config.broadcast.digest_every == timedelta(hours=2)
    assert config.broadcast.weekly_at() == (0, 9, 0)
    assert config.reaction == "pushpin"
    off = parse_config(
        BROADCASTING
        + "broadcast: {declare: [sev3, SEV1], digest_every: off, weekly_report: off}\n"
        + "timeline_emoji: ':eyes:'\n"
    )
    assert off.announced == ("SEV3", "SEV1")
    assert off.broadcast.digest_every is None and off.broadcast.weekly_at() is None
    assert off.reaction == "eyes"
