"""Targets as written in config: users, e-mails, user groups and rotations."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.targets import Target, parse_target


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rotation:primary", Target("rotation", "primary")),
        ("rotation:platform-ops", Target("rotation", "platform-ops")),
        ("rotation:on_call_2", Target("rotation", "on_call_2")),
        ("rotation:9lives", Target("rotation", "9lives")),
        ("rotation: primary ", Target("rotation", "primary")),
        ("  rotation:primary  ", Target("rotation", "primary")),
        ("group:S0PRODUCT", Target("group", "S0PRODUCT")),
        ("group: S0PRODUCT", Target("group", "S0PRODUCT")),
        ("@U0LEAD", Target("user", "U0LEAD")),
        ("U0LEAD", Target("user", "U0LEAD")),
        ("W0ENTERPRISE", Target("user", "W0ENTERPRISE")),
        ("@W123", Target("user", "W123")),
        ("U12", Target("user", "U12")),
        (" U0AAA ", Target("user", "U0AAA")),
        ("alice@example.com", Target("email", "alice@example.com")),
        ("@product-lead@example.com", Target("email", "product-lead@example.com")),
        ("Alice.Smith@Example.COM", Target("email", "alice.smith@example.com")),
        ("user:U0AAA", Target("user", "U0AAA")),
        ("user:@U0AAA", Target("user", "U0AAA")),
        ("email:bob@example.org", Target("email", "bob@example.org")),
        ("email: Bob@Example.org", Target("email", "bob@example.org")),
    ],
)
def test_parse_target(text, expected):
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    ("target", "text"),
    [
        (Target("user", "U0AAA"), "user:U0AAA"),
        (Target("email", "a@b.io"), "email:a@b.io"),
        (Target("group", "S0X1"), "group:S0X1"),
        (Target("rotation", "primary"), "rotation:primary"),
    ],
)
def test_str_is_kind_colon_value(target, text):
    assert str(target) == text


@pytest.mark.parametrize(
    "target",
    [
        Target("user", "U0AAA"),
        Target("email", "a@b.io"),
        Target("group", "S0X1"),
        Target("rotation", "platform-ops"),
    ],
)
def test_str_parses_back_to_the_same_target(target):
    assert parse_target(str(target)) == target


def test_targets_are_frozen_and_hashable():
    target = Target("user", "U0AAA")
    with pytest.raises(dataclasses.FrozenInstanceError):
        target.value = "U0BBB"  # type: ignore[misc]
    assert {target, Target("user", "U0AAA")} == {target}
    assert Target("user", "U0AAA") != Target("email", "U0AAA")


@pytest.mark.parametrize(
    "text",
    [
        "rotation:Primary",
        "rotation:",
        "rotation:-primary",
        "rotation:prim ary",
        "rotation:prim.ary",
        "rotation:_x",
    ],
)
def test_bad_rotation_names(text):
    with pytest.raises(ValueError) as caught:
        parse_target(text)
    assert str(caught.value) == (
        f"{text.strip()!r}: rotation names are lower-case letters, digits, - and _"
    )


@pytest.mark.parametrize("text", ["group:", "group:s0abc", "group:U0ABC", "group:S0", "group:#ops"])
def test_bad_groups(text):
    with pytest.raises(ValueError) as caught:
        parse_target(text)
    assert str(caught.value) == f"{text!r}: a group is a Slack user-group id like S0PRODUCT"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "bob",
        "@bob",
        "u0abc",
        "U0",
        "U0-ABC",
        "S0PRODUCT",  # a group needs the group: prefix
        "C0CHANNEL",
        "alice@example",
        "alice@@example.com",
        "al ice@example.com",
        "#incidents",
        "user:bob",
        "email:not-an-email",
    ],
)
def test_not_a_target(text):
    with pytest.raises(ValueError, match="is not a target: use a Slack user id") as caught:
        parse_target(text)
    assert "group:<user-group id> or rotation:<name>" in str(caught.value)


def test_error_names_the_stripped_text():
    with pytest.raises(ValueError) as caught:
        parse_target("  bob  ")
    assert str(caught.value).startswith("'bob' is not a target")


def test_non_string_input_is_stringified():
    with pytest.raises(ValueError, match=r"^'42' is not a target"):
        parse_target(42)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[UW][A-Z0-9]{2,12}", fullmatch=True), st.booleans())
def test_any_user_id_parses_with_or_without_at(user, at):
    assert parse_target(("@" if at else "") + user) == Target("user", user)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True))
def test_any_rotation_name_round_trips(name):
    target = parse_target(f"rotation:{name}")
    assert target == Target("rotation", name)
    assert parse_target(str(target)) == target


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_text_parses_or_raises_value_error(text):
    try:
        target = parse_target(text)
    except ValueError:
        return
    assert target.kind in ("user", "email", "group", "rotation")
    assert target.value
    assert parse_target(str(target)) == target


def test_a_text_parsed_again_gives_the_same_target_and_a_refusal_stays_one():
    """Targets are parsed once per text (every change reads its incident's snapshot back)."""
    assert parse_target(" rotation:primary ") is parse_target(" rotation:primary ")
    for _ in range(2):
        with pytest.raises(ValueError, match="is not a target"):
            parse_target("nobody")
    long = "a" * 300 + "@example.com"  # parsed each time, not kept
    assert parse_target(long) == Target("email", long)
    assert parse_target(long) is not parse_target(long)  # made anew each time
