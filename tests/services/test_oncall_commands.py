"""`/incident oncall`, `override` and `handover` end to end: signed requests, real SQLite.

The harness clock starts Monday 2026-03-02 09:00 UTC (10:00 in Berlin). Rotation `primary`
hands off weekly on Mondays 09:00 Berlin time: U0AAA until 9 March, then U0BBB, and so on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.db import count, rows
from tests.support.harness import CONFIG, COVERED, SATURDAY, Bot
from tests.support.slack_views import paged

WITH_ADMIN_AND_EMAIL = CONFIG.replace(
    "    members: [U0AAA, U0BBB]\n", "    members: [U0AAA, U0BBB, carol@example.com]\n"
).replace("repeat: 0\n", 'repeat: 0\nadmins: ["boss@example.com", "@U0ROOT"]\n')
BOB = "<@U0BOB|bob>"


async def ask(bot, text: str, user: str = "U0ALICE") -> dict:
    """Run `/incident <text>`; the answer must be private. Returns it without response_type."""
    answer = await bot.command(text, user=user)
    assert answer.pop("response_type") == "ephemeral", answer
    return answer


def db(bot):
    return bot


def text_of(answer: dict) -> str:
    """Everything the person sees: the text and every section, field and context."""
    parts = [answer.get("text", "")]
    for block in answer.get("blocks", []):
        if "text" in block:
            parts.append(block["text"]["text"])
        parts += [f["text"] for f in block.get("fields", [])]
        parts += [e.get("text", "") for e in block.get("elements", [])]
    return "\n".join(parts)


def stored(bot) -> list[tuple]:
    return rows(
        db(bot),
        "SELECT id, user_id, starts_at, ends_at, created_by, removed_by FROM overrides ORDER BY id",
    )


def add_person(bot, email: str, user_id: str) -> None:
    """What the people lookup (users.lookupByEmail) records, written as it would be."""
    rows(
        db(bot),
        "INSERT INTO people (email, user_id, looked_up_at) VALUES (?, ?, ?)",
        email,
        user_id,
        "2026-03-01 00:00:00.000000",
    )


# -- oncall -----------------------------------------------------------------------------------


async def test_oncall_says_who_now_until_when_and_who_is_next(bot):
    answer = await ask(bot, "oncall")
    shown = text_of(answer)
    assert answer["text"] == "On call now: primary <@U0AAA>"
    assert "*primary*: <@U0AAA> is on call until <!date^" in shown
    until = int(datetime(2026, 3, 9, 8, 0, tzinfo=UTC).timestamp())  # Mon 09:00 Berlin
    assert f"until <!date^{until}^{{date_short_pretty}} {{time}}|Mon 09 Mar 09:00 CET>" in shown
    assert "Next: <@U0BBB> from <!date^" in shown
    assert "override" not in shown and "coverage" not in shown.lower()  # 24/7, no override
    assert await ask(bot, "oncall primary") == answer
    assert await ask(bot, "who PRIMARY") == answer


async def test_oncall_for_an_unknown_rotation_lists_the_rotations(bot):
    answer = await ask(bot, "oncall secondary")
    assert answer == {"text": "There is no rotation *secondary*. Rotations: `primary`."}
    assert "blocks" not in answer


async def test_oncall_outside_coverage_says_until_when_nobody_answers(tmp_path, double):
    bot = Bot(tmp_path, double, config=COVERED)
    bot.clock.set(SATURDAY)
    await bot.start()
    try:
        shown = text_of(await ask(bot, "oncall"))
        assert "<@U0AAA> is on call until" in shown
        assert (
            ":zzz: Outside coverage: no guaranteed response until "
            "Mon 09 Mar 09:00 (Europe/Berlin)." in shown
        )
        bot.clock.set(datetime(2026, 3, 9, 9, 0, tzinfo=UTC))  # Monday 10:00, U0BBB's week
        shown = text_of(await ask(bot, "oncall"))
        assert "<@U0BBB> is on call until" in shown
        assert "Outside coverage" not in shown
        assert (
            ":clock5: Coverage ends Mon 09 Mar 17:00 (Europe/Berlin); no guaranteed response "
            "from then until Tue 10 Mar 09:00." in shown
        )
    finally:
        await bot.close()


# -- overrides --------------------------------------------------------------------------------


async def test_a_members_override_changes_who_is_paged_until_it_ends(bot, double):
    answer = await ask(bot, f"override primary {BOB} 4h", user="U0BBB")
    assert answer["text"] == (
        ":twisted_rightwards_arrows: Override *#1*: <@U0BOB> is on call for *primary* from "
        "Mon 02 Mar 10:00 to Mon 02 Mar 14:00 (Europe/Berlin), instead of <@U0AAA>.\n"
        "Undo with `/incident override remove 1`."
    )
    assert stored(bot) == [
        (1, "U0BOB", "2026-03-02 09:00:00.000000", "2026-03-02 13:00:00.000000", "U0BBB", None)
    ]
    shown = text_of(await ask(bot, "oncall"))
    assert "*primary*: <@U0BOB> _(override #1)_ is on call until" in shown
    assert "|Mon 02 Mar 14:00 CET>" in shown
    assert "Next: <@U0AAA> from" in shown

    await ask(bot, "declare sev2 Checkout slow")
    await bot.deliver()
    assert paged(double) == ["U0BOB"]
    await ask(bot, "resolve INC-1", user="U0BOB")

    await bot.advance(timedelta(hours=4))
    await ask(bot, "declare sev2 Checkout slow again")
    await bot.deliver()
    assert paged(double) == ["U0BOB", "U0AAA"]  # the override ended: the schedule is back
    assert "<@U0AAA> is on call until" in text_of(await ask(bot, "oncall"))
    # a change to overrides is answered privately: nothing is posted for it
    assert not [c for c in double.calls_to("chat.postMessage") if "Override" in c.params["text"]]


async def test_override_from_to_in_local_time_across_the_spring_clock_change(bot):
    # Berlin goes from 02:00 CET to 03:00 CEST on Sunday 29 March 2026: 12 wall-clock hours
    # from Saturday 22:00 to Sunday 10:00 are 11 real hours
    answer = await ask(
        bot, f"override primary {BOB} from 2026-03-28 22:00 to 2026-03-29T10:00", user="U0AAA"
    )
    assert "from Sat 28 Mar 22:00 to Sun 29 Mar 10:00 (Europe/Berlin)" in answer["text"]
    assert "instead of <@U0BBB>" in answer["text"]  # 23-30 March is U0BBB's week
    [(_, _, starts, ends, _, _)] = stored(bot)
    assert (starts, ends) == ("2026-03-28 21:00:00.000000", "2026-03-29 08:00:00.000000")

    # a start inside the skipped hour begins when the clocks have jumped (03:00 CEST)
    answer = await ask(
        bot, "override primary <@U0CAROL> from 2026-03-29 02:30 to 2026-03-29 04:00", user="U0AAA"
    )
    assert "from Sun 29 Mar 03:00 to Sun 29 Mar 04:00 (Europe/Berlin)" in answer["text"]
    assert stored(bot)[1][2:4] == ("2026-03-29 01:00:00.000000", "2026-03-29 02:00:00.000000")
    assert ":warning: It overlaps *#1* *primary*: <@U0BOB>" in answer["text"]

    # the repeated hour in October: 02:30 is its first occurrence (CEST)
    await ask(
        bot, "override primary <@U0DAVE> from 2026-10-25 01:30 to 2026-10-25 02:30", user="U0AAA"
    )
    assert stored(bot)[2][2:4] == ("2026-10-24 23:30:00.000000", "2026-10-25 00:30:00.000000")

    bot.clock.set(datetime(2026, 3, 29, 1, 30, tzinfo=UTC))  # 03:30 CEST: the newer one wins
    shown = text_of(await ask(bot, "oncall"))
    assert "<@U0CAROL> _(override #2)_ is on call until" in shown
    assert "|Sun 29 Mar 04:00 CEST>" in shown
    assert "Next: <@U0BOB> _(override #1)_ from" in shown
    bot.clock.set(datetime(2026, 3, 29, 8, 0, tzinfo=UTC))  # 10:00 CEST: the schedule again
    assert "*primary*: <@U0BBB> is on call until" in text_of(await ask(bot, "oncall"))


async def test_an_override_over_a_handoff_holds_then_the_new_week_takes_over(bot, double):
    answer = await ask(
        bot, f"override primary {BOB} from 2026-03-08 20:00 to 2026-03-09 12:00", user="U0AAA"
    )
    assert "instead of <@U0AAA>, then <@U0BBB>." in answer["text"]
    assert "It spans the scheduled handoff at Mon 09 Mar 09:00 (Europe/Berlin)." in answer["text"]

    bot.clock.set(datetime(2026, 3, 9, 9, 0, tzinfo=UTC))  # 10:00 Berlin, after the handoff
    shown = text_of(await ask(bot, "oncall"))
    assert "<@U0BOB> _(override #1)_ is on call until" in shown
    assert "|Mon 09 Mar 12:00 CET>" in shown
    assert "Next: <@U0BBB> from" in shown
    await ask(bot, "declare sev2 During the override")
    await bot.deliver()
    assert paged(double) == ["U0BOB"]

    bot.clock.set(datetime(2026, 3, 9, 11, 0, tzinfo=UTC))  # 12:00 Berlin: the new week's person
    shown = text_of(await ask(bot, "oncall"))
    assert "*primary*: <@U0BBB> is on call until" in shown
    assert "|Mon 16 Mar 09:00 CET>" in shown


async def test_overlapping_overrides_are_allowed_and_the_newest_wins(bot):
    await ask(bot, f"override primary {BOB} 8h", user="U0AAA")
    answer = await ask(bot, "override primary <@U0CAROL> 2h", user="U0BBB")
    assert (
        ":warning: It overlaps *#1* *primary*: <@U0BOB> from Mon 02 Mar 10:00 to Mon 02 Mar "
        "18:00 (Europe/Berlin) · set by <@U0AAA>. The newest override wins, so this one "
        "applies where they overlap." in answer["text"]
    )
    assert "instead of <@U0BOB>" in answer["text"]
    shown = text_of(await ask(bot, "oncall"))
    assert "<@U0CAROL> _(override #2)_ is on call until" in shown
    assert "Next: <@U0BOB> _(override #1)_ from" in shown


async def test_removing_an_override_restores_the_schedule(bot, double):
    await ask(bot, f"override primary {BOB} 1d", user="U0AAA")
    assert "<@U0BOB> _(override #1)_" in text_of(await ask(bot, "oncall"))

    answer = await ask(bot, "override remove 1", user="U0BBB")
    assert answer["text"] == (
        "Removed override *#1* (<@U0BOB> on *primary*, Mon 02 Mar 10:00 to Tue 03 Mar 10:00 "
        "(Europe/Berlin)). <@U0AAA> is on call for *primary* now."
    )
    assert "*primary*: <@U0AAA> is on call until" in text_of(await ask(bot, "oncall"))
    [(_, _, _, _, created_by, removed_by)] = stored(bot)  # soft delete: the row stays
    assert (created_by, removed_by) == ("U0AAA", "U0BBB")
    assert rows(db(bot), "SELECT removed_at FROM overrides") == [("2026-03-02 09:00:00.000000",)]

    await ask(bot, "declare sev2 After removal")
    await bot.deliver()
    assert paged(double) == ["U0AAA"]

    again = await ask(bot, "override remove 1", user="U0AAA")
    assert again["text"] == (
        "Override #1 was already removed by <@U0BBB> on Mon 02 Mar 10:00 (Europe/Berlin). "
        "Nothing was changed."
    )
    assert (await ask(bot, "override remove 99", user="U0AAA"))["text"] == (
        "There is no override #99. See `/incident override list`."
    )


async def test_an_ended_override_cannot_be_removed(bot):
    await ask(bot, f"override primary {BOB} 1h", user="U0AAA")
    bot.clock.set(bot.clock.now() + timedelta(hours=2))
    answer = await ask(bot, "override remove 1", user="U0AAA")
    assert answer["text"] == (
        "Override #1 ended on Mon 02 Mar 11:00 (Europe/Berlin); past overrides stay on record. "
        "Nothing was changed."
    )
    assert stored(bot)[0][5] is None


async def test_non_members_may_not_set_or_remove_overrides(bot):
    refusal = (
        "Only primary's members, members of the teams it pages or admins may change the "
        "overrides of rotation primary. Nothing was changed."
    )
    answer = await ask(bot, "override primary <@U0MALLORY> 1w", user="U0MALLORY")
    assert answer == {"text": refusal}
    assert count(db(bot), "overrides") == 0

    await ask(bot, f"override primary {BOB} 4h", user="U0AAA")
    assert (await ask(bot, "override remove 1", user="U0MALLORY")) == {"text": refusal}
    assert rows(db(bot), "SELECT removed_at FROM overrides") == [(None,)]
    assert "<@U0BOB> _(override #1)_" in text_of(await ask(bot, "oncall"))


async def test_admins_and_email_members_are_recognised_through_slack_ids(tmp_path, double):
    bot = await Bot(tmp_path, double, config=WITH_ADMIN_AND_EMAIL).start()
    try:
        assert count(db(bot), "overrides") == 0
        # before Slack resolved their e-mails, neither the admin nor the member is known
        answer = await ask(bot, f"override primary {BOB} 4h", user="U0BOSS")
        assert answer["text"].startswith("Only primary's members, members of the teams it pages")
        assert count(db(bot), "overrides") == 0

        add_person(bot, "boss@example.com", "U0BOSS")
        add_person(bot, "carol@example.com", "U0CAROL")
        assert (
            "Override *#1*" in (await ask(bot, f"override primary {BOB} 4h", user="U0BOSS"))["text"]
        )
        assert (
            "Override *#2*"
            in (await ask(bot, "override primary <@U0DAN> 2h", user="U0CAROL"))["text"]
        )
        assert (
            "Override *#3*"
            in (await ask(bot, "override primary <@U0DAN> 2h", user="U0ROOT"))["text"]
        )
        assert (
            "Removed override *#1*" in (await ask(bot, "override remove 1", user="U0CAROL"))["text"]
        )
        assert count(db(bot), "overrides", "removed_at IS NULL") == 2
    finally:
        await bot.close()


async def test_bad_overrides_are_refused_and_nothing_is_stored(bot):
    cases = {
        "override primary <@U0BOB> from 2026-03-01 10:00 to 2026-03-01 12:00": (
            "That override would end on Sun 01 Mar 12:00 (Europe/Berlin), which has already "
            "passed. Nothing was changed."
        ),
        "override primary <@U0BOB> from 2026-03-05 12:00 to 2026-03-05 08:00": (
            "That override ends (Thu 05 Mar 08:00 (Europe/Berlin)) before it starts "
            "(Thu 05 Mar 12:00 (Europe/Berlin)). Nothing was changed."
        ),
        "override primary <@U0BOB> from 2026-03-29 02:15 to 2026-03-29 02:45": (
            "That override starts and ends at the same moment (Sun 29 Mar 03:00 "
            "(Europe/Berlin); a local time skipped by a clock change counts as the end of the "
            "jump). Nothing was changed."
        ),
        "override primary <@U0BOB> 120d": (
            "That override would last 120d; the longest allowed is 90 days. Set a shorter one, "
            "or change the rotation in the config. Nothing was changed."
        ),
        "override primary <@U0BOB> from 2026-03-03 09:00 to 2026-06-03 09:00": (
            # 92 days on the calendar, an hour less in real time (the clocks go forward)
            "That override would last 91d 23h; the longest allowed is 90 days. Set a shorter one, "
            "or change the rotation in the config. Nothing was changed."
        ),
        "override primary <@U0BOB> from 2027-04-01 09:00 to 2027-04-02 09:00": (
            "Overrides may start at most 366 days from now. Nothing was changed."
        ),
        "override primary <@U0BOB> from 9999-12-31 23:00 to 9999-12-31 23:59": (
            "Overrides may start at most 366 days from now. Nothing was changed."
        ),
        "override primary <@U0BOB> from 0001-01-01 00:00 to 0001-01-01 01:00": (
            "Those times are too far from now for an override. Nothing was changed."
        ),
        "override secondary <@U0BOB> 4h": (
            "There is no rotation *secondary*. Rotations: `primary`."
        ),
    }
    for text, expected in cases.items():
        assert (await ask(bot, text, user="U0AAA")) == {"text": expected}, text
    for text, reason in {
        "override primary <@U0BOB> from yesterday to 2026-03-03 09:00": "`yesterday` is not a time",
        "override primary <@U0BOB> from 2026-02-30 09:00 to 2026-03-03 09:00": (
            "`2026-02-30 09:00` is not a real date and time."
        ),
        "override primary bob 4h": "`bob` is not a person: mention someone, like @alice.",
        "override primary <@U0BOB> 4 hours": "`4 hours` is not a duration like 4h or 2d",
        "override primary <@U0BOB> 400d": "Duration: '400d' is longer than a year.",
    }.items():
        answer = (await ask(bot, text, user="U0AAA"))["text"]
        # `<` escaped: Slack would read a bare <rotation> as a link
        assert reason in answer and "Usage:\n`/incident override &lt;rotation&gt;" in answer, text
    assert count(db(bot), "overrides") == 0


async def test_a_start_already_past_begins_now(bot):
    answer = await ask(
        bot, f"override primary {BOB} from 2026-03-02 08:00 to 2026-03-02 12:00", user="U0AAA"
    )
    assert (
        "from Mon 02 Mar 10:00 to Mon 02 Mar 12:00 (Europe/Berlin) (the start you gave has "
        "passed, so it starts now)" in answer["text"]
    )
    assert stored(bot)[0][2] == "2026-03-02 09:00:00.000000"


async def test_override_list_shows_active_and_coming_ones_with_ids(bot):
    assert (await ask(bot, "override list"))["text"] == "No overrides active or coming up."
    await ask(bot, f"override primary {BOB} 2h", user="U0AAA")
    await ask(
        bot, "override primary <@U0CAROL> from 2026-03-10 09:00 to 2026-03-10 18:00", user="U0BBB"
    )
    await ask(bot, "override primary <@U0DAN> 1h", user="U0AAA")
    await ask(bot, "override remove 3", user="U0AAA")
    answer = await ask(bot, "override list primary")
    assert answer["text"] == "2 overrides active or coming up for *primary*"
    [section] = answer["blocks"]
    assert section["text"]["text"] == (
        "*Overrides active or coming up* for *primary* (2)\n"
        "• *#1* *primary*: <@U0BOB> from Mon 02 Mar 10:00 to Mon 02 Mar 12:00 (Europe/Berlin)"
        " · *active now* · set by <@U0AAA>\n"
        "• *#2* *primary*: <@U0CAROL> from Tue 10 Mar 09:00 to Tue 10 Mar 18:00 "
        "(Europe/Berlin) · set by <@U0BBB>"
    )
    bot.clock.set(bot.clock.now() + timedelta(hours=3))
    assert "#1" not in text_of(await ask(bot, "override ls"))
    assert (await ask(bot, "override list nope")) == {
        "text": "There is no rotation *nope*. Rotations: `primary`."
    }


# -- handover ---------------------------------------------------------------------------------


async def test_handover_on_demand_lists_open_incidents_privately(bot, double):
    await ask(bot, "declare sev2 Checkout slow")
    await ask(bot, "declare sev3 Reports late")
    await ask(bot, "resolve INC-2")
    await ask(
        bot, "override primary <@U0CAROL> from 2026-03-04 18:00 to 2026-03-05 08:00", user="U0AAA"
    )
    answer = await ask(bot, "handover")
    shown = text_of(answer)
    assert answer["text"].startswith(
        ":arrows_counterclockwise: Handover for *primary*: <@U0AAA> is on call until"
    )
    assert "*Open incidents*\n• *INC-1* [SEV2] Checkout slow · declared · open 0s" in shown
    assert "INC-2" not in shown
    assert "• <@U0CAROL> from" in shown  # the override coming up this week
    assert await ask(bot, "handover primary") == answer
    assert (await ask(bot, "handover nope")) == {
        "text": "There is no rotation *nope*. Rotations: `primary`."
    }
    await bot.deliver()
    handovers = [c for c in double.calls_to("chat.postMessage") if "Handover" in c.params["text"]]
    assert handovers == []  # on demand it is only shown to whoever asked


async def test_help_lists_the_on_call_commands(bot):
    shown = (await ask(bot, "help"))["text"]
    for usage in (  # `<` and `>` escaped, as everywhere in mrkdwn
        "`/incident oncall [team|rotation]`",
        "`/incident override &lt;rotation&gt; @user &lt;duration&gt;`",
        "`/incident override list [rotation]`",
        "`/incident override remove &lt;id&gt;`",
        "`/incident handover [rotation]`",
    ):
        assert usage in shown
