"""Escalation policy: levels in order, the chain repeated, waits, and the JSON snapshot."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.escalation import EMPTY, Level, Policy
from bot.core.targets import Target

PRIMARY = Target("rotation", "primary")
OPS = Target("rotation", "platform-ops")
LEAD = Target("user", "U0LEAD")
PRODUCT = Target("group", "S0PRODUCT")
MAIL = Target("email", "boss@example.com")

L1 = Level((PRIMARY,))
L2 = Level((OPS, LEAD))
L3 = Level((PRODUCT,), after=timedelta(minutes=30))
EXAMPLE = Policy(levels=(L1, L2, L3), repeat=1)


@pytest.mark.parametrize(
    ("levels", "repeat", "steps"),
    [(1, 0, 1), (3, 0, 3), (3, 1, 6), (2, 2, 6), (1, 10, 11), (4, 3, 16)],
)
def test_steps_counts_every_notification(levels, repeat, steps):
    policy = Policy(levels=tuple(Level((LEAD,)) for _ in range(levels)), repeat=repeat)
    assert policy.steps == steps


def test_repeat_defaults_to_zero():
    assert Policy(levels=(L1, L2)).repeat == 0
    assert Policy(levels=(L1, L2)).steps == 2


@pytest.mark.parametrize(
    ("index", "level"), [(0, L1), (1, L2), (2, L3), (3, L1), (4, L2), (5, L3), (6, L1)]
)
def test_level_wraps_around_across_repeats(index, level):
    assert EXAMPLE.level(index) is level


def test_level_four_is_the_second_level_of_the_second_pass():
    assert EXAMPLE.level(4).targets == (OPS, LEAD)


@pytest.mark.parametrize(
    ("index", "expected"), [(0, True), (1, True), (4, True), (5, False), (6, False), (100, False)]
)
def test_has_next(index, expected):
    assert EXAMPLE.has_next(index) is expected


def test_single_level_without_repeat_has_no_next():
    policy = Policy(levels=(L1,))
    assert policy.has_next(0) is False


def test_repeat_gives_a_single_level_a_next():
    policy = Policy(levels=(L1,), repeat=2)
    assert [policy.has_next(i) for i in range(4)] == [True, True, False, False]


def test_wait_uses_ack_within_when_the_next_level_sets_no_after():
    ack = timedelta(minutes=15)
    assert EXAMPLE.wait(0, ack) == ack  # level 2 sets no `after`
    assert EXAMPLE.wait(2, ack) == ack  # level 1 of the second pass sets none
    assert EXAMPLE.wait(3, ack) == ack


def test_a_levels_after_is_the_wait_before_it_is_called():
    ack = timedelta(hours=4)
    assert EXAMPLE.wait(1, ack) == timedelta(minutes=30)  # level 3 is called 30m after level 2
    assert EXAMPLE.wait(4, ack) == timedelta(minutes=30)  # same, second pass


def test_after_the_last_level_the_wait_is_ack_within():
    ack = timedelta(hours=4)
    assert EXAMPLE.wait(EXAMPLE.steps - 1, ack) == ack


def test_wait_can_be_longer_than_ack_within():
    policy = Policy(levels=(Level((LEAD,)), Level((LEAD,), after=timedelta(hours=2))))
    assert policy.wait(0, timedelta(minutes=15)) == timedelta(hours=2)


def test_empty_policy_is_one_level_with_nobody():
    assert EMPTY.levels == (Level(targets=()),)
    assert EMPTY.repeat == 0
    assert EMPTY.steps == 1
    assert EMPTY.level(0).targets == ()
    assert EMPTY.has_next(0) is False
    assert EMPTY.wait(0, timedelta(hours=1)) == timedelta(hours=1)


def test_policy_and_level_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        EXAMPLE.repeat = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        L1.after = timedelta(1)  # type: ignore[misc]


def test_to_json_shape():
    assert EXAMPLE.to_json() == {
        "repeat": 1,
        "levels": [
            {"targets": ["rotation:primary"], "after": None},
            {"targets": ["rotation:platform-ops", "user:U0LEAD"], "after": None},
            {"targets": ["group:S0PRODUCT"], "after": 1800},
        ],
    }


def test_from_json_reads_the_snapshot():
    data = {
        "repeat": 2,
        "levels": [
            {"targets": ["rotation:primary", "email:boss@example.com"], "after": 600},
            {"targets": ["user:U0LEAD"], "after": None},
        ],
    }
    assert Policy.from_json(data) == Policy(
        levels=(Level((PRIMARY, MAIL), timedelta(minutes=10)), Level((LEAD,))), repeat=2
    )


def test_from_json_defaults_repeat_and_after():
    policy = Policy.from_json({"levels": [{"targets": ["@U0LEAD"]}]})
    assert policy == Policy(levels=(Level((LEAD,)),), repeat=0)


def test_from_json_rejects_bad_targets():
    with pytest.raises(ValueError, match="is not a target"):
        Policy.from_json({"levels": [{"targets": ["nobody"]}]})


def test_empty_round_trips():
    assert EMPTY.to_json() == {"repeat": 0, "levels": [{"targets": [], "after": None}]}
    assert Policy.from_json(EMPTY.to_json()) == EMPTY


def test_json_is_plain_data():
    import json

    assert Policy.from_json(json.loads(json.dumps(EXAMPLE.to_json()))) == EXAMPLE


targets = st.one_of(
    st.from_regex(r"U[A-Z0-9]{2,8}", fullmatch=True).map(lambda v: Target("user", v)),
    st.from_regex(r"S[A-Z0-9]{2,8}", fullmatch=True).map(lambda v: Target("group", v)),
    st.from_regex(r"[a-z0-9][a-z0-9_-]{0,10}", fullmatch=True).map(lambda v: Target("rotation", v)),
    st.from_regex(r"[a-z0-9.]{1,8}@[a-z0-9]{1,8}\.[a-z]{2,4}", fullmatch=True).map(
        lambda v: Target("email", v)
    ),
)
levels = st.builds(
    Level,
    targets=st.lists(targets, max_size=4).map(tuple),
    after=st.none() | st.integers(1, 366 * 86400).map(lambda s: timedelta(seconds=s)),
)
policies = st.builds(
    Policy,
    levels=st.lists(levels, min_size=1, max_size=5).map(tuple),
    repeat=st.integers(0, 10),
)


@settings(max_examples=150, deadline=None)
@given(policies)
def test_json_round_trip(policy):
    assert Policy.from_json(policy.to_json()) == policy


@settings(max_examples=150, deadline=None)
@given(policies, st.integers(0, 200), st.integers(1, 86400))
def test_level_has_next_and_wait_agree(policy, index, ack_seconds):
    ack = timedelta(seconds=ack_seconds)
    assert policy.level(index) == policy.levels[index % len(policy.levels)]
    assert policy.has_next(index) == (index < policy.steps - 1)
    after = policy.level(index + 1).after if policy.has_next(index) else None
    assert policy.wait(index, ack) == (after if after is not None else ack)
    assert policy.wait(index, ack) > timedelta(0)
