"""App Home's on-call calendar over the real app: each rotation's next 14 local days as a grid
(a row per stretch of one person, a column per day), handoffs at their local wall-clock time
across daylight-saving changes, overrides as rows of their own, the viewer's rows solid, and
many rotations trimmed to what the tab has room for.

The harness clock starts Monday 2026-03-02 09:00 UTC (10:00 in Berlin). Rotation `primary`
(Berlin) hands off on Mondays 09:00 local: U0AAA this week, U0BBB from 9 March.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import ManualClock
from tests.support.harness import CONFIG, Bot
from tests.support.home import open_home

GRID = "On call, next 14 days"
THREE_DAYS = """
  - name: three
    members: [U0AAA, U0BBB, U0CCC]
    shift: 3d
    start: 2026-01-05T09:00
"""


def with_rotations(text: str) -> str:
    return CONFIG.replace("escalation:", text.lstrip("\n") + "escalation:")


def grid_of(blocks: list[dict], rotation: str) -> list[str]:
    """The lines of one rotation's grid."""
    for block in blocks[blocks.index(next(b for b in blocks if _is(b, GRID))) + 1 :]:
        if block["type"] != "section":
            break
        if block["text"]["text"].startswith(f"*{rotation}* · "):
            return block["text"]["text"].splitlines()
    raise AssertionError(f"no grid for {rotation}")


def _is(block: dict, header: str) -> bool:
    return block["type"] == "header" and block["text"]["text"] == header


async def test_the_grid_shows_each_stretch_with_its_days_and_the_viewers_own_solid(bot, double):
    blocks = await open_home(bot, double, "U0BBB")
    headers = [b["text"]["text"] for b in blocks if b["type"] == "header"]
    assert headers == ["On call", "Your next shifts", GRID, "Open incidents", "My paging"]
    assert grid_of(blocks, "primary") == [
        "*primary* · Mon 02 Mar to Sun 15 Mar (Europe/Berlin)",
        "`MTWTFSSMTWTFSS`",
        "`▒▒▒▒▒▒▒▒······` <@U0AAA> now, until Mon 09 Mar 09:00",
        "`·······███████` <@U0BBB> *(you)* Mon 09 Mar 09:00 to Mon 16 Mar 09:00",
    ]


async def test_an_override_is_a_row_of_its_own(bot, double):
    answer = await bot.command(
        "override primary <@U0CAROL> from 2026-03-04 09:00 to 2026-03-05 09:00", user="U0AAA"
    )
    assert "Override *#1*" in answer["text"]
    assert grid_of(await open_home(bot, double, "U0CAROL"), "primary")[2:] == [
        "`▒▒▒···········` <@U0AAA> now, until Wed 04 Mar 09:00",
        "`··██··········` <@U0CAROL> _(override #1)_ *(you)* Wed 04 Mar 09:00 to Thu 05 Mar 09:00",
        "`···▒▒▒▒▒······` <@U0AAA> Thu 05 Mar 09:00 to Mon 09 Mar 09:00",
        "`·······▒▒▒▒▒▒▒` <@U0BBB> Mon 09 Mar 09:00 to Mon 16 Mar 09:00",
    ]


async def test_handoffs_keep_their_local_time_when_the_clocks_go_forward(tmp_path, double):
    clock = ManualClock(datetime(2026, 3, 20, 12, tzinfo=UTC))  # Friday; clocks change Sunday 29th
    bot = await Bot(tmp_path, double, config=with_rotations(THREE_DAYS), clock=clock).start()
    try:
        assert grid_of(await open_home(bot, double, "U0AAA"), "three") == [
            "*three* · Fri 20 Mar to Thu 02 Apr (Europe/Berlin)",
            "`FSSMTWTFSSMTWT`",
            "`██············` <@U0AAA> *(you)* now, until Sat 21 Mar 09:00",
            "`·▒▒▒▒·········` <@U0BBB> Sat 21 Mar 09:00 to Tue 24 Mar 09:00",
            "`····▒▒▒▒······` <@U0CCC> Tue 24 Mar 09:00 to Fri 27 Mar 09:00",
            "`·······████···` <@U0AAA> *(you)* Fri 27 Mar 09:00 to Mon 30 Mar 09:00",  # 71 hours
            "`··········▒▒▒▒` <@U0BBB> Mon 30 Mar 09:00 to Thu 02 Apr 09:00",
            "`·············▒` <@U0CCC> Thu 02 Apr 09:00 to Sun 05 Apr 09:00",
        ]
    finally:
        await bot.close()


async def test_handoffs_keep_their_local_time_when_the_clocks_go_back(tmp_path, double):
    clock = ManualClock(datetime(2026, 10, 20, 12, tzinfo=UTC))  # Tuesday; back on Sunday 25th
    bot = await Bot(tmp_path, double, config=with_rotations(THREE_DAYS), clock=clock).start()
    try:
        blocks = await open_home(bot, double, "U0CCC")
        assert grid_of(blocks, "three")[2:6] == [
            "`▒▒▒▒··········` <@U0AAA> now, until Fri 23 Oct 09:00",
            "`···▒▒▒▒·······` <@U0BBB> Fri 23 Oct 09:00 to Mon 26 Oct 09:00",  # 73 hours
            "`······████····` <@U0CCC> *(you)* Mon 26 Oct 09:00 to Thu 29 Oct 09:00",
            "`·········▒▒▒▒·` <@U0AAA> Thu 29 Oct 09:00 to Sun 01 Nov 09:00",
        ]
        assert "<@U0AAA> Mon 26 Oct 09:00 to Mon 02 Nov 09:00" in grid_of(blocks, "primary")[-2]
    finally:
        await bot.close()


async def test_many_rotations_are_trimmed_within_slacks_limits(tmp_path, double):
    rotations = "".join(
        f"  - name: team-{i:02d}\n"
        f"    members: [U0AAA, U0B{i:02d}]\n"
        "    shift: 1d\n"
        "    start: 2026-01-05T09:00\n"
        for i in range(60)
    )
    bot = await Bot(tmp_path, double, config=with_rotations(rotations)).start()
    try:
        for n in range(30):
            await bot.command(f"declare sev3 Problem number {n} " + "x" * 120)
        blocks = await open_home(bot, double, "U0B42")
        assert len(blocks) <= 100
        assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
        headers = [b["text"]["text"] for b in blocks if b["type"] == "header"]
        assert headers[-3:] == [GRID, "Open incidents", "My paging"]  # nothing else cut

        drawn = [b for b in blocks if b["type"] == "section" and " · " in b["text"]["text"]]
        drawn = [b["text"]["text"] for b in drawn if "(Europe/Berlin)" in b["text"]["text"]]
        assert drawn[0].startswith("*team-42* · ")  # the viewer's rotation first
        assert "*(you)*" in drawn[0]
        assert drawn[0].endswith("…and 2 more handoffs in these days.")  # 14 rows, 12 drawn
        grid = blocks.index(next(b for b in blocks if _is(b, GRID)))
        note = blocks[grid + len(drawn) + 1]
        assert note["type"] == "context"
        assert (
            note["elements"][0]["text"]
            == f"…and {61 - len(drawn)} more rotations: `/incident oncall`."
        )
    finally:
        await bot.close()
