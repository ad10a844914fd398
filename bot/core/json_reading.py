"""JSON read exactly as `json.loads` reads it, by orjson wherever orjson reads the same.

orjson reads a body 2-4x faster (a click's 8.5 kB payload: 82 -> 34 µs), but not always to
the same value: an integer past 64 bits becomes a float (any run of 19 digits may be one,
found by a substring search over the digits, cheaper than a regular expression), and it
refuses what json takes (a lone surrogate escape, NaN, 1e999) and text that is not UTF-8.
There the caller's own json reading decides, with its options and its words for a refusal."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import orjson

# every digit a "0" and the rest a space: a run of 19 digits is then one substring search
_DIGITS_ONLY = bytes(b"0"[0] if 0x30 <= byte <= 0x39 else b" "[0] for byte in range(256))
_LONG_NUMBER = b"0" * 19


def loads(body: bytes, by_json: Callable[[], Any]) -> Any:
    """The value of `body`: orjson's where it is json's, else `by_json()` (json's reading of
    the same text, which returns the value or raises the refusal)."""
    if _LONG_NUMBER not in body.translate(_DIGITS_ONLY):
        with contextlib.suppress(orjson.JSONDecodeError):
            return orjson.loads(body)
    return by_json()
