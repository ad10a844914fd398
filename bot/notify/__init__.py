"""Pages outside Slack, one module per medium (`email`, `ntfy`, `twilio`, `vonage`,
`apprise`): each renders a `core.paging.Page` in the medium's own words, sends it, and says
what the medium's failures mean in `slack.errors` categories, so the outbox sender retries
them like Slack's. Here what they share: `one_line`, the cleaning of a title every medium
shows on one line, and the meaning of an HTTP provider's refusal or of a network failure."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from typing import Any

import aiohttp

from bot.slack.errors import Category, Failure, retry_after

ELLIPSIS = "…"
_SPACES = re.compile(r"\s+")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")  # overrides that could reorder a line


def one_line(text: str | None, limit: int) -> str:
    """`text` as one line of at most `limit` characters: control characters and line breaks
    (CR, LF, U+2028...) become spaces, runs of spaces one, bidirectional overrides go, and a
    longer text is cut with "…". Safe in a mail header and a push title alike."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in _BIDI.sub("", text or "")
    )
    line = _SPACES.sub(" ", cleaned).strip()
    if len(line) <= limit:
        return line
    return line[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def http_refusal(
    status: int,
    error: str,
    method: str,
    *,
    wait: float,
    fatal: Collection[int] = (401, 403),
) -> Failure:
    """An HTTP API's refusal: 429 waits `wait` seconds; a 5xx is transient; a `fatal` status
    (the credentials, the account) and an answer that is not the provider's at all (below 400:
    a wrong URL, error `not_<method>`) are fatal; any other 4xx is permanent."""
    if status == 429:
        return Failure(Category.RATE_LIMITED, error, status, retry_after=wait, method=method)
    if status >= 500:
        return Failure(Category.TRANSIENT, error, status, method=method)
    if status < 400:
        return Failure(Category.FATAL, f"not_{method}", status, method=method)
    if status in fatal:
        return Failure(Category.FATAL, error, status, method=method)
    return Failure(Category.PERMANENT, error, status, method=method)


def network_failure(exc: BaseException, method: str) -> Failure | None:
    """The network or a timeout: transient; None for an exception that is neither."""
    if isinstance(exc, aiohttp.ClientError | TimeoutError | OSError):
        detail = f"{type(exc).__name__}: {exc}"
        return Failure(Category.TRANSIENT, "network", detail=detail, method=method)
    return None


def refusal_of(
    response: aiohttp.ClientResponse, answer: Any, text_key: str, default_wait: float
) -> tuple[int | None, str, float]:
    """What a JSON API's refusal says: its numeric `code`, its text (`text_key`, else the
    HTTP reason) and, for a 429, how long to wait (Retry-After, else `default_wait`)."""
    known = answer if isinstance(answer, dict) else {}
    code = known.get("code") if isinstance(known.get("code"), int) else None
    text = str(known.get(text_key) or response.reason or "")
    wait = retry_after(response.headers, default_wait) if response.status == 429 else 0.0
    return code, text, wait
