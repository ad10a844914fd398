"""Secret-by-URL link tokens: derived from one secret, per subject, compared in full."""

from __future__ import annotations

import hashlib
import hmac

from bot.core.links import TOKEN_LENGTH, derive_token, token_matches


def test_a_token_is_the_hmac_of_the_subject_cut_to_32_hex_characters():
    expected = hmac.new(b"secret", b"calendar:primary", hashlib.sha256).hexdigest()[:32]
    assert derive_token("secret", "calendar:primary") == expected
    assert len(expected) == TOKEN_LENGTH


def test_tokens_differ_by_subject_and_by_secret():
    one = derive_token("secret", "postmortem:INC-1")
    assert one != derive_token("secret", "postmortem:INC-2")
    assert one != derive_token("other", "postmortem:INC-1")
    assert one == derive_token("secret", "postmortem:INC-1")


def test_only_the_expected_token_matches():
    token = derive_token("secret", "calendar:primary")
    assert token_matches(token, token)
    assert not token_matches(token, token[:-1])
    assert not token_matches(token, token.upper())


def test_nothing_matches_a_missing_token():
    assert not token_matches(None, "anything")
    assert not token_matches("", "")
    assert not token_matches("abc", None)
    assert not token_matches("abc", "")
