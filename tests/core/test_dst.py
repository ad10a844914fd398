"""Daylight saving: local wall times -> instants by the written rules, in many zones.

Skipped local times move to the end of the jump, repeated ones take their first occurrence,
and handoffs stay on the local wall clock across every clock change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.rotation import RotationSpec, handoff, resolve_local, shift_at
from tests.support.zones import instants_for, transitions, wall, zone_names


def offsets_near(naive: datetime, zone: ZoneInfo) -> set[timedelta]:
    """Every UTC offset the zone uses within a day and a half of `naive` (hourly samples)."""
    centre = naive.replace(tzinfo=UTC)
    return {(centre + timedelta(hours=h)).astimezone(zone).utcoffset() for h in range(-36, 37)}


def assert_resolved_by_the_rules(naive: datetime, zone: ZoneInfo, got: datetime) -> None:
    """The oracle: find the instants with this wall time from the zone's offsets directly."""
    assert got.utcoffset() == timedelta(0)
    candidates = sorted(
        (naive - offset).replace(tzinfo=UTC) for offset in offsets_near(naive, zone)
    )
    occurrences = [c for c in candidates if wall(c, zone) == naive]
    if occurrences:  # exists, maybe twice: the first occurrence
        assert got == occurrences[0]
    else:  # skipped: the first instant after the jump
        assert wall(got, zone) > naive
        assert wall(got - timedelta(seconds=1), zone) < naive
        jump = (
            got.astimezone(zone).utcoffset()
            - (got - timedelta(seconds=1)).astimezone(zone).utcoffset()
        )
        assert jump > timedelta(0)


# -- resolve_local: known transitions ---------------------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
KOLKATA = ZoneInfo("Asia/Kolkata")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "local", "expected"),
    [
        # Berlin, spring forward 2026-03-29 02:00 CET -> 03:00 CEST
        (BERLIN, datetime(2026, 3, 29, 1, 59), utc(2026, 3, 29, 0, 59)),
        (BERLIN, datetime(2026, 3, 29, 2, 0), utc(2026, 3, 29, 1, 0)),
        (BERLIN, datetime(2026, 3, 29, 2, 30), utc(2026, 3, 29, 1, 0)),
        (BERLIN, datetime(2026, 3, 29, 2, 59, 59, 999999), utc(2026, 3, 29, 1, 0)),
        (BERLIN, datetime(2026, 3, 29, 3, 0), utc(2026, 3, 29, 1, 0)),
        (BERLIN, datetime(2026, 3, 29, 3, 1), utc(2026, 3, 29, 1, 1)),
        # Berlin, fall back 2026-10-25 03:00 CEST -> 02:00 CET: first occurrence (CEST)
        (BERLIN, datetime(2026, 10, 25, 1, 59), utc(2026, 10, 24, 23, 59)),
        (BERLIN, datetime(2026, 10, 25, 2, 0), utc(2026, 10, 25, 0, 0)),
        (BERLIN, datetime(2026, 10, 25, 2, 30), utc(2026, 10, 25, 0, 30)),
        (BERLIN, datetime(2026, 10, 25, 3, 0), utc(2026, 10, 25, 2, 0)),
        # New York, 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST
        (NEW_YORK, datetime(2026, 3, 8, 2, 30), utc(2026, 3, 8, 7, 0)),
        (NEW_YORK, datetime(2026, 3, 8, 3, 0), utc(2026, 3, 8, 7, 0)),
        (NEW_YORK, datetime(2026, 11, 1, 1, 30), utc(2026, 11, 1, 5, 30)),
        (NEW_YORK, datetime(2026, 11, 1, 2, 0), utc(2026, 11, 1, 7, 0)),
        # Sydney (southern hemisphere): 2026-04-05 03:00 AEDT -> 02:00 AEST,
        # 2026-10-04 02:00 AEST -> 03:00 AEDT
        (SYDNEY, datetime(2026, 4, 5, 2, 30), utc(2026, 4, 4, 15, 30)),
        (SYDNEY, datetime(2026, 4, 5, 3, 0), utc(2026, 4, 4, 17, 0)),
        (SYDNEY, datetime(2026, 10, 4, 2, 30), utc(2026, 10, 3, 16, 0)),
        (SYDNEY, datetime(2026, 10, 4, 1, 59), utc(2026, 10, 3, 15, 59)),
        # Kolkata: +05:30 all year
        (KOLKATA, datetime(2026, 3, 29, 2, 30), utc(2026, 3, 28, 21, 0)),
        (KOLKATA, datetime(2026, 10, 25, 9, 0), utc(2026, 10, 25, 3, 30)),
        # Lord Howe: 2026-04-05 02:00 +11 -> 01:30 +10:30; 2026-10-04 02:00 +10:30 -> 02:30 +11
        (LORD_HOWE, datetime(2026, 4, 5, 1, 45), utc(2026, 4, 4, 14, 45)),
        (LORD_HOWE, datetime(2026, 4, 5, 2, 0), utc(2026, 4, 4, 15, 30)),
        (LORD_HOWE, datetime(2026, 10, 4, 2, 0), utc(2026, 10, 3, 15, 30)),
        (LORD_HOWE, datetime(2026, 10, 4, 2, 10), utc(2026, 10, 3, 15, 30)),
        (LORD_HOWE, datetime(2026, 10, 4, 2, 30), utc(2026, 10, 3, 15, 30)),
        # Chatham: 2026-09-27 02:45 +12:45 -> 03:45 +13:45
        (ZoneInfo("Pacific/Chatham"), datetime(2026, 9, 27, 3, 0), utc(2026, 9, 26, 14, 0)),
        # St John's: 2026-03-08 02:00 -03:30 -> 03:00 -02:30
        (ZoneInfo("America/St_Johns"), datetime(2026, 3, 8, 2, 15), utc(2026, 3, 8, 5, 30)),
        # Samoa skipped Friday 30 December 2011 (-10 -> +14): the day moves to 31 Dec 00:00
        (ZoneInfo("Pacific/Apia"), datetime(2011, 12, 30, 12, 0), utc(2011, 12, 30, 10, 0)),
        (ZoneInfo("Pacific/Apia"), datetime(2011, 12, 29, 23, 59), utc(2011, 12, 30, 9, 59)),
    ],
)
def test_resolve_local_known_changes(zone, local, expected):
    got = resolve_local(local, zone)
    assert got == expected
    assert got.tzinfo is UTC
    assert_resolved_by_the_rules(local, zone, got)


def test_resolve_local_lands_on_the_local_wall_time_after_a_gap():
    assert resolve_local(datetime(2026, 3, 29, 2, 30), BERLIN).astimezone(BERLIN) == datetime(
        2026, 3, 29, 3, 0, tzinfo=BERLIN
    )
    apia = ZoneInfo("Pacific/Apia")
    assert wall(resolve_local(datetime(2011, 12, 30, 9, 0), apia), apia) == datetime(2011, 12, 31)


def test_resolve_local_ignores_a_fold_given_in_the_input():
    repeated = datetime(2026, 10, 25, 2, 30, fold=1)
    assert resolve_local(repeated, BERLIN) == utc(2026, 10, 25, 0, 30)


def test_resolve_local_wants_a_naive_time():
    with pytest.raises(ValueError, match="naive"):
        resolve_local(datetime(2026, 1, 1, tzinfo=UTC), BERLIN)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_resolve_local_follows_the_rules_in_many_zones(data):
    name = data.draw(zone_names)
    zone = ZoneInfo(name)
    instant = data.draw(instants_for(name))
    # the wall times just before and after a change, and anything in between
    naive = wall(instant, zone) + timedelta(seconds=data.draw(st.integers(-7200, 7200)))
    got = resolve_local(naive, zone)
    assert_resolved_by_the_rules(naive, zone, got)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_resolve_local_is_monotonic(data):
    name = data.draw(zone_names)
    zone = ZoneInfo(name)
    naive = wall(data.draw(instants_for(name)), zone)
    later = naive + timedelta(seconds=data.draw(st.integers(1, 4 * 3600)))
    assert resolve_local(naive, zone) <= resolve_local(later, zone)


def test_every_change_in_the_sampled_zones_is_found():
    assert len(transitions("Europe/Berlin")) == 2 * 41
    assert transitions("Asia/Kolkata") == ()
    assert {after - before for _, before, after in transitions("Australia/Lord_Howe")} == {
        timedelta(minutes=30),
        timedelta(minutes=-30),
    }


# -- handoffs on the local wall clock ---------------------------------------------------------


def weekly(zone: ZoneInfo, members=("a", "b", "c")) -> RotationSpec:
    return RotationSpec("primary", members, timedelta(weeks=1), datetime(2026, 1, 5, 9, 0), zone)


@pytest.mark.parametrize(
    ("zone", "lengths"),
    [
        (BERLIN, {167, 168, 169}),
        (NEW_YORK, {167, 168, 169}),
        (SYDNEY, {167, 168, 169}),
        (KOLKATA, {168}),
        (LORD_HOWE, {167.5, 168, 168.5}),
    ],
)
def test_weekly_0900_handoff_stays_0900_local_all_year(zone, lengths):
    spec = weekly(zone)
    seen = set()
    for k in range(-60, 120):  # 2024 .. 2028, both directions of every change
        at = handoff(spec, k)
        assert at.tzinfo is UTC
        assert wall(at, zone) == datetime(2026, 1, 5, 9, 0) + timedelta(weeks=k)
        seen.add((handoff(spec, k + 1) - at) / timedelta(hours=1))
    assert seen == lengths


def test_weekly_shift_over_the_berlin_changes_is_a_week_on_the_wall_clock():
    spec = weekly(BERLIN)
    spring = shift_at(spec, utc(2026, 3, 29, 12, 0))  # Mon 23 Mar 09:00 CET .. Mon 30 Mar CEST
    assert spring.starts_at == utc(2026, 3, 23, 8, 0)
    assert spring.ends_at == utc(2026, 3, 30, 7, 0)
    assert spring.ends_at - spring.starts_at == timedelta(hours=167)
    autumn = shift_at(spec, utc(2026, 10, 25, 1, 30))
    assert autumn.starts_at == utc(2026, 10, 19, 7, 0)
    assert autumn.ends_at == utc(2026, 10, 26, 8, 0)
    assert autumn.ends_at - autumn.starts_at == timedelta(hours=169)
    assert wall(autumn.ends_at, BERLIN) - wall(autumn.starts_at, BERLIN) == timedelta(weeks=1)


def test_sydney_weekly_handoffs_in_both_directions():
    spec = weekly(SYDNEY)
    april = shift_at(spec, utc(2026, 4, 5, 0, 0))  # DST ends Sunday 5 April
    assert wall(april.starts_at, SYDNEY) == datetime(2026, 3, 30, 9, 0)
    assert april.starts_at == utc(2026, 3, 29, 22, 0)  # +11
    assert april.ends_at == utc(2026, 4, 5, 23, 0)  # +10
    october = shift_at(spec, utc(2026, 10, 4, 0, 0))  # DST starts Sunday 4 October
    assert october.starts_at == utc(2026, 9, 27, 23, 0)  # +10
    assert october.ends_at == utc(2026, 10, 4, 22, 0)  # +11
    assert october.ends_at - october.starts_at == timedelta(hours=167)


def test_daily_0230_handoff_on_the_berlin_spring_day_happens_at_0300():
    spec = RotationSpec("night", ("a", "b"), timedelta(days=1), datetime(2026, 3, 1, 2, 30), BERLIN)
    at = handoff(spec, 28)
    assert wall(at, BERLIN) == datetime(2026, 3, 29, 3, 0)
    assert at == utc(2026, 3, 29, 1, 0)
    before = shift_at(spec, at - timedelta(microseconds=1))
    after = shift_at(spec, at)
    assert (before.index, after.index) == (27, 28)
    assert before.ends_at == after.starts_at == at
    assert before.ends_at - before.starts_at == timedelta(hours=23, minutes=30)
    # the next day the handoff is back at 02:30 local
    assert wall(after.ends_at, BERLIN) == datetime(2026, 3, 30, 2, 30)
    assert after.ends_at - after.starts_at == timedelta(hours=23, minutes=30)


def test_daily_0230_handoff_on_the_berlin_autumn_day_takes_the_first_0230():
    spec = RotationSpec(
        "night", ("a", "b"), timedelta(days=1), datetime(2026, 10, 1, 2, 30), BERLIN
    )
    at = handoff(spec, 24)
    assert at == utc(2026, 10, 25, 0, 30)  # 02:30 CEST, not 02:30 CET (01:30 UTC)
    shift = shift_at(spec, utc(2026, 10, 25, 1, 30))  # the second 02:30
    assert shift.starts_at == at
    assert shift.ends_at - shift.starts_at == timedelta(hours=25)
    assert shift_at(spec, at - timedelta(seconds=1)).ends_at - handoff(spec, 23) == timedelta(
        hours=24
    )


def test_an_hourly_shift_inside_the_skipped_hour_is_empty_and_passed_over():
    spec = RotationSpec(
        "hourly", ("a", "b", "c"), timedelta(hours=1), datetime(2026, 3, 29, 0, 0), BERLIN
    )
    assert handoff(spec, 2) == handoff(spec, 3) == utc(2026, 3, 29, 1, 0)  # 02:00 and 03:00
    last_before = shift_at(spec, utc(2026, 3, 29, 0, 59, 59))
    assert (last_before.index, last_before.user) == (1, "b")
    assert last_before.ends_at - last_before.starts_at == timedelta(hours=1)
    first_after = shift_at(spec, utc(2026, 3, 29, 1, 0))
    assert (first_after.index, first_after.user) == (3, "a")


def test_half_hour_shifts_over_the_lord_howe_changes():
    spec = RotationSpec(
        "lh", ("a", "b"), timedelta(minutes=30), datetime(2026, 10, 4, 0, 0), LORD_HOWE
    )
    # 02:00 does not exist (02:00 -> 02:30): shift 4 (02:00-02:30) is empty
    assert handoff(spec, 4) == handoff(spec, 5)
    assert wall(handoff(spec, 5), LORD_HOWE) == datetime(2026, 10, 4, 2, 30)
    assert shift_at(spec, handoff(spec, 4)).index == 5
    autumn = RotationSpec(
        "lh", ("a", "b"), timedelta(minutes=30), datetime(2026, 4, 5, 0, 0), LORD_HOWE
    )
    # 01:30-02:00 happens twice: the 01:30 handoff is the first; that shift lasts an hour
    three = shift_at(autumn, handoff(autumn, 3))
    assert three.index == 3
    assert three.ends_at - three.starts_at == timedelta(hours=1)
    assert wall(three.starts_at, LORD_HOWE) == datetime(2026, 4, 5, 1, 30)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_handoffs_are_at_the_configured_local_wall_time_or_moved_by_the_gap_rule(data):
    name = data.draw(zone_names)
    zone = ZoneInfo(name)
    anchor = data.draw(instants_for(name))
    shift = timedelta(minutes=data.draw(st.integers(60, 14 * 24 * 60)))
    # put some handoff close to `anchor` (often a clock change), at any wall minute
    j = data.draw(st.integers(-300, 300))
    start = wall(anchor, zone).replace(second=0, microsecond=0) - j * shift
    spec = RotationSpec("r", ("a",), shift, start, zone)
    for k in (j - 1, j, j + 1):
        naive = start + k * shift
        at = handoff(spec, k)
        assert_resolved_by_the_rules(naive, zone, at)
        assert handoff(spec, k) <= handoff(spec, k + 1)
