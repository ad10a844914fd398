"""A page runs the paged person's rules, over the real app with the injected clock: each step's
outbox rows at its time, every later step cancelled once the incident is taken, steps that
survive a restart fire once.

U0AAA (rotation primary, level 1) has rules: Slack at once, e-mail after 2 minutes, ntfy after
5; U0BBB, not on call, is in `people:` too; everyone else pages by the default rules (Slack).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.config import parse_config
from bot.config_source import ConfigError
from bot.services import config_report
from bot.slack.ids import Action
from tests.support.db import rows
from tests.support.harness import CONFIG, Bot

PEOPLE = """
people:
  - user: U0AAA
    email: alice@example.com
    ntfy: alice-pager-7f3a
    rules:
      - {after: 0m, via: [slack]}
      - {after: 2m, via: [email]}
      - {after: 5m, via: [ntfy]}
  - user: U0BBB
    email: bob@example.com
"""


@pytest.fixture
async def bot(tmp_path, double):
    running = await Bot(tmp_path, double, config=CONFIG + PEOPLE).start()
    yield running
    await running.close()


def pages(bot) -> list[tuple]:
    return rows(
        bot,
        "SELECT kind, channel FROM outbox WHERE kind IN ('dm', 'page_email', 'page_ntfy') "
        "AND channel IN ('U0AAA', 'email:U0AAA', 'ntfy:U0AAA') ORDER BY id",
    )


def steps(bot) -> list[tuple]:
    return rows(bot, "SELECT status FROM timers WHERE kind = 'page_step' ORDER BY due_at")


async def test_each_step_goes_out_at_its_time(bot):
    await bot.command("declare sev2 Checkout failing")
    assert pages(bot) == [("dm", "U0AAA")]
    assert steps(bot) == [("pending",), ("pending",)]
    await bot.advance(timedelta(minutes=2))
    assert pages(bot)[-1] == ("page_email", "email:U0AAA")
    await bot.advance(timedelta(minutes=3))
    assert pages(bot)[-1] == ("page_ntfy", "ntfy:U0AAA")
    payload = json.loads(rows(bot, "SELECT payload FROM outbox WHERE kind = 'page_email'")[0][0])
    assert payload["to"] == "alice@example.com" and payload["first"] is True


async def test_acknowledging_stops_every_step_still_to_come(bot):
    await bot.command("declare sev2 Checkout failing")
    await bot.advance(timedelta(minutes=2))
    await bot.click(Action.ACK, "1", user="U0AAA")
    assert steps(bot) == [("fired",), ("cancelled",)]
    await bot.advance(timedelta(minutes=10))
    assert [kind for kind, _ in pages(bot)] == ["dm", "page_email"]


async def test_resolving_stops_them_too(bot):
    await bot.command("declare sev2 Checkout failing")
    await bot.command("resolve INC-1 false alarm")
    await bot.advance(timedelta(minutes=10))
    assert pages(bot) == [("dm", "U0AAA")]


async def test_steps_pending_at_a_restart_fire_once_on_time(bot):
    await bot.command("declare sev2 Checkout failing")
    await bot.stop()
    bot.clock.advance(timedelta(minutes=3))
    await bot.start()
    await bot.tick()
    await bot.tick()
    assert [kind for kind, _ in pages(bot)] == ["dm", "page_email"]
    await bot.advance(timedelta(minutes=2))
    assert [kind for kind, _ in pages(bot)] == ["dm", "page_email", "page_ntfy"]


async def test_a_second_page_of_one_incident_threads_its_email(bot):
    await bot.command("declare sev2 Checkout failing")
    await bot.advance(timedelta(minutes=2))
    await bot.command("resolve INC-1")
    await bot.command("reopen INC-1 back", user="U0ALICE")  # level 1 paged again
    await bot.advance(timedelta(minutes=2))
    sent = rows(bot, "SELECT payload FROM outbox WHERE kind = 'page_email' ORDER BY id")
    assert [json.loads(payload)["first"] for (payload,) in sent] == [True, False]


def test_rules_name_media_the_person_has():
    bad = PEOPLE.replace("    ntfy: alice-pager-7f3a\n", "")
    text = CONFIG + bad
    line = text.splitlines().index("      - {after: 5m, via: [ntfy]}") + 1
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "cfg.yml")
    assert caught.value.problems == [
        f"cfg.yml:{line}: people[0].rules[2].via: ntfy needs `ntfy:` for this person"
    ]


def test_check_names_who_on_call_can_be_paged_only_in_slack():
    assert config_report.findings(parse_config(CONFIG)) == []  # nobody paged outside Slack yet
    found = config_report.findings(parse_config(CONFIG + PEOPLE))
    assert found == []  # both primary members have an address
    config = parse_config(
        CONFIG + PEOPLE.replace("  - user: U0BBB\n    email: bob@example.com\n", "")
    )
    assert config_report.findings(config) == [
        "rotation primary: U0BBB can be paged only in Slack (no email, ntfy, phone or apprise under `people:`)"
    ]
