"""Coverage windows: parsing, covered instants and intervals, gaps between rotations, DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.coverage import (
    Coverage,
    Window,
    gaps,
    intervals,
    is_covered,
    next_covered,
    overlapping_windows,
    parse_window,
    union,
)
from tests.support.zones import instants_for, zone_names

BERLIN = ZoneInfo("Europe/Berlin")
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


def cover(*windows: tuple[str, str, str], zone: ZoneInfo = BERLIN) -> Coverage:
    return Coverage(tuple(parse_window(*w) for w in windows), zone)


OFFICE = cover(("mon-fri", "09:00", "17:00"))
ALWAYS = Coverage((), BERLIN)

# -- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ("mon-fri", {MON, TUE, WED, THU, FRI}),
        ("sat,sun", {SAT, SUN}),
        ("mon,wed-fri", {MON, WED, THU, FRI}),
        ("fri-mon", {FRI, SAT, SUN, MON}),
        ("sun-sat", set(range(7))),
        ("mon-sun", set(range(7))),
        ("wed", {WED}),
        ("wed-wed", {WED}),
        ("Mon - Fri", {MON, TUE, WED, THU, FRI}),
        ("mon,mon-tue", {MON, TUE}),
    ],
)
def test_days(days, expected):
    assert parse_window(days, "09:00", "17:00").days == frozenset(expected)


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        ("09:00", "17:00", (540, 1020)),
        ("00:00", "24:00", (0, 1440)),
        ("18:00", "24:00", (1080, 1440)),
        ("18:00", "00:00", (1080, 1440)),  # an end at midnight is 24:00
        ("22:00", "06:00", (1320, 360)),
        ("9:30", "17:45", (570, 1065)),
        ("23:59", "00:01", (1439, 1)),
    ],
)
def test_times_are_minutes_since_midnight(start, end, minutes):
    window = parse_window("mon", start, end)
    assert (window.start, window.end) == minutes


@pytest.mark.parametrize(
    ("days", "start", "end", "message"),
    [
        ("mon-fry", "09:00", "17:00", "'fry' is not a day"),
        ("monday", "09:00", "17:00", "'monday' is not a day"),
        ("", "09:00", "17:00", "at least one day"),
        ("mon,,fri", "09:00", "17:00", "is not a day or a range"),
        ("mon-wed-fri", "09:00", "17:00", "is not a day or a range"),
        ("mon-", "09:00", "17:00", "is not a day or a range"),
        ("mon", "09:00", "09:00", "same time"),
        ("mon", "00:00", "00:00", "same time"),
        ("mon", "00:00", "24:00:00", "is not a time like"),
        ("mon", "9am", "17:00", "is not a time like"),
        ("mon", "25:00", "26:00", "is not a time of day"),
        ("mon", "09:60", "17:00", "is not a time of day"),
        ("mon", "24:00", "06:00", "00:00 to 23:59"),
        ("mon", "09:00", "24:01", "00:00 to 24:00"),
    ],
)
def test_nonsense_is_refused_with_a_reason(days, start, end, message):
    with pytest.raises(ValueError, match=message):
        parse_window(days, start, end)


@pytest.mark.parametrize(
    ("days", "start", "end", "message"),
    [
        (frozenset(), 0, 60, "non-empty"),
        (frozenset({7}), 0, 60, "0..6"),
        (frozenset({0}), -1, 60, "start"),
        (frozenset({0}), 0, 0, "end"),
        (frozenset({0}), 0, 1441, "end"),
        (frozenset({0}), 60, 60, "covers nothing"),
    ],
)
def test_windows_check_their_fields(days, start, end, message):
    with pytest.raises(ValueError, match=message):
        Window(days, start, end)


@pytest.mark.parametrize(
    ("days", "start", "end", "described"),
    [
        ("mon-fri", "09:00", "17:00", "mon-fri 09:00-17:00"),
        ("sat,sun", "00:00", "24:00", "sat,sun 00:00-24:00"),
        ("fri-mon", "18:00", "09:00", "fri-mon 18:00-09:00"),
        ("mon,wed-fri", "08:30", "12:00", "mon,wed-fri 08:30-12:00"),
        ("sun-sat", "22:00", "06:00", "mon-sun 22:00-06:00"),
    ],
)
def test_windows_describe_themselves_as_written(days, start, end, described):
    window = parse_window(days, start, end)
    assert window.describe() == described
    again = parse_window(*described.split(" ")[0:1], *described.split(" ")[1].split("-"))
    assert again == window


# -- covered instants -------------------------------------------------------------------------


def test_office_hours():
    assert is_covered(OFFICE, berlin(2026, 1, 5, 9, 0))  # Monday
    assert is_covered(OFFICE, berlin(2026, 1, 9, 16, 59))  # Friday
    assert not is_covered(OFFICE, berlin(2026, 1, 9, 17, 0))
    assert not is_covered(OFFICE, berlin(2026, 1, 5, 8, 59))
    assert not is_covered(OFFICE, berlin(2026, 1, 10, 12, 0))  # Saturday
    assert is_covered(OFFICE, berlin(2026, 7, 6, 9, 0))  # summer time: still 09:00 local
    assert not is_covered(OFFICE, berlin(2026, 7, 6, 8, 30))


def test_no_windows_is_24_7():
    for at in (utc(2026, 1, 1), utc(2026, 3, 29, 1, 30), utc(2031, 12, 31, 23, 59)):
        assert is_covered(ALWAYS, at)
        assert next_covered(ALWAYS, at) == at
    assert intervals(ALWAYS, utc(2026, 1, 1), utc(2026, 2, 1)) == [
        (utc(2026, 1, 1), utc(2026, 2, 1))
    ]


def test_a_window_crossing_midnight_belongs_to_the_day_it_starts():
    nights = cover(("fri", "22:00", "06:00"))
    assert not is_covered(nights, berlin(2026, 1, 9, 21, 59))  # Friday
    assert is_covered(nights, berlin(2026, 1, 9, 22, 0))
    assert is_covered(nights, berlin(2026, 1, 10, 5, 59))  # Saturday morning
    assert not is_covered(nights, berlin(2026, 1, 10, 6, 0))
    assert not is_covered(nights, berlin(2026, 1, 10, 23, 0))  # Saturday night: not listed
    assert not is_covered(nights, berlin(2026, 1, 9, 3, 0))  # Friday morning: Thursday's part
    assert intervals(nights, utc(2026, 1, 5), utc(2026, 1, 12)) == [
        (berlin(2026, 1, 9, 22, 0), berlin(2026, 1, 10, 6, 0))
    ]


def test_sunday_night_runs_into_monday():
    window = cover(("sun", "20:00", "08:00"))
    assert is_covered(window, berlin(2026, 1, 12, 7, 0))  # Monday 07:00
    assert intervals(window, berlin(2026, 1, 12, 0, 0), berlin(2026, 1, 19, 0, 0)) == [
        (berlin(2026, 1, 12, 0, 0), berlin(2026, 1, 12, 8, 0)),
        (berlin(2026, 1, 18, 20, 0), berlin(2026, 1, 19, 0, 0)),
    ]


def test_several_windows():
    split = cover(("mon-fri", "09:00", "12:00"), ("mon-fri", "13:00", "17:00"))
    week = intervals(split, berlin(2026, 1, 5), berlin(2026, 1, 12))
    assert len(week) == 10
    assert week[0] == (berlin(2026, 1, 5, 9), berlin(2026, 1, 5, 12))
    assert week[1] == (berlin(2026, 1, 5, 13), berlin(2026, 1, 5, 17))
    assert not is_covered(split, berlin(2026, 1, 5, 12, 30))
    assert next_covered(split, berlin(2026, 1, 5, 12, 30)) == berlin(2026, 1, 5, 13, 0)


def test_touching_windows_merge_into_one_interval():
    days_and_evenings = cover(("mon-fri", "09:00", "17:00"), ("mon-fri", "17:00", "24:00"))
    assert intervals(days_and_evenings, berlin(2026, 1, 5), berlin(2026, 1, 6)) == [
        (berlin(2026, 1, 5, 9), berlin(2026, 1, 6, 0))
    ]
    whole_week = cover(("mon-sun", "00:00", "24:00"))
    assert intervals(whole_week, utc(2026, 1, 1), utc(2026, 5, 1)) == [
        (utc(2026, 1, 1), utc(2026, 5, 1))
    ]


def test_24_00_end_covers_to_midnight():
    evenings = cover(("mon", "18:00", "24:00"))
    assert is_covered(evenings, berlin(2026, 1, 5, 23, 59, 59))
    assert not is_covered(evenings, berlin(2026, 1, 6, 0, 0))


def test_fri_mon_wraps_over_the_weekend():
    weekend = cover(("fri-mon", "00:00", "24:00"))
    assert is_covered(weekend, berlin(2026, 1, 9, 0, 0))  # Friday
    assert is_covered(weekend, berlin(2026, 1, 11, 12, 0))  # Sunday
    assert is_covered(weekend, berlin(2026, 1, 12, 23, 59))  # Monday
    assert not is_covered(weekend, berlin(2026, 1, 13, 0, 0))  # Tuesday
    assert intervals(weekend, berlin(2026, 1, 5), berlin(2026, 1, 12)) == [
        (berlin(2026, 1, 5), berlin(2026, 1, 6)),
        (berlin(2026, 1, 9), berlin(2026, 1, 12)),
    ]


def test_next_covered_from_friday_evening_is_monday_0900_local():
    at = berlin(2026, 1, 9, 18, 0)  # Friday
    assert next_covered(OFFICE, at) == berlin(2026, 1, 12, 9, 0)
    # the weekend the clocks go forward: Monday 09:00 CEST is 07:00 UTC
    assert next_covered(OFFICE, berlin(2026, 3, 27, 18, 0)) == utc(2026, 3, 30, 7, 0)
    # covered now: now
    assert next_covered(OFFICE, berlin(2026, 1, 9, 16, 0)) == berlin(2026, 1, 9, 16, 0)


def test_next_covered_for_a_once_a_week_window_finds_next_week():
    monday_morning = cover(("mon", "09:00", "10:00"))
    assert next_covered(monday_morning, berlin(2026, 1, 5, 10, 0)) == berlin(2026, 1, 12, 9, 0)


def test_next_covered_gives_up_when_nothing_covers():
    # a window that only exists inside skipped time never covers anything
    never = cover(("sun", "02:00", "02:30"))
    assert next_covered(never, berlin(2026, 3, 28, 12, 0)) == utc(2026, 4, 5, 0, 0)
    assert intervals(never, utc(2026, 3, 28), utc(2026, 3, 30)) == []


def test_aware_instants_only():
    with pytest.raises(ValueError, match="timezone-aware"):
        is_covered(OFFICE, datetime(2026, 1, 5, 9, 0))


# -- gaps -------------------------------------------------------------------------------------


def test_office_hours_plus_a_24_7_rotation_leave_no_gap():
    assert gaps([OFFICE, ALWAYS], utc(2026, 1, 1), utc(2027, 1, 1)) == []


def test_gaps_name_the_time_nobody_covers():
    evenings = cover(("mon-fri", "17:00", "22:00"), ("sat", "09:00", "18:00"))
    week = gaps([OFFICE, evenings], berlin(2026, 1, 5), berlin(2026, 1, 12))
    assert week[0] == (berlin(2026, 1, 5, 0, 0), berlin(2026, 1, 5, 9, 0))
    assert week[1] == (berlin(2026, 1, 5, 22, 0), berlin(2026, 1, 6, 9, 0))
    assert week[-2] == (berlin(2026, 1, 9, 22, 0), berlin(2026, 1, 10, 9, 0))
    assert week[-1] == (berlin(2026, 1, 10, 18, 0), berlin(2026, 1, 12, 0, 0))  # Sat 18:00 ->
    weekend = gaps([OFFICE, evenings], berlin(2026, 1, 10, 12), berlin(2026, 1, 12, 12))
    assert weekend == [(berlin(2026, 1, 10, 18, 0), berlin(2026, 1, 12, 9, 0))]


def test_gaps_with_no_coverages_is_the_whole_range():
    assert gaps([], utc(2026, 1, 1), utc(2026, 1, 2)) == [(utc(2026, 1, 1), utc(2026, 1, 2))]
    assert gaps([OFFICE], utc(2026, 1, 2), utc(2026, 1, 1)) == []


def test_rotations_in_different_zones_cover_each_other():
    sydney = cover(("mon-fri", "09:00", "17:00"), zone=ZoneInfo("Australia/Sydney"))
    new_york = cover(("mon-fri", "09:00", "17:00"), zone=ZoneInfo("America/New_York"))
    both = union([intervals(OFFICE, utc(2026, 1, 5), utc(2026, 1, 6))] * 2)
    assert both == intervals(OFFICE, utc(2026, 1, 5), utc(2026, 1, 6))
    # Tuesday 6 Jan in UTC: Sydney's Tuesday 09-17 AEDT is Mon 22:00-Tue 06:00, Berlin
    # 08-16, New York 14-22, then Sydney's Wednesday starts at 22:00: only 06-08 is open
    left = gaps([OFFICE, sydney, new_york], utc(2026, 1, 6), utc(2026, 1, 7))
    assert left == [(utc(2026, 1, 6, 6), utc(2026, 1, 6, 8))]
    # Friday 9 Jan: after New York closes at 22:00 UTC nobody is back before Monday
    weekend = gaps([OFFICE, sydney, new_york], utc(2026, 1, 9, 12), utc(2026, 1, 12, 12))
    assert weekend == [
        (utc(2026, 1, 9, 22), utc(2026, 1, 11, 22)),  # until Sydney's Monday 09:00
        (utc(2026, 1, 12, 6), utc(2026, 1, 12, 8)),
    ]


def test_union_merges_overlapping_and_touching_intervals():
    a = [(utc(2026, 1, 1, 1), utc(2026, 1, 1, 3)), (utc(2026, 1, 1, 5), utc(2026, 1, 1, 6))]
    b = [(utc(2026, 1, 1, 2), utc(2026, 1, 1, 4)), (utc(2026, 1, 1, 6), utc(2026, 1, 1, 7))]
    assert union([a, b]) == [
        (utc(2026, 1, 1, 1), utc(2026, 1, 1, 4)),
        (utc(2026, 1, 1, 5), utc(2026, 1, 1, 7)),
    ]
    assert union([]) == []


# -- DST --------------------------------------------------------------------------------------


def test_office_hours_stay_local_across_the_spring_change():
    week = intervals(OFFICE, berlin(2026, 3, 23), berlin(2026, 4, 4))
    assert week[4] == (utc(2026, 3, 27, 8), utc(2026, 3, 27, 16))  # Friday, CET
    assert week[5] == (utc(2026, 3, 30, 7), utc(2026, 3, 30, 15))  # Monday, CEST


def test_a_window_over_the_skipped_hour_is_shorter():
    night = cover(("sun", "01:00", "04:00"))
    spring = intervals(night, utc(2026, 3, 28), utc(2026, 3, 30))
    assert spring == [(utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 2, 0))]  # two real hours
    starts_in_gap = cover(("sun", "02:30", "05:00"))
    assert intervals(starts_in_gap, utc(2026, 3, 28), utc(2026, 3, 30)) == [
        (utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 3, 0))  # from 03:00 CEST
    ]
    ends_in_gap = cover(("sun", "00:00", "02:30"))
    assert intervals(ends_in_gap, utc(2026, 3, 28), utc(2026, 3, 30)) == [
        (utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 1, 0))  # until 03:00 CEST
    ]


def test_a_window_over_the_repeated_hour_is_longer_and_bounds_take_the_first_time():
    night = cover(("sun", "01:00", "04:00"))
    autumn = intervals(night, utc(2026, 10, 24), utc(2026, 10, 26))
    assert autumn == [(utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 3, 0))]  # four real hours
    ends_in_repeat = cover(("sun", "01:00", "02:30"))
    assert intervals(ends_in_repeat, utc(2026, 10, 24), utc(2026, 10, 26)) == [
        (utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 0, 30))  # until the first 02:30 (CEST)
    ]
    assert not is_covered(ends_in_repeat, utc(2026, 10, 25, 1, 15))  # the second 02:15 (CET)
    starts_in_repeat = cover(("sun", "02:30", "04:00"))
    assert intervals(starts_in_repeat, utc(2026, 10, 24), utc(2026, 10, 26)) == [
        (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 3, 0))
    ]


def test_sydney_office_hours_in_both_directions():
    sydney = ZoneInfo("Australia/Sydney")
    office = cover(("mon-fri", "09:00", "17:00"), zone=sydney)
    april = intervals(office, utc(2026, 4, 1, 12), utc(2026, 4, 6, 12))  # DST ends Sun 5 April
    assert april[0] == (utc(2026, 4, 1, 22), utc(2026, 4, 2, 6))  # Thu, +11
    assert april[-1] == (utc(2026, 4, 5, 23), utc(2026, 4, 6, 7))  # Mon, +10
    october = intervals(office, utc(2026, 10, 1, 12), utc(2026, 10, 5, 12))  # DST starts Sun 4 Oct
    assert october[-1] == (utc(2026, 10, 4, 22), utc(2026, 10, 5, 6))  # Mon, +11


# -- overlapping windows ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("windows", "expected"),
    [
        ([("mon-fri", "09:00", "17:00"), ("sat,sun", "10:00", "14:00")], []),
        ([("mon-fri", "09:00", "12:00"), ("mon-fri", "12:00", "17:00")], []),  # touching
        (
            [("mon-fri", "09:00", "17:00"), ("wed", "16:00", "18:00")],
            ["mon-fri 09:00-17:00 overlaps wed 16:00-18:00 (wed 16:00-17:00)"],
        ),
        (
            [("sun", "22:00", "02:00"), ("mon", "01:00", "03:00")],
            ["sun 22:00-02:00 overlaps mon 01:00-03:00 (mon 01:00-02:00)"],
        ),
        (
            [("fri", "18:00", "24:00"), ("fri-mon", "20:00", "08:00")],
            ["fri 18:00-24:00 overlaps fri-mon 20:00-08:00 (fri 20:00-24:00)"],
        ),
        (
            [("mon", "22:00", "06:00"), ("tue", "05:00", "07:00"), ("tue", "00:00", "01:00")],
            [
                "mon 22:00-06:00 overlaps tue 05:00-07:00 (tue 05:00-06:00)",
                "mon 22:00-06:00 overlaps tue 00:00-01:00 (tue 00:00-01:00)",
            ],
        ),
    ],
)
def test_overlapping_windows(windows, expected):
    assert overlapping_windows([parse_window(*w) for w in windows]) == expected


# -- properties -------------------------------------------------------------------------------

clock = st.integers(0, 47).map(lambda half_hours: half_hours * 30)


@st.composite
def windows(draw):
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    start = draw(st.integers(0, 1439))
    end = draw(st.integers(1, 1440).filter(lambda e: e != start))
    if draw(st.booleans()):  # on the half hour, where clock changes happen
        start, end = draw(clock), draw(clock.map(lambda m: m or 1440))
        if start == end:
            end = (start + 60) % 1440 or 1440
    return Window(days, start, end)


@st.composite
def cases(draw):
    name = draw(zone_names)
    coverage = Coverage(tuple(draw(st.lists(windows(), max_size=3))), ZoneInfo(name))
    start = draw(instants_for(name)) - timedelta(hours=draw(st.integers(0, 48)))
    end = start + timedelta(minutes=draw(st.integers(1, 10 * 24 * 60)))
    return coverage, start, end


@settings(max_examples=150, deadline=None)
@given(cases(), st.data())
def test_intervals_agree_with_is_covered(case, data):
    coverage, start, end = case
    found = intervals(coverage, start, end)
    for s, e in found:
        assert start <= s < e <= end
        assert s.tzinfo is UTC and e.tzinfo is UTC
    for (_, e1), (s2, _) in zip(found, found[1:], strict=False):
        assert e1 < s2  # ordered, merged
    points = {start, end - timedelta(microseconds=1)}
    for s, e in found:
        points |= {s, e, s - timedelta(microseconds=1), e - timedelta(microseconds=1)}
    span = int((end - start).total_seconds())
    points |= {start + timedelta(seconds=data.draw(st.integers(0, span - 1))) for _ in range(8)}
    for t in points:
        if start <= t < end:
            assert is_covered(coverage, t) == any(s <= t < e for s, e in found), t


@settings(max_examples=100, deadline=None)
@given(cases())
def test_gaps_and_intervals_partition_the_range(case):
    coverage, start, end = case
    covered = intervals(coverage, start, end)
    holes = gaps([coverage], start, end)
    pieces = sorted(covered + holes)
    assert pieces[0][0] == start and pieces[-1][1] == end
    for (_, e1), (s2, _) in zip(pieces, pieces[1:], strict=False):
        assert e1 == s2
    assert gaps([coverage, Coverage((), coverage.zone)], start, end) == []


@settings(max_examples=100, deadline=None)
@given(cases())
def test_next_covered_is_the_first_covered_instant(case):
    coverage, at, _ = case
    found = next_covered(coverage, at)
    if found is None:
        assert intervals(coverage, at, at + timedelta(days=8)) == []
        return
    assert found >= at
    assert is_covered(coverage, found)
    assert intervals(coverage, at, found) == []
    if is_covered(coverage, at):
        assert found == at


@settings(max_examples=100, deadline=None)
@given(st.lists(windows(), min_size=2, max_size=4), st.data())
def test_windows_reported_as_overlapping_share_local_time(ws, data):
    # in UTC, where nothing shifts, overlapping windows cover some instant twice
    problems = overlapping_windows(ws)
    week = (utc(2024, 1, 1), utc(2024, 1, 15))  # a Monday, two weeks
    single = [intervals(Coverage((w,), UTC_ZONE), *week) for w in ws]
    total = sum((e - s for found in single for s, e in found), timedelta(0))
    merged = sum((e - s for s, e in union(single)), timedelta(0))
    assert bool(problems) == (merged < total)


UTC_ZONE = ZoneInfo("UTC")
