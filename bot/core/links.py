"""Secret-by-URL links (calendar feeds, postmortem drafts): tokens derived from one secret.

A token is HMAC-SHA256 keyed by the secret over what the link opens (`calendar:<rotation>`,
`postmortem:INC-42`), in hex, its first 32 characters: stable across restarts, different for
every subject, and all revoked at once by changing the secret. Tokens are compared in
constant time.
"""

from __future__ import annotations

import hashlib
import hmac

TOKEN_LENGTH = 32


def derive_token(secret: str, subject: str) -> str:
    digest = hmac.new(secret.encode(), subject.encode(), hashlib.sha256)
    return digest.hexdigest()[:TOKEN_LENGTH]


def token_matches(expected: str | None, given: str | None) -> bool:
    """Whether `given` is the expected token (never when either is missing)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())
