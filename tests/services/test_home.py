"""App Home: on call now and next, the viewer's own shifts, open incidents; within Slack's limits.

The harness clock starts Monday 2026-03-02 09:00 UTC. Rotation `primary` (Berlin) hands off on
Mondays 09:00 local: U0AAA this week, U0BBB from 9 March, U0AAA from 16 March, U0BBB from 23
March (the clocks go forward on the 29th), U0AAA from 30 March.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.support import signing
from tests.support.db import rows
from tests.support.harness import CONFIG, Bot
from tests.support.home import open_home, section_under


def stamp(*args) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


def headers(blocks: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "header"]


async def test_home_shows_who_is_on_call_and_the_viewers_next_shifts(bot, double):
    await bot.command("declare sev2 Checkout slow")
    blocks = await open_home(bot, double, "U0BBB")
    assert headers(blocks) == [
        "On call",
        "Your next shifts",
        "On call, next 14 days",
        "Open incidents",
        "My paging",
    ]

    on_call = section_under(blocks, "On call")
    assert "*primary*: <@U0AAA> is on call until <!date^" + str(stamp(2026, 3, 9, 8)) in on_call
    assert "Next: <@U0BBB> from" in on_call

    mine = section_under(blocks, "Your next shifts").splitlines()
    assert len(mine) == 2  # 9-16 March and 23-30 March; the next is after four weeks
    assert mine[0].startswith(f"• *primary*: <!date^{stamp(2026, 3, 9, 8)}^")
    assert f"to <!date^{stamp(2026, 3, 16, 8)}^" in mine[0]
    assert mine[1].startswith(f"• *primary*: <!date^{stamp(2026, 3, 23, 8)}^")
    assert f"to <!date^{stamp(2026, 3, 30, 7)}^" in mine[1]  # 09:00 CEST after the change
    assert "|Mon 30 Mar 09:00 CEST>" in mine[1]

    assert "*INC-1* [SEV2] Checkout slow" in section_under(blocks, "Open incidents")


async def test_the_person_on_call_sees_now_and_overrides_split_their_shifts(bot, double):
    mine = section_under(await open_home(bot, double, "U0AAA"), "Your next shifts")
    assert mine.splitlines()[0].startswith("• *primary*: on call *now*, until <!date^")

    # U0CAROL covers Tuesday 17 March for U0AAA: U0AAA's week is cut in two
    answer = await bot.command(
        "override primary <@U0CAROL> from 2026-03-17 09:00 to 2026-03-18 09:00", user="U0AAA"
    )
    assert "Override *#1*" in answer["text"]
    mine = section_under(await open_home(bot, double, "U0AAA"), "Your next shifts").splitlines()
    assert len(mine) == 4  # now, 16-17 March, 18-23 March, and 30 March (starts in 4 weeks)
    assert f"to <!date^{stamp(2026, 3, 17, 8)}^" in mine[1]
    assert mine[2].startswith(f"• *primary*: <!date^{stamp(2026, 3, 18, 8)}^")
    assert mine[3].startswith(f"• *primary*: <!date^{stamp(2026, 3, 30, 7)}^")

    carol = section_under(await open_home(bot, double, "U0CAROL"), "Your next shifts")
    assert carol.startswith(f"• *primary*: <!date^{stamp(2026, 3, 17, 8)}^")
    assert carol.endswith("_(override)_") and len(carol.splitlines()) == 1

    nobody = section_under(await open_home(bot, double, "U0ZED"), "Your next shifts")
    assert nobody == "_You have no shifts in the next 4 weeks._"


async def test_an_active_override_shows_on_home_and_email_members_see_their_shifts(
    tmp_path, double
):
    config = CONFIG.replace("members: [U0AAA, U0BBB]", "members: [U0AAA, alice@example.com]")
    bot = await Bot(tmp_path, double, config=config).start()
    try:
        # what the people lookup records once Slack resolves the e-mail
        rows(
            bot,
            "INSERT INTO people (email, user_id, looked_up_at) VALUES (?, ?, ?)",
            "alice@example.com",
            "U0ALICE",
            "2026-03-01 00:00:00.000000",
        )
        await bot.command("override primary <@U0BOB> 2h", user="U0ALICE")  # a member by e-mail
        blocks = await open_home(bot, double, "U0ALICE")
        on_call = section_under(blocks, "On call")
        assert "*primary*: <@U0BOB> _(override #1)_ is on call until" in on_call
        assert "Next: <@U0AAA> from" in on_call
        mine = section_under(blocks, "Your next shifts").splitlines()
        assert mine[0].startswith(f"• *primary*: <!date^{stamp(2026, 3, 9, 8)}^")
        assert len(mine) == 2
    finally:
        await bot.close()


async def test_many_rotations_stay_within_slacks_limits(tmp_path, double):
    rotations = "".join(
        f"  - name: team-{i:02d}\n"
        f"    members: [U0AAA, U0B{i:02d}]\n"
        "    shift: 1d\n"
        "    start: 2026-01-05T09:00\n"
        '    coverage:\n      - {days: mon-fri, from: "09:00", to: "17:00"}\n'
        for i in range(60)
    )
    config = CONFIG.replace("escalation:", rotations + "escalation:")  # 61 rotations
    bot = await Bot(tmp_path, double, config=config).start()
    try:
        for n in range(30):
            await bot.command(f"declare sev3 Problem number {n} " + "x" * 120)
        blocks = await open_home(bot, double, "U0AAA")
        assert len(blocks) <= 100
        for block in blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= 150
        assert "…and 36 more rotations." in section_under(blocks, "On call")
        mine = section_under(blocks, "Your next shifts")
        assert "on call *now*" in mine and "…and" in mine  # 60 rotations' days, capped

        answer = await bot.command("oncall")
        assert len(answer["blocks"]) <= 50
        assert all(len(b["text"]["text"]) <= 3000 for b in answer["blocks"] if "text" in b)
    finally:
        await bot.close()


async def test_other_tabs_publish_nothing(bot, double):
    event = {"type": "app_home_opened", "user": "U0AAA", "channel": "D0HOME", "tab": "messages"}
    response = await bot.post_signed(signing.event_body(event))
    assert response.status == 200
    await open_home(bot, double, "U0AAA")  # a home opened afterwards is the first publish
    assert len(double.calls_to("views.publish")) == 1
