"""`UTCDateTime` on SQLite converts in one step each way, and stores exactly the text
SQLAlchemy's own DATETIME stores for the same instant in UTC: rows written before and after
compare and sort as they always did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from bot.store.tables import UTCDateTime

SQLITE = sqlite.dialect()
OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
AWARE = st.datetimes(
    min_value=datetime(1000, 1, 2), max_value=datetime(9998, 12, 30), timezones=OFFSETS
)


def write(value):
    return UTCDateTime().bind_processor(SQLITE)(value)


def read(text):
    return UTCDateTime().result_processor(SQLITE, None)(text)


@given(AWARE)
def test_the_text_stored_is_sqlalchemys_datetime_text_in_utc(value):
    core = sa.DateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    assert write(value) == core(value.astimezone(UTC).replace(tzinfo=None))


@given(AWARE)
def test_what_is_stored_reads_back_as_the_same_instant_in_utc(value):
    back = read(write(value))
    assert back == value and back.tzinfo is UTC
    core = sa.DateTime().dialect_impl(SQLITE).result_processor(SQLITE, None)
    assert back == core(write(value)).replace(tzinfo=UTC)  # as SQLAlchemy reads it


@given(st.lists(AWARE, min_size=1, max_size=6), st.lists(st.integers(0, 5), max_size=12))
def test_each_value_bound_is_its_own_text_whatever_was_bound_before(values, picks):
    """The last text is kept for the same object bound again (a change's `at` in several
    columns): equal wall clocks in other zones, and values bound again, still convert."""
    order = values + [values[i % len(values)] for i in picks]
    assert [write(v) for v in order] == [
        v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") for v in order
    ]


def test_text_written_by_hand_reads_as_utc():
    assert read("2026-03-02 08:00:00") == datetime(2026, 3, 2, 8, tzinfo=UTC)
    assert read("2026-03-02T09:00:00.5+01:00") == datetime(2026, 3, 2, 8, 0, 0, 500000, tzinfo=UTC)
    assert read(None) is None and write(None) is None


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="naive"):
        write(datetime(2026, 3, 2, 9))


def test_postgresql_keeps_sqlalchemys_conversions():
    value = datetime(2026, 3, 2, 9, tzinfo=timezone(timedelta(hours=1)))
    process = UTCDateTime().bind_processor(postgresql.dialect())
    assert (process(value) if process else value) == value  # aware, for timestamptz
