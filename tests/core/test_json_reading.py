"""`json_reading.loads`: orjson's value where it is json's, json's reading everywhere else."""

from __future__ import annotations

import json
import math

import pytest

from bot.core.json_reading import loads


def read(text: str) -> tuple[object, bool]:
    """The value and whether json's reading was asked for it."""
    asked = []

    def by_json():
        asked.append(True)
        return json.loads(text)

    return loads(text.encode("utf-8", "surrogatepass"), by_json), bool(asked)


@pytest.mark.parametrize(
    "text",
    ['{"a": [1, 2.5, "é", null, true]}', '"\\u0000"', "-0", " [] ", '{"a": 1, "a": 2}'],
)
def test_what_orjson_reads_as_json_does_is_read_by_orjson(text):
    assert read(text) == (json.loads(text), False)


@pytest.mark.parametrize(
    "text",
    [
        f'{{"n": {2**64 + 1}}}',  # orjson would make it a float
        '{"ts": 1234567890123456789}',  # 19 digits: may be past 64 bits, json decides
        '"\\ud800"',  # a lone surrogate escape: orjson refuses
        "[1e999]",
        "[NaN]",
        '"\ud800"',  # a lone surrogate itself (a form's payload decoded to text may hold one)
    ],
)
def test_what_orjson_reads_otherwise_or_refuses_is_read_by_json(text):
    value, asked = read(text)
    assert asked
    expected = json.loads(text)
    assert repr(value) == repr(expected)  # NaN is not equal to itself
    assert type(value) is type(expected)


def test_a_refusal_is_jsons():
    with pytest.raises(json.JSONDecodeError, match="Expecting value"):
        read("[1,]")


def test_big_integers_stay_exact():
    value, _ = read(f"[{2**64 + 1}, {-(2**70)}]")
    assert value == [2**64 + 1, -(2**70)] and not any(isinstance(v, float) for v in value)
    assert math.isinf(read("1e999")[0])
