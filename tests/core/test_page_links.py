"""Acknowledge-link tokens: they say who and which incident, only when genuine and fresh."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core import links, page_links
from bot.core.page_links import SKEW, TTL, claim, issue, read

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

secrets = st.text(min_size=1, max_size=40)
numbers = st.integers(min_value=1, max_value=page_links.MAX_NUMBER)
users = st.one_of(
    st.from_regex(r"[UW][A-Z0-9]{2,12}", fullmatch=True),
    st.emails(),
    st.text(min_size=1, max_size=30),
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@given(secrets, numbers, users, moments)
def test_a_token_reads_back_as_what_it_was_issued_for(secret, number, user, now):
    token = issue(secret, number, user, now)
    assert read(secret, token, now) == (number, user)
    assert claim(secret, token, now) == page_links.Claim(number, user, now)


@given(secrets, numbers, users, moments)
def test_a_token_is_url_safe_and_short(secret, number, user, now):
    token = issue(secret, number, user, now)
    assert set(token) <= set(ALPHABET)
    assert len(token) <= 4 * -(-(29 + len(user.encode())) // 3)  # 13 + 16 bytes + the user


def test_a_slack_user_token_is_46_characters():
    assert len(issue(SECRET, 42, "U0AAA", NOW)) == 46


@given(numbers, users, moments, st.data())
def test_any_single_character_change_is_refused(number, user, now, data):
    token = issue(SECRET, number, user, now)
    at = data.draw(st.integers(min_value=0, max_value=len(token) - 1), label="position")
    replacement = data.draw(st.characters(codec="utf-8").filter(lambda c: c != token[at]))
    changed = token[:at] + replacement + token[at + 1 :]
    assert read(SECRET, changed, now) is None


@given(numbers, users, moments, st.data())
def test_cutting_or_extending_a_token_is_refused(number, user, now, data):
    token = issue(SECRET, number, user, now)
    cut = data.draw(st.integers(min_value=0, max_value=len(token) - 1), label="kept")
    assert read(SECRET, token[:cut], now) is None
    tail = data.draw(st.text(alphabet=ALPHABET, min_size=1, max_size=8), label="tail")
    assert read(SECRET, token + tail, now) is None


@given(secrets, numbers, users, moments)
def test_expiry_is_exactly_at_ttl(secret, number, user, now):
    token = issue(secret, number, user, now)
    assert read(secret, token, now + TTL - timedelta(microseconds=1)) == (number, user)
    assert read(secret, token, now + TTL) is None
    assert read(secret, token, now + TTL + timedelta(days=400)) is None


@given(numbers, users, moments)
def test_a_token_from_the_future_is_refused_beyond_the_skew(number, user, now):
    token = issue(SECRET, number, user, now)
    assert read(SECRET, token, now - SKEW) == (number, user)
    assert read(SECRET, token, now - SKEW - timedelta(microseconds=1)) is None


@given(secrets, secrets, numbers, users)
def test_another_secret_refuses_the_token(secret, other, number, user):
    token = issue(secret, number, user, NOW)
    if other != secret:
        assert read(other, token, NOW) is None


def test_the_token_binds_number_and_user():
    assert issue(SECRET, 42, "U0AAA", NOW) != issue(SECRET, 43, "U0AAA", NOW)
    assert issue(SECRET, 42, "U0AAA", NOW) != issue(SECRET, 42, "U0BBB", NOW)
    assert issue(SECRET, 42, "U0AAA", NOW) != issue(SECRET, 42, "U0AAA", NOW + SKEW)


def test_the_mac_is_keyed_and_domain_separated():
    token = issue(SECRET, 42, "U0AAA", NOW)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    payload, mac = raw[:-16], raw[-16:]
    expected = hmac.new(SECRET.encode(), b"page:" + payload, hashlib.sha256).digest()[:16]
    assert mac == expected
    undomained = hmac.new(SECRET.encode(), payload, hashlib.sha256).digest()[:16]
    assert mac != undomained
    assert payload[:1] == b"\x01" and int.from_bytes(payload[1:5]) == 42
    assert payload[13:] == b"U0AAA"


def test_a_forged_mac_over_a_chosen_payload_is_refused():
    token = issue(SECRET, 42, "U0AAA", NOW)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    forged = raw[:-16].replace(b"U0AAA", b"U0ADM") + raw[-16:]
    spelled = base64.urlsafe_b64encode(forged).rstrip(b"=").decode()
    assert read(SECRET, spelled, NOW) is None


@pytest.mark.parametrize(
    "token",
    [
        "",
        "=",
        "a",
        "not a token",
        "AAAA====",
        "A" * 46,
        "A" * 10_000,
        links.derive_token(SECRET, "calendar:primary"),
        links.derive_token(SECRET, "postmortem:INC-42"),
        "../../etc/passwd",
        "%2e%2e",
        "tökén",
    ],
)
def test_malformed_tokens_read_as_nothing(token):
    assert read(SECRET, token, NOW) is None


def test_without_a_secret_nothing_is_issued_or_read():
    token = issue(SECRET, 42, "U0AAA", NOW)
    assert read("", token, NOW) is None
    with pytest.raises(ValueError):
        issue("", 42, "U0AAA", NOW)


@pytest.mark.parametrize("number", [0, -1, page_links.MAX_NUMBER + 1])
def test_numbers_out_of_range_are_not_issued(number):
    with pytest.raises(ValueError):
        issue(SECRET, number, "U0AAA", NOW)


def test_an_empty_user_is_not_issued():
    with pytest.raises(ValueError):
        issue(SECRET, 42, "", NOW)
