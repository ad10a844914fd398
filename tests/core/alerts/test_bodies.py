"""A webhook body's bytes read as JSON (`read_json`): the value json reads, whichever parser
reads it; refused, with json's words, where json refuses or JSON does not allow it; refused
as too deep exactly when it nests past `DEPTH_MAX`."""

from __future__ import annotations

import codecs
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.alerts.bodies import DEPTH_MAX, read_json
from bot.core.alerts.payloads import PayloadError

# -- what is read -------------------------------------------------------------------------------

ANY = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)  # past 64 bits: orjson makes floats
    | st.integers(min_value=2**63 - 2, max_value=2**64 + 2)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),  # lone surrogates too: orjson refuses their escapes, json takes them
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(), kids, max_size=3),
    max_leaves=12,
)


def has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    return isinstance(value, list) and any(map(has_nul, value))


@given(ANY, st.booleans(), st.booleans())
def test_any_json_value_reads_as_json_reads_it(value, ascii, bom):
    raw = json.dumps(value, ensure_ascii=ascii).encode("utf-8", "surrogatepass")
    raw = codecs.BOM_UTF8 + raw if bom else raw
    expected = json.loads(raw.decode("utf-8-sig", "surrogatepass"))
    if has_nul(value):
        with pytest.raises(PayloadError, match="NUL"):
            read_json(raw)
    elif not ascii and any(
        0xD800 <= ord(c) <= 0xDFFF for c in json.dumps(value, ensure_ascii=False)
    ):
        with pytest.raises(PayloadError, match="not valid JSON"):  # not UTF-8 at all
            read_json(raw)
    else:
        found = read_json(raw)
        assert found == expected and json.dumps(found) == json.dumps(expected)  # types too


@pytest.mark.parametrize(
    "raw, words",
    [
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": -Infinity}', "-Infinity is not a JSON number"),
        (b'{"a": 1', "not valid JSON (Expecting ',' delimiter"),
        (b"", "not valid JSON (Expecting value: line 1 column 1"),
        (b'{"a": "\xff"}', "not valid JSON ('utf-8' codec"),  # a byte that is not UTF-8
        (b'{"a": "\\u0000"}', "NUL character"),
    ],
)
def test_what_json_refuses_is_refused_in_its_words(raw, words):
    with pytest.raises(PayloadError, match=re.escape(words)):
        read_json(raw)


def test_what_json_takes_beyond_orjson_is_read_as_json_reads_it():
    [n] = read_json(b"[18446744073709551617]")  # 2**64 + 1: no float holds it
    assert type(n) is int and n == 2**64 + 1
    assert read_json(b'{"x": 1e999}') == {"x": float("inf")}
    assert read_json(b'{"s": "\\ud800"}') == {"s": "\ud800"}


# -- nesting -----------------------------------------------------------------------------------

# strings full of what the depth check must see through: quotes, backslashes, brackets
TRICKY = st.text(alphabet='"\\[]{}a\u00e9\n/', max_size=8)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(TRICKY, kids, max_size=3),
    max_leaves=12,
)


def depth(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


@given(VALUES, st.integers(0, DEPTH_MAX + 6), VALUES, st.booleans())
def test_the_depth_check_agrees_with_the_nesting_json_parses_to(inner, levels, beside, ascii):
    """A body is refused as too deep exactly when what it parses to nests deeper than
    `DEPTH_MAX`, whatever quotes, escapes and brackets its strings hold."""
    value = inner
    for level in range(levels):  # what `beside` holds comes before each deeper level
        value = [beside, value] if level % 2 else {"k": beside, "z": value}
    raw = json.dumps(value, ensure_ascii=ascii).encode()
    if depth(value) > DEPTH_MAX:
        with pytest.raises(PayloadError, match="deeper than"):
            read_json(raw)
    else:
        assert read_json(raw) == value
