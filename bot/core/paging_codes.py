"""Verification codes for My paging: a new e-mail address or phone number is used for pages
only once the person types back the 6-digit code sent to it.

A code is made with `secrets` (`new_code`) and kept only as a salted hash bound to the person,
the medium and the address (`digest`), so it verifies nothing else. `verdict` says what a
typed code does: right, wrong (the fifth wrong try voids the code), or too late (expired after
15 minutes, void, not sent yet). A new code may be asked for once a minute (`wait`). Phone
numbers are masked wherever a record keeps them (`mask_phone`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

DIGITS = 6
LIFETIME = timedelta(minutes=15)
TRIES = 5  # wrong tries; the fifth voids the code
RESEND_AFTER = timedelta(minutes=1)  # between two codes to one person and medium
MEDIA = ("email", "phone")  # what needs a code: the phone's goes by SMS
MASK = "•"


class Verdict(StrEnum):
    RIGHT = "right"
    WRONG = "wrong"  # tries left
    VOIDED = "voided"  # this wrong try was the last
    VOID = "void"  # wrong too often before
    EXPIRED = "expired"
    NOT_SENT = "not_sent"  # asked for, not sent yet (or nothing pending at all)


def new_code() -> str:
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def new_salt() -> str:
    return secrets.token_hex(16)


def digest(salt: str, user: str, medium: str, address: str, code: str) -> str:
    """What is stored of a code: a hash keyed by a salt of its own, over who, how and where."""
    message = "\x1f".join((user, medium, address, code)).encode()
    return hmac.new(salt.encode(), message, hashlib.sha256).hexdigest()


def typed(text: str) -> str:
    """A code as typed, without spaces and dashes (`123 456`, `123-456`)."""
    return "".join(ch for ch in text if ch not in " -\t")


def verdict(
    pending: dict | None, user: str, medium: str, code: str, now: datetime
) -> tuple[Verdict, int]:
    """What `code` does to the `pending` code row (salt, digest, address, expires_at,
    tries): the verdict and the wrong tries counted after it."""
    if pending is None or not pending.get("digest") or not pending.get("address"):
        return Verdict.NOT_SENT, 0
    tries = int(pending.get("tries") or 0)
    if tries >= TRIES:
        return Verdict.VOID, tries
    if now >= pending["expires_at"]:
        return Verdict.EXPIRED, tries
    expected = digest(pending["salt"], user, medium, pending["address"], typed(code))
    if hmac.compare_digest(expected, pending["digest"]):
        return Verdict.RIGHT, tries
    tries += 1
    return (Verdict.VOIDED if tries >= TRIES else Verdict.WRONG), tries


def wait(last_sent: datetime | None, now: datetime) -> timedelta:
    """How long until another code may be sent (zero: now)."""
    if last_sent is None:
        return timedelta(0)
    return max(last_sent + RESEND_AFTER - now, timedelta(0))


def mask_phone(phone: str | None) -> str | None:
    """`+4915112345678` as a record keeps it: `+49•••••••5678` (the `+`, two digits of the
    country prefix and the last four shown)."""
    if not phone:
        return phone
    head, tail = phone[:3], phone[-4:]  # E.164 has at least 8 characters: something is hidden
    return head + MASK * max(len(phone) - 7, 1) + tail


def code_text(code: str) -> str:
    """The message a code goes out in (e-mail body or SMS)."""
    return (
        f"Firebell: your verification code is {code}. Type it in My paging (App Home) within "
        f"{int(LIFETIME.total_seconds() // 60)} minutes. If you did not ask for it, ignore "
        "this message."
    )
