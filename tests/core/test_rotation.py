"""Rotations: who is on call, the timeline of shifts, and overrides cut into it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.rotation import (
    Override,
    RotationSpec,
    Shift,
    handoff,
    next_shifts,
    on_call,
    shift_at,
    shifts,
)
from tests.support.zones import instants_for, wall, zone_names

BERLIN = ZoneInfo("Europe/Berlin")
MEMBERS = ("U0AAA", "U0BBB", "U0CCC")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def primary(members=MEMBERS) -> RotationSpec:
    return RotationSpec("primary", members, timedelta(weeks=1), datetime(2026, 1, 5, 9, 0), BERLIN)


def override(id, user, starts_at, ends_at, created_at=T0, rotation="primary") -> Override:
    return Override(id, rotation, user, starts_at, ends_at, created_at)


# -- the schedule -----------------------------------------------------------------------------


def test_members_take_turns_from_the_first_handoff():
    spec = primary()
    assert handoff(spec, 0) == utc(2026, 1, 5, 8, 0)
    assert shift_at(spec, utc(2026, 1, 5, 8, 0)) == Shift(
        "primary", "U0AAA", utc(2026, 1, 5, 8, 0), utc(2026, 1, 12, 8, 0), 0
    )
    assert shift_at(spec, utc(2026, 1, 12, 7, 59, 59)).user == "U0AAA"
    assert shift_at(spec, utc(2026, 1, 12, 8, 0)).user == "U0BBB"
    assert shift_at(spec, utc(2026, 1, 20, 0, 0)).user == "U0CCC"
    assert shift_at(spec, utc(2026, 1, 26, 8, 0)).user == "U0AAA"


def test_the_rotation_extends_backwards_before_its_start():
    spec = primary()
    before = shift_at(spec, utc(2026, 1, 5, 7, 59))
    assert (before.index, before.user) == (-1, "U0CCC")
    assert before.starts_at == utc(2025, 12, 29, 8, 0)
    assert before.ends_at == utc(2026, 1, 5, 8, 0)
    long_ago = shift_at(spec, utc(2020, 6, 1, 12, 0))
    assert long_ago.index < 0
    assert long_ago.user == MEMBERS[long_ago.index % 3]
    assert wall(long_ago.starts_at, BERLIN).strftime("%a %H:%M") == "Mon 09:00"


def test_shift_at_accepts_any_aware_instant_and_answers_in_utc():
    spec = primary()
    local = datetime(2026, 7, 6, 9, 0, tzinfo=BERLIN)  # a handoff, given in local time
    shift = shift_at(spec, local)
    assert shift.starts_at == local
    assert shift.starts_at.tzinfo is UTC and shift.ends_at.tzinfo is UTC


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        shift_at(primary(), datetime(2026, 1, 5, 9, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        override(1, "U0X", datetime(2026, 1, 5), utc(2026, 1, 6))


@pytest.mark.parametrize(
    ("members", "shift", "start", "message"),
    [
        ((), timedelta(weeks=1), datetime(2026, 1, 5), "at least one member"),
        (("a",), timedelta(0), datetime(2026, 1, 5), "longer than zero"),
        (("a",), timedelta(hours=-1), datetime(2026, 1, 5), "longer than zero"),
        (("a",), timedelta(weeks=1), datetime(2026, 1, 5, tzinfo=UTC), "local wall time"),
    ],
)
def test_bad_rotation_specs_are_refused(members, shift, start, message):
    with pytest.raises(ValueError, match=message):
        RotationSpec("r", members, shift, start, BERLIN)


def test_an_override_must_end_after_it_starts():
    with pytest.raises(ValueError, match="ends_at must be after starts_at"):
        override(1, "U0X", utc(2026, 1, 6), utc(2026, 1, 6))


def test_overrides_are_kept_in_utc():
    o = override(1, "U0X", datetime(2026, 1, 6, 9, tzinfo=BERLIN), utc(2026, 1, 7))
    assert o.starts_at == utc(2026, 1, 6, 8, 0) and o.starts_at.tzinfo is UTC


def test_shift_at_jumps_straight_to_the_shift(monkeypatch):
    # O(1): a handful of handoffs are computed, however far the instant is from the start
    import bot.core.rotation as rotation

    calls = []
    real = rotation.handoff
    monkeypatch.setattr(rotation, "handoff", lambda spec, k: calls.append(k) or real(spec, k))
    hourly = RotationSpec("h", MEMBERS, timedelta(hours=1), datetime(2026, 1, 5, 9, 0), BERLIN)
    for at in (utc(2040, 3, 25, 1, 30), utc(2000, 10, 29, 1, 30), utc(2033, 6, 1, 12, 0)):
        calls.clear()
        shift = rotation.shift_at(hourly, at)
        assert shift.starts_at <= at < shift.ends_at
        assert 2 <= len(calls) <= 4


# -- overrides --------------------------------------------------------------------------------


def test_an_override_wins_over_the_schedule_and_ends_back_on_it():
    spec = primary()
    o = override(7, "U0ZZZ", utc(2026, 1, 7, 12), utc(2026, 1, 8, 12))
    during = on_call(spec, [o], utc(2026, 1, 8, 0))
    assert during == Shift("primary", "U0ZZZ", utc(2026, 1, 7, 12), utc(2026, 1, 8, 12), 0, 7)
    assert during.is_override
    before = on_call(spec, [o], utc(2026, 1, 6))
    assert (before.user, before.override_id) == ("U0AAA", None)
    assert (before.starts_at, before.ends_at) == (utc(2026, 1, 5, 8), utc(2026, 1, 7, 12))
    after = on_call(spec, [o], utc(2026, 1, 9))
    assert (after.user, after.starts_at, after.ends_at) == (
        "U0AAA",
        utc(2026, 1, 8, 12),
        utc(2026, 1, 12, 8),
    )


def test_overrides_of_other_rotations_do_not_count():
    spec = primary()
    other = override(1, "U0ZZZ", utc(2026, 1, 1), utc(2026, 2, 1), rotation="platform-ops")
    assert on_call(spec, [other], utc(2026, 1, 8)) == shift_at(spec, utc(2026, 1, 8))


def test_the_most_recently_created_override_wins():
    spec = primary()
    old = override(1, "U0OLD", utc(2026, 1, 6), utc(2026, 1, 10), created_at=utc(2026, 1, 1))
    new = override(2, "U0NEW", utc(2026, 1, 7), utc(2026, 1, 8), created_at=utc(2026, 1, 2))
    for order in ([old, new], [new, old]):
        assert on_call(spec, order, utc(2026, 1, 7, 12)).user == "U0NEW"
        early = on_call(spec, order, utc(2026, 1, 6, 12))
        assert (early.user, early.starts_at, early.ends_at) == (
            "U0OLD",
            utc(2026, 1, 6),
            utc(2026, 1, 7),  # cut where the newer override takes over
        )
        late = on_call(spec, order, utc(2026, 1, 9))
        assert (late.user, late.starts_at, late.ends_at, late.override_id) == (
            "U0OLD",
            utc(2026, 1, 8),  # resumes where the newer one ended
            utc(2026, 1, 10),
            1,
        )


def test_an_older_override_inside_a_newer_one_never_shows():
    spec = primary()
    new = override(1, "U0NEW", utc(2026, 1, 6), utc(2026, 1, 10), created_at=utc(2026, 1, 3))
    old = override(2, "U0OLD", utc(2026, 1, 7), utc(2026, 1, 8), created_at=utc(2026, 1, 2))
    timeline = shifts(spec, [old, new], utc(2026, 1, 5, 8), utc(2026, 1, 12, 8))
    assert [(s.user, s.override_id) for s in timeline] == [
        ("U0AAA", None),
        ("U0NEW", 1),
        ("U0AAA", None),
    ]


def test_equal_creation_times_go_to_the_higher_id():
    spec = primary()
    a = override(3, "U0A", utc(2026, 1, 6), utc(2026, 1, 8))
    b = override(4, "U0B", utc(2026, 1, 6), utc(2026, 1, 8))
    assert on_call(spec, [b, a], utc(2026, 1, 7)).user == "U0B"


def test_an_override_across_a_handoff_is_one_piece():
    spec = primary()
    o = override(5, "U0ZZZ", utc(2026, 1, 10), utc(2026, 1, 14))
    timeline = shifts(spec, [o], utc(2026, 1, 5, 8), utc(2026, 1, 19, 8))
    # the override runs over the Monday 12 Jan handoff without a break; its index is the
    # scheduled shift it began in
    assert [(s.user, s.override_id, s.index) for s in timeline] == [
        ("U0AAA", None, 0),
        ("U0ZZZ", 5, 0),
        ("U0BBB", None, 1),
    ]
    assert timeline[1].starts_at == utc(2026, 1, 10) and timeline[1].ends_at == utc(2026, 1, 14)
    assert timeline[2].starts_at == utc(2026, 1, 14) and timeline[2].ends_at == utc(2026, 1, 19, 8)
    assert on_call(spec, [o], utc(2026, 1, 13)) == timeline[1]


def test_same_user_from_different_sources_stays_apart():
    spec = primary()
    # U0AAA overrides herself in the middle of her own shift: three pieces, not one
    o = override(9, "U0AAA", utc(2026, 1, 6), utc(2026, 1, 7))
    timeline = shifts(spec, [o], utc(2026, 1, 5, 8), utc(2026, 1, 12, 8))
    assert [(s.user, s.override_id) for s in timeline] == [
        ("U0AAA", None),
        ("U0AAA", 9),
        ("U0AAA", None),
    ]
    # two back-to-back overrides for the same person stay two pieces
    a = override(1, "U0Z", utc(2026, 1, 6), utc(2026, 1, 7))
    b = override(2, "U0Z", utc(2026, 1, 7), utc(2026, 1, 8))
    timeline = shifts(spec, [a, b], utc(2026, 1, 6), utc(2026, 1, 8))
    assert [(s.override_id, s.starts_at, s.ends_at) for s in timeline] == [
        (1, utc(2026, 1, 6), utc(2026, 1, 7)),
        (2, utc(2026, 1, 7), utc(2026, 1, 8)),
    ]


def test_a_one_person_rotation_still_hands_off_every_shift():
    spec = primary(members=("U0SOLO",))
    timeline = shifts(spec, [], utc(2026, 1, 5, 8), utc(2026, 1, 26, 8))
    assert [s.index for s in timeline] == [0, 1, 2]
    assert {s.user for s in timeline} == {"U0SOLO"}


def test_shifts_returns_whole_pieces_unless_clipped():
    spec = primary()
    start, end = utc(2026, 1, 7), utc(2026, 1, 20)
    whole = shifts(spec, [], start, end)
    assert [(s.user, s.starts_at, s.ends_at) for s in whole] == [
        ("U0AAA", utc(2026, 1, 5, 8), utc(2026, 1, 12, 8)),
        ("U0BBB", utc(2026, 1, 12, 8), utc(2026, 1, 19, 8)),
        ("U0CCC", utc(2026, 1, 19, 8), utc(2026, 1, 26, 8)),
    ]
    clipped = shifts(spec, [], start, end, clip=True)
    assert clipped[0].starts_at == start and clipped[-1].ends_at == end
    assert [s.user for s in clipped] == ["U0AAA", "U0BBB", "U0CCC"]
    assert shifts(spec, [], end, start) == []
    assert shifts(spec, [], start, start) == []


def test_next_shifts_starts_with_the_current_one():
    spec = primary()
    o = override(1, "U0ZZZ", utc(2026, 1, 13), utc(2026, 1, 14))
    upcoming = next_shifts(spec, [o], utc(2026, 1, 8), 4)
    assert [(s.user, s.override_id) for s in upcoming] == [
        ("U0AAA", None),
        ("U0BBB", None),
        ("U0ZZZ", 1),
        ("U0BBB", None),
    ]
    assert upcoming[0].starts_at == utc(2026, 1, 5, 8)
    assert all(a.ends_at == b.starts_at for a, b in zip(upcoming, upcoming[1:], strict=False))
    assert next_shifts(spec, [o], utc(2026, 1, 8), 0) == []


# -- properties over many zones ---------------------------------------------------------------


@st.composite
def specs(draw, min_minutes=60, max_minutes=14 * 24 * 60):
    """A rotation in a sampled zone, often with a handoff close to a clock change, and an
    instant to look at (often near a clock change too)."""
    name = draw(zone_names)
    zone = ZoneInfo(name)
    shift = timedelta(minutes=draw(st.integers(min_minutes, max_minutes)))
    members = tuple(f"U{i}" for i in range(draw(st.integers(1, 7))))
    anchor = draw(instants_for(name))
    j = draw(st.integers(-500, 500))
    wiggle = timedelta(minutes=draw(st.integers(-90, 90)))
    start = wall(anchor, zone).replace(second=0, microsecond=0) + wiggle - j * shift
    spec = RotationSpec("r", members, shift, start, zone)
    at = anchor + timedelta(seconds=draw(st.integers(-3 * 86400, 3 * 86400)))
    return spec, at


@settings(max_examples=300, deadline=None)
@given(specs())
def test_exactly_one_member_is_on_call_at_any_instant(case):
    spec, at = case
    shift = shift_at(spec, at)
    assert shift.starts_at == handoff(spec, shift.index)
    assert shift.ends_at == handoff(spec, shift.index + 1)
    assert shift.starts_at <= at < shift.ends_at
    assert shift.user == spec.members[shift.index % len(spec.members)]
    assert shift.override_id is None
    # the neighbours touch it: no gap, no overlap
    after = shift_at(spec, shift.ends_at)
    assert after.starts_at == shift.ends_at and after.index > shift.index
    before = shift_at(spec, shift.starts_at - timedelta(microseconds=1))
    assert before.ends_at == shift.starts_at and before.index < shift.index
    # shifts skipped in between are empty (they lie inside skipped time)
    for k in range(shift.index + 1, after.index):
        assert handoff(spec, k) == shift.ends_at


@settings(max_examples=100, deadline=None)
@given(specs(min_minutes=10, max_minutes=120))
def test_short_shifts_around_clock_changes(case):
    spec, at = case
    shift = shift_at(spec, at)
    assert handoff(spec, shift.index) <= at < handoff(spec, shift.index + 1)
    assert shift.starts_at < shift.ends_at


@settings(max_examples=150, deadline=None)
@given(specs(), st.integers(1, 40))
def test_shifts_cover_a_range_contiguously(case, steps):
    spec, start = case
    end = start + steps * spec.shift / 3
    timeline = shifts(spec, [], start, end)
    assert timeline[0].starts_at <= start < timeline[0].ends_at
    assert timeline[-1].starts_at < end <= timeline[-1].ends_at
    for a, b in zip(timeline, timeline[1:], strict=False):
        assert a.ends_at == b.starts_at
        assert a.index < b.index
    for piece in timeline:
        assert piece == shift_at(spec, piece.starts_at)
    clipped = shifts(spec, [], start, end, clip=True)
    assert clipped[0].starts_at == start and clipped[-1].ends_at == end
    assert [s.index for s in clipped] == [s.index for s in timeline]


@st.composite
def with_overrides(draw):
    spec, at = draw(specs())
    overrides = []
    for i in range(draw(st.integers(0, 6))):
        begins = at + timedelta(minutes=draw(st.integers(-3 * 24 * 60, 3 * 24 * 60)))
        length = timedelta(minutes=draw(st.integers(1, 4 * 24 * 60)))
        created = T0 + timedelta(minutes=draw(st.integers(0, 20)))  # ties happen
        user = draw(st.sampled_from(("U0", "U1", "X1", "X2")))
        rotation = draw(st.sampled_from(("r", "r", "r", "other")))
        overrides.append(Override(i + 1, rotation, user, begins, begins + length, created))
    return spec, at, draw(st.permutations(overrides))


def source(spec: RotationSpec, overrides, t: datetime) -> tuple[str, int, str]:
    """Brute force: the most recent override covering t, else the scheduled shift."""
    covering = [o for o in overrides if o.rotation == spec.name and o.starts_at <= t < o.ends_at]
    if covering:
        best = max(covering, key=lambda o: (o.created_at, o.id))
        return ("override", best.id, best.user)
    shift = shift_at(spec, t)
    return ("shift", shift.index, shift.user)


def source_of(piece: Shift) -> tuple[str, int, str]:
    if piece.override_id is not None:
        return ("override", piece.override_id, piece.user)
    return ("shift", piece.index, piece.user)


@settings(max_examples=300, deadline=None)
@given(with_overrides())
def test_on_call_is_the_most_recent_override_or_the_schedule(case):
    spec, at, overrides = case
    got = on_call(spec, overrides, at)
    assert source_of(got) == source(spec, overrides, at)
    assert got.starts_at <= at < got.ends_at
    # the piece is maximal: the same source all through it, another one just outside
    for t in (got.starts_at, got.ends_at - timedelta(microseconds=1)):
        assert source(spec, overrides, t) == source_of(got)
    assert source(spec, overrides, got.ends_at) != source_of(got)
    assert source(spec, overrides, got.starts_at - timedelta(microseconds=1)) != source_of(got)
    assert got.index == shift_at(spec, got.starts_at).index


@settings(max_examples=150, deadline=None)
@given(with_overrides(), st.integers(1, 6 * 24 * 60))
def test_shifts_with_overrides_are_contiguous_and_match_on_call(case, minutes):
    spec, start, overrides = case
    end = start + timedelta(minutes=minutes)
    timeline = shifts(spec, overrides, start, end)
    assert timeline[0].starts_at <= start and timeline[-1].ends_at >= end
    for a, b in zip(timeline, timeline[1:], strict=False):
        assert a.ends_at == b.starts_at  # no gaps, no overlaps
        assert source_of(a) != source_of(b)  # merged only when same user and source
    for piece in timeline:
        assert piece.starts_at < piece.ends_at
        assert on_call(spec, overrides, piece.starts_at) == piece
        middle = piece.starts_at + (piece.ends_at - piece.starts_at) / 2
        assert on_call(spec, overrides, middle) == piece
    # a piece starts exactly where the brute-force source changes, and nowhere else
    starts = {p.starts_at for p in timeline}
    edges = {t for o in overrides for t in (o.starts_at, o.ends_at)} | starts
    for t in edges:
        if start < t < end:
            changes = source(spec, overrides, t) != source(
                spec, overrides, t - timedelta(microseconds=1)
            )
            assert (t in starts) == changes
    assert next_shifts(spec, overrides, start, len(timeline)) == timeline
