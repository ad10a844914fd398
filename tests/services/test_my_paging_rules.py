"""What a person stores in My paging beats the config for that person alone, field by field:
their rules, their ntfy topic; everything not stored is the config's `people:` entry, and a
person without one can set up paging all the same. Pages read it in their own transaction.

U0AAA (rotation primary, level 1) has `people:` ntfy and rules (Slack at once, ntfy after 2
minutes); U0BBB has an entry too; U0PRODUCT, paged for every SEV1, has none.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.slack.ids import View
from tests.support.db import rows
from tests.support.harness import CONFIG
from tests.support.my_paging import started, submit

PEOPLE = """
people:
  - user: U0AAA
    ntfy: alice-pager-7f3a
    rules:
      - {after: 0m, via: [slack]}
      - {after: 2m, via: [ntfy]}
  - user: U0BBB
    ntfy: bob-pager-1c2d
    rules:
      - {after: 0m, via: [slack, ntfy]}
"""


@pytest.fixture
async def bot(tmp_path, double):
    async with started(tmp_path, double, CONFIG + PEOPLE) as running:
        yield running


def pushes(bot) -> list[str]:
    return [r.json["topic"] for r in bot.ntfy.requests]


def page_rows(bot) -> list[tuple]:
    return rows(
        bot,
        "SELECT kind, channel FROM outbox WHERE kind IN ('dm', 'page_ntfy', 'page_email') "
        "ORDER BY id",
    )


async def test_without_anything_stored_the_config_pages(bot):
    await bot.command("declare sev2 Checkout failing")
    await bot.advance(timedelta(minutes=2))
    await bot.deliver()
    assert pushes(bot) == ["alice-pager-7f3a"]


async def test_stored_rules_and_topic_replace_the_configs_for_that_person_only(bot):
    await submit(bot, View.PAGING_RULES, rules="0m: slack, ntfy")
    await submit(bot, View.PAGING_CONTACTS, ntfy="alice-phone-99")
    await submit(bot, View.PAGING_RULES, user="U0BBB", rules="0m: slack, ntfy")  # as they were
    assert rows(bot, 'SELECT "user" FROM paging_settings') == [("U0AAA",)]
    await bot.command("declare sev2 Checkout failing")
    await bot.deliver()
    assert pushes(bot) == ["alice-phone-99"]  # at once, to the stored topic
    await bot.advance(timedelta(minutes=5))
    await bot.deliver()
    assert pushes(bot) == ["alice-phone-99"]  # no 2-minute step any more

    await bot.command("override primary <@U0BBB> 2h", user="U0AAA")
    await bot.command("declare sev2 Search slow")
    await bot.deliver()
    assert pushes(bot) == ["alice-phone-99", "bob-pager-1c2d"]  # U0BBB: the config's


async def test_emptying_the_forms_brings_the_config_back(bot):
    await submit(bot, View.PAGING_RULES, rules="0m: slack, ntfy")
    await submit(bot, View.PAGING_CONTACTS, ntfy="alice-phone-99")
    await submit(bot, View.PAGING_RULES, rules="")
    await submit(bot, View.PAGING_CONTACTS, ntfy="")
    assert rows(bot, "SELECT ntfy, rules FROM paging_settings") == [(None, None)]
    await bot.command("declare sev2 Checkout failing")
    await bot.deliver()
    assert pushes(bot) == []
    await bot.advance(timedelta(minutes=2))
    await bot.deliver()
    assert pushes(bot) == ["alice-pager-7f3a"]


async def test_someone_without_a_people_entry_sets_up_paging_in_my_paging(bot):
    await submit(bot, View.PAGING_CONTACTS, user="U0PRODUCT", ntfy="product-pager")
    await submit(bot, View.PAGING_RULES, user="U0PRODUCT", rules="0m: ntfy\n10m: slack")
    await bot.command("declare sev1 Payments down")
    await bot.deliver()
    assert "product-pager" in pushes(bot)
    assert ("dm", "U0PRODUCT") not in page_rows(bot)  # Slack comes 10 minutes later
    await bot.advance(timedelta(minutes=10))
    assert ("dm", "U0PRODUCT") in page_rows(bot)


async def test_a_step_already_armed_reads_the_settings_when_it_fires(bot):
    await bot.command("declare sev2 Checkout failing")  # the 2-minute ntfy step is armed
    await submit(bot, View.PAGING_CONTACTS, ntfy="alice-phone-99")
    await bot.advance(timedelta(minutes=2))
    await bot.deliver()
    assert pushes(bot) == ["alice-phone-99"]
