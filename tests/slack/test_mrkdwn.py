"""Times as mrkdwn spells them: `local` names the zone, `wall` leaves it out."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.slack import mrkdwn as md

BERLIN = ZoneInfo("Europe/Berlin")


def test_wall_is_local_without_the_zone_name():
    at = datetime(2025, 3, 30, 0, 30, tzinfo=UTC)  # 01:30 in Berlin, before the DST jump
    assert md.local(at, BERLIN) == "Sun 30 Mar 01:30 (Europe/Berlin)"
    assert md.wall(at, BERLIN) == "Sun 30 Mar 01:30"
    after = datetime(2025, 3, 30, 1, 30, tzinfo=UTC)  # 03:30: the clocks went forward
    assert md.wall(after, BERLIN) == "Sun 30 Mar 03:30"


def test_day_time_is_a_when_format():
    at = datetime(2025, 2, 3, 9, 0, tzinfo=UTC)
    assert md.when(at, UTC, md.DAY_TIME) == (
        f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|Mon 03 Feb 09:00 UTC>"
    )
