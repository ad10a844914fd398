"""Deleting old rows in steps (`bot.store.retention`), on a real SQLite file: the bound that
`first_id_since` finds by bisecting the primary key splits old rows from recent ones exactly
when times grow with the ids (whatever gaps deletions left), and with the time's own test beside it no
recent row is ever deleted, even where two clocks crossed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from bot.store.retention import delete_oldest, first_id_since
from bot.store.tables import UTCDateTime

METADATA = sa.MetaData()
ROWS = sa.Table(
    "rows",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False),
)
T0 = datetime(2026, 1, 1, tzinfo=UTC)
GAPS = st.lists(st.integers(1, 4), max_size=40)  # between ids: rows deleted before
STEPS = st.lists(st.integers(-2, 3), max_size=40)  # between times, in minutes


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    made = sa.create_engine(f"sqlite:///{tmp_path_factory.mktemp('retention') / 'rows.db'}")
    METADATA.create_all(made)
    yield made
    made.dispose()


def stored(conn, gaps: list[int], steps: list[int], growing: bool) -> list[tuple[int, datetime]]:
    """Rows with ids `gaps` apart and times `steps` minutes apart (never back, if `growing`)."""
    conn.execute(sa.delete(ROWS))
    ids = [sum(gaps[: n + 1]) for n in range(len(gaps))]
    minutes = [sum(abs(s) if growing else s for s in steps[: n + 1]) for n in range(len(ids))]
    made = [(i, T0 + timedelta(minutes=m)) for i, m in zip(ids, minutes, strict=False)]
    if made:
        conn.execute(sa.insert(ROWS), [{"id": i, "at": at} for i, at in made])
    return made


@given(GAPS, STEPS, st.integers(-5, 130))
def test_the_bound_splits_the_rows_at_the_time(engine, gaps, steps, since_minute):
    since = T0 + timedelta(minutes=since_minute)
    with engine.begin() as conn:
        made = stored(conn, gaps, steps, growing=True)
        found = first_id_since(conn, ROWS, ROWS.c.at, since)
    assert [i for i, _ in made if i < found] == [i for i, at in made if at < since]


@given(GAPS, STEPS, st.integers(-5, 130), st.booleans(), st.integers(1, 50))
def test_deleting_below_the_bound_never_takes_a_recent_row(
    engine, gaps, steps, since_minute, growing, most
):
    """In steps of `most`: where times grow with ids every old row goes; where clocks
    crossed, some old rows may wait for another day, but no recent one goes."""
    since = T0 + timedelta(minutes=since_minute)
    with engine.begin() as conn:
        made = stored(conn, gaps, steps, growing)
        while True:
            bound = first_id_since(conn, ROWS, ROWS.c.at, since)
            old = sa.and_(ROWS.c.id < bound, ROWS.c.at < since)
            if delete_oldest(conn, ROWS, old, (ROWS.c.id,), most) < most:
                break
        left = set(conn.execute(sa.select(ROWS.c.id)).scalars())
    assert {i for i, at in made if at >= since} <= left
    if growing:
        assert left == {i for i, at in made if at >= since}
