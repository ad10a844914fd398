"""Durations as users write them in config and commands: parse, reject, format, round trip."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.durations import MAX, format_duration, parse_duration

NOT_A_DURATION = "is not a duration like 15m, 4h or 1d"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("1s", timedelta(seconds=1)),
        ("15m", timedelta(minutes=15)),
        ("4h", timedelta(hours=4)),
        ("24h", timedelta(hours=24)),
        ("1d", timedelta(days=1)),
        ("1w", timedelta(weeks=1)),
        ("52w", timedelta(weeks=52)),
        ("366d", timedelta(days=366)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("1w1d", timedelta(days=8)),
        # spaces and case
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("1 h 30 m", timedelta(hours=1, minutes=30)),
        ("  15m  ", timedelta(minutes=15)),
        ("15M", timedelta(minutes=15)),
        ("4H", timedelta(hours=4)),
        ("1H30M", timedelta(hours=1, minutes=30)),
        ("1D", timedelta(days=1)),
        ("1W", timedelta(weeks=1)),
        ("\t2h\n", timedelta(hours=2)),
        # leading zeros are just digits
        ("015m", timedelta(minutes=15)),
    ],
)
def test_valid_durations(text, expected):
    assert parse_duration(text) == expected


def test_result_is_a_timedelta_of_whole_seconds():
    value = parse_duration("1h30m")
    assert isinstance(value, timedelta)
    assert value.total_seconds() == 5400
    assert value.microseconds == 0


def test_exactly_the_maximum_is_allowed():
    assert parse_duration(f"{int(MAX.total_seconds())}s") == MAX
    assert timedelta(days=366) == MAX


@pytest.mark.parametrize(
    "text",
    [
        "4 hours",
        "",
        "   ",
        "abc",
        "-5m",
        "+5m",
        "15",
        "2y",
        "1.5h",
        "m",
        "h1",
        "15 minutes",
        "1h30",
        "15m!",
        "1h,30m",
        "PT15M",
        "15mm",
    ],
)
def test_not_a_duration(text):
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    assert str(caught.value) == f"{text!r} {NOT_A_DURATION}"


@pytest.mark.parametrize("text", ["0m", "0s", "0h0m", "00d", "0w 0s"])
def test_zero_is_rejected(text):
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    assert str(caught.value) == f"{text!r} must be longer than zero"


@pytest.mark.parametrize("text", ["367d", "53w", "8785h", "366d1s", "99999999999w"])
def test_longer_than_a_year_is_rejected(text):
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    assert str(caught.value) == f"{text!r} is longer than a year"


def test_non_string_input_is_rejected_with_its_repr():
    with pytest.raises(ValueError) as caught:
        parse_duration(15)  # type: ignore[arg-type]
    assert str(caught.value) == f"15 {NOT_A_DURATION}"


def test_message_shows_what_the_user_typed_not_the_cleaned_text():
    with pytest.raises(ValueError, match=r"^'  4 HOURS ' is not"):
        parse_duration("  4 HOURS ")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (timedelta(seconds=1), "1s"),
        (timedelta(seconds=90), "1m30s"),
        (timedelta(minutes=15), "15m"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(hours=4), "4h"),
        (timedelta(hours=24), "1d"),
        (timedelta(days=1, seconds=1), "1d1s"),
        (timedelta(weeks=1), "7d"),  # whole weeks stay days
        (timedelta(weeks=2, hours=3), "14d3h"),
        (timedelta(days=366), "366d"),
        (timedelta(days=1, hours=2, minutes=3, seconds=4), "1d2h3m4s"),
        (timedelta(hours=2, seconds=5), "2h5s"),
    ],
)
def test_format_duration(value, expected):
    assert format_duration(value) == expected


@pytest.mark.parametrize(
    "value", [timedelta(0), timedelta(seconds=-5), timedelta(days=-1), timedelta(microseconds=1)]
)
def test_format_of_nothing_or_negative_is_zero_seconds(value):
    assert format_duration(value) == "0s"


def test_format_drops_fractions_of_a_second():
    assert format_duration(timedelta(seconds=90, milliseconds=700)) == "1m30s"


@pytest.mark.parametrize("text", ["15m", "4h", "1d", "1h30m", "2d12h", "366d", "1s", "1m30s"])
def test_format_of_parse_is_the_canonical_spelling(text):
    assert format_duration(parse_duration(text)) == text


@pytest.mark.parametrize(
    ("text", "canonical"), [("90s", "1m30s"), ("1w", "7d"), ("60m", "1h"), ("1h 30m", "1h30m")]
)
def test_format_of_parse_normalises(text, canonical):
    assert format_duration(parse_duration(text)) == canonical


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=366 * 86400).map(lambda s: timedelta(seconds=s)))
def test_round_trip_from_timedelta(value):
    spelled = format_duration(value)
    assert parse_duration(spelled) == value
    # and the spelling is already canonical
    assert format_duration(parse_duration(spelled)) == spelled


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=500), st.sampled_from("smhdwSMHDW")),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(["", " "]),
)
def test_combined_spellings_sum_their_parts(parts, sep):
    text = sep.join(f"{n}{u}" for n, u in parts)
    size = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    total = sum(n * size[u.lower()] for n, u in parts)
    if total <= 0:
        with pytest.raises(ValueError, match="must be longer than zero"):
            parse_duration(text)
    elif total > MAX.total_seconds():
        with pytest.raises(ValueError, match="is longer than a year"):
            parse_duration(text)
    else:
        assert parse_duration(text) == timedelta(seconds=total)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_arbitrary_text_parses_or_raises_value_error(text):
    try:
        value = parse_duration(text)
    except ValueError as exc:
        assert repr(text) in str(exc)
    else:
        assert timedelta(0) < value <= MAX
