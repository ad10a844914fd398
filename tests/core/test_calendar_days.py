"""The calendar's local days: midnight to midnight on the zone's wall clock (23 or 25 hours
when the clocks change, later than midnight when midnight is skipped), back to back, and a
shift touches exactly the days it shares an instant with."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.calendar_days import days, touched
from bot.core.rotation import Shift
from tests.support.zones import instants_for, wall, zone_names

BERLIN = ZoneInfo("Europe/Berlin")


def test_the_days_the_clocks_change_in_berlin_last_23_and_25_hours():
    spring = days(datetime(2026, 3, 27, 12, tzinfo=UTC), 4, BERLIN)
    assert [d.date for d in spring] == [date(2026, 3, n) for n in (27, 28, 29, 30)]
    assert [d.ends_at - d.starts_at for d in spring] == [
        timedelta(hours=h) for h in (24, 24, 23, 24)
    ]
    assert spring[2].starts_at == datetime(2026, 3, 28, 23, tzinfo=UTC)  # 00:00 CET
    autumn = days(datetime(2026, 10, 24, 22, 30, tzinfo=UTC), 2, BERLIN)  # 00:30 CEST on the 25th
    assert autumn[0].date == date(2026, 10, 25)
    assert autumn[0].ends_at - autumn[0].starts_at == timedelta(hours=25)


def test_a_skipped_midnight_begins_its_day_at_the_end_of_the_jump():
    santiago = ZoneInfo("America/Santiago")  # 6 September 2026: 00:00 becomes 01:00
    [saturday, sunday] = days(datetime(2026, 9, 5, 15, tzinfo=UTC), 2, santiago)
    assert wall(sunday.starts_at, santiago) == datetime(2026, 9, 6, 1, 0)
    assert saturday.ends_at == sunday.starts_at
    assert sunday.ends_at - sunday.starts_at == timedelta(hours=23)


def test_a_day_skipped_whole_is_empty_and_touched_by_nothing():
    apia = ZoneInfo("Pacific/Apia")  # went from 29 to 31 December 2011
    [before, skipped, after] = days(datetime(2011, 12, 29, 12, tzinfo=UTC), 3, apia)
    assert skipped.date == date(2011, 12, 30) and skipped.starts_at == skipped.ends_at
    assert before.ends_at == after.starts_at
    shift = Shift("primary", "U0AAA", before.starts_at, after.ends_at, 0)
    assert touched(shift, [before, skipped, after]) == (True, False, True)


def test_a_shift_touches_the_days_it_shares_an_instant_with():
    columns = days(datetime(2026, 3, 27, 12, tzinfo=UTC), 4, BERLIN)
    handoff = datetime(2026, 3, 30, 7, tzinfo=UTC)  # Monday 09:00 CEST
    shift = Shift("primary", "U0AAA", datetime(2026, 3, 23, 8, tzinfo=UTC), handoff, 11)
    assert touched(shift, columns) == (True, True, True, True)
    ends_at_midnight = Shift("primary", "U0AAA", shift.starts_at, columns[2].starts_at, 11)
    assert touched(ends_at_midnight, columns) == (True, True, False, False)


def test_a_midnight_that_happens_twice_begins_its_day_the_second_time():
    st_johns = ZoneInfo("America/St_Johns")  # 00:01 NDT on 29 Oct 2000 became 23:01 NST
    [saturday, sunday] = days(datetime(2000, 10, 29, 2, 31, tzinfo=UTC), 2, st_johns)
    assert saturday.date == date(2000, 10, 28)
    assert saturday.ends_at == sunday.starts_at == datetime(2000, 10, 29, 3, 30, tzinfo=UTC)
    [lent] = days(datetime(2000, 10, 29, 2, 30, 30, tzinfo=UTC), 1, st_johns)
    assert lent.date == date(2000, 10, 28)


@settings(max_examples=150, deadline=None)
@given(zone_names.flatmap(lambda name: st.tuples(st.just(name), instants_for(name))))
def test_days_are_back_to_back_local_dates_in_any_zone(drawn):
    name, at = drawn
    zone = ZoneInfo(name)
    found = days(at, 14, zone)
    assert found[0].starts_at <= at < found[0].ends_at
    for day, following in zip(found, found[1:], strict=False):
        assert day.ends_at == following.starts_at
        assert following.date == day.date + timedelta(days=1)
    for day in (d for d in found if d.starts_at < d.ends_at):  # a skipped day is empty
        assert wall(day.starts_at, zone).date() == day.date
        assert wall(day.ends_at - timedelta(seconds=1), zone).date() == day.date
