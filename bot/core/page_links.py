"""Acknowledge links (`/p/<token>`): a signed, expiring token naming one person and one incident.

Every page outside Slack carries such a link, so whoever holds it may acknowledge or escalate
as the person it names, without logging in. The token is therefore authenticated, bound to
the incident and the person, and short-lived:

    token   = base64url(payload + mac), unpadded, canonical
    payload = version (1 byte, 1) | incident number (4 bytes) | issued at (8 bytes,
              microseconds since the Unix epoch) | Slack user id (UTF-8, the rest)
    mac     = HMAC-SHA256(secret, b"page:" + payload), its first 16 bytes (128 bits)

For U0AAA the token is 46 characters. The `page:` prefix keeps these MACs apart from every
other token derived from the same secret (calendar feeds, postmortem drafts). A token is
good from the moment it was issued (a replica whose clock runs up to `SKEW` ahead may have
issued it) until `TTL` later, exactly; changing the secret revokes every token at once.
Anything malformed, forged, altered or expired reads as None, with no reason given.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

TTL = timedelta(hours=24)
SKEW = timedelta(minutes=5)  # how far in the future a token's issue time may lie
VERSION = 1
DOMAIN = b"page:"
MAC_BYTES = 16
MAX_TOKEN = 400  # characters; anything longer is refused before decoding
MAX_NUMBER = 2**32 - 1

_HEAD = struct.Struct(">BIQ")  # version, incident number, issued at (µs since the epoch)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Claim:
    """What a valid token says: who may act on which incident, since when."""

    number: int
    user: str
    issued_at: datetime


def issue(secret: str, number: int, user: str, now: datetime) -> str:
    """A token letting `user` act on incident `number`, good for `TTL` from `now`."""
    if not secret:
        raise ValueError("a page link needs a secret")
    if not 0 < number <= MAX_NUMBER:
        raise ValueError(f"incident number out of range: {number}")
    if not user:
        raise ValueError("a page link names a user")
    micros = (now - _EPOCH) // _MICROSECOND  # exact, unlike timestamp()
    if micros < 0:
        raise ValueError("a page link cannot be issued before 1970")
    payload = _HEAD.pack(VERSION, number, micros) + user.encode()
    token = _encode(payload + _mac(secret, payload))
    if len(token) > MAX_TOKEN:
        raise ValueError("a page link's user is too long")
    return token


def claim(secret: str, token: str, now: datetime) -> Claim | None:
    """What `token` says, or None when it is malformed, forged or not valid at `now`."""
    if not secret or not token or len(token) > MAX_TOKEN or not _ALPHABET.fullmatch(token):
        return None
    raw = _decode(token)
    if raw is None or len(raw) <= _HEAD.size + MAC_BYTES:
        return None
    payload, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        return None
    version, number, micros = _HEAD.unpack_from(payload)
    if version != VERSION or number == 0:
        return None
    try:
        user = payload[_HEAD.size :].decode()
        issued = _EPOCH + micros * _MICROSECOND
    except (UnicodeDecodeError, OverflowError):
        return None
    if not issued - SKEW <= now < issued + TTL:
        return None
    return Claim(number, user, issued)


def read(secret: str, token: str, now: datetime) -> tuple[int, str] | None:
    """(incident number, user) of a valid token, else None."""
    found = claim(secret, token, now)
    return (found.number, found.user) if found else None


def _mac(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), DOMAIN + payload, hashlib.sha256).digest()[:MAC_BYTES]


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(token: str) -> bytes | None:
    """The bytes of a token, only when `token` is their one canonical spelling (base64 lets
    the unused low bits of the last character vary; a changed character must not pass)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if _encode(raw) == token else None
