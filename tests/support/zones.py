"""Time zones to test against, and instants that crowd around their clock changes.

Shared by the daylight-saving, rotation and coverage tests: a spread of zones with unusual
offsets and rules, every change of UTC offset in them from 2000 to 2040, and hypothesis
strategies that pick instants anywhere in that range or within hours of a change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

ZONES = (
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "Europe/Dublin",  # negative DST in the tz database: winter is the "daylight" time
    "Europe/Moscow",
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",  # -03:30 / -02:30
    "America/Sao_Paulo",  # southern hemisphere, DST abolished in 2019
    "America/Santiago",
    "America/Havana",  # changes at midnight
    "Africa/Casablanca",  # DST suspended for Ramadan, then permanent +01 with Ramadan -1h
    "Asia/Kolkata",  # +05:30, no DST
    "Asia/Kathmandu",  # +05:45
    "Asia/Tehran",  # +03:30 / +04:30, DST abolished in 2022
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # 30-minute DST
    "Pacific/Chatham",  # +12:45 / +13:45
    "Pacific/Apia",  # skipped 30 December 2011 entirely
    "Pacific/Kiritimati",  # +14
    "Antarctica/Troll",  # 2-hour DST
)

RANGE_START = datetime(2000, 1, 1, tzinfo=UTC)
RANGE_END = datetime(2041, 1, 1, tzinfo=UTC)


def wall(at: datetime, zone: ZoneInfo) -> datetime:
    return at.astimezone(zone).replace(tzinfo=None)


@cache
def transitions(name: str) -> tuple[tuple[datetime, timedelta, timedelta], ...]:
    """(instant, offset before, offset after) of each change of UTC offset, 2000-2040."""
    zone = ZoneInfo(name)
    found = []
    t = RANGE_START - timedelta(days=1)
    offset = t.astimezone(zone).utcoffset()
    while t < RANGE_END:
        n = t + timedelta(days=1)
        after = n.astimezone(zone).utcoffset()
        if after != offset:
            lo, hi = int(t.timestamp()), int(n.timestamp())
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if datetime.fromtimestamp(mid, UTC).astimezone(zone).utcoffset() == offset:
                    lo = mid
                else:
                    hi = mid
            found.append((datetime.fromtimestamp(hi, UTC), offset, after))
            offset = after
        t = n
    return tuple(found)


zone_names = st.sampled_from(ZONES)
any_instant = st.integers(int(RANGE_START.timestamp()), int(RANGE_END.timestamp()) - 1).map(
    lambda s: datetime.fromtimestamp(s, UTC)
)


def instants_near_changes(name: str) -> st.SearchStrategy[datetime]:
    """Instants within a few hours of a clock change of `name` (any instant if it has none)."""
    changes = transitions(name)
    if not changes:
        return any_instant
    return st.builds(
        lambda change, seconds: change[0] + timedelta(seconds=seconds),
        st.sampled_from(changes),
        st.integers(-4 * 3600, 4 * 3600),
    )


def instants_for(name: str) -> st.SearchStrategy[datetime]:
    return st.one_of(any_instant, instants_near_changes(name))
