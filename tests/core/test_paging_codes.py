"""Verification codes: bound to person, medium and address; five wrong tries void one; fifteen
minutes and it expires; one a minute; phone numbers masked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core import paging_codes as codes
from bot.core.paging_codes import Verdict

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def pending(code: str, address: str = "a@example.com", tries: int = 0) -> dict:
    salt = codes.new_salt()
    return {
        "address": address,
        "salt": salt,
        "digest": codes.digest(salt, "U1", "email", address, code),
        "expires_at": NOW + codes.LIFETIME,
        "tries": tries,
    }


def test_codes_are_six_digits_and_only_their_salted_hash_is_kept():
    made = {codes.new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in made) and len(made) > 150
    row = pending("123456")
    assert "123456" not in str(row)
    assert codes.digest(row["salt"], "U1", "email", "b@example.com", "123456") != row["digest"]
    assert codes.digest(row["salt"], "U2", "email", "a@example.com", "123456") != row["digest"]


def test_the_right_code_typed_with_spaces_verifies():
    assert codes.verdict(pending("123456"), "U1", "email", "123 456", NOW) == (Verdict.RIGHT, 0)
    assert codes.verdict(pending("123456"), "U1", "phone", "123456", NOW)[0] == Verdict.WRONG


def test_the_fifth_wrong_try_voids_the_code():
    row = pending("123456")
    for tries in range(1, 5):
        assert codes.verdict(row, "U1", "email", "000000", NOW) == (Verdict.WRONG, tries)
        row["tries"] = tries
    assert codes.verdict(row, "U1", "email", "000000", NOW) == (Verdict.VOIDED, 5)
    row["tries"] = 5
    assert codes.verdict(row, "U1", "email", "123456", NOW) == (Verdict.VOID, 5)


def test_a_code_expires_after_fifteen_minutes_and_one_not_sent_verifies_nothing():
    late = NOW + timedelta(minutes=15)
    assert codes.verdict(pending("123456"), "U1", "email", "123456", late)[0] == Verdict.EXPIRED
    waiting = {**pending("123456"), "digest": None}
    assert codes.verdict(waiting, "U1", "email", "123456", NOW)[0] == Verdict.NOT_SENT
    assert codes.verdict(None, "U1", "email", "123456", NOW)[0] == Verdict.NOT_SENT


def test_a_new_code_may_go_out_once_a_minute():
    assert codes.wait(None, NOW) == timedelta(0)
    assert codes.wait(NOW, NOW + timedelta(seconds=20)) == timedelta(seconds=40)
    assert codes.wait(NOW, NOW + timedelta(minutes=1)) == timedelta(0)


def test_phone_numbers_show_their_country_prefix_and_last_four_digits():
    assert codes.mask_phone("+4915112345678") == "+49•••••••5678"
    assert codes.mask_phone("+1415555") == "+14•5555"
    assert codes.mask_phone(None) is None
