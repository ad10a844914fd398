"""Reading Slack's failures the same way everywhere: wait, retry, give up on this call, or stop.

Every caller of the Web API (the outbox sender, the people lookup, the counting client) asks
`classify` what a failure means instead of reading status codes and error strings itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import aiohttp
from slack_sdk.errors import SlackApiError


class Category(StrEnum):
    RATE_LIMITED = "rate_limited"  # wait `retry_after` seconds, then try again
    TRANSIENT = "transient"  # Slack or the network had a moment: back off and try again
    PERMANENT = "permanent"  # this call will never succeed as it is
    FATAL = "fatal"  # no call will succeed: the token or the app's scopes are wrong


TRANSIENT_ERRORS = frozenset(
    {
        "ratelimited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
    }
)
FATAL_ERRORS = frozenset(
    {
        "not_authed",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "no_permission",
        "not_allowed_token_type",
    }
)
# Slack refused what a message holds (its blocks or its length), not where it goes: the same
# message as plain text may still be taken
CONTENT_ERRORS = frozenset(
    {"invalid_blocks", "invalid_blocks_format", "msg_too_long", "invalid_attachments"}
)
NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)


@dataclass(frozen=True)
class Failure:
    category: Category
    error: str  # Slack's error code, else `http_<status>`, else `network`
    status: int | None = None  # the HTTP status, when Slack answered
    retry_after: float = 0.0  # seconds, for RATE_LIMITED
    detail: str = ""  # for the log: the exception's type and message on network errors
    # the Web API method Slack answered for (`chat.postMessage`), if it did; for a medium
    # outside Slack, its name (`smtp`, `ntfy`, `twilio`, `vonage`, `apprise`)
    method: str = ""

    @property
    def service(self) -> str:
        """Who refused: Slack, or the medium outside Slack that `method` names."""
        return self.method if self.method and "." not in self.method else "slack"

    def describe(self) -> str:
        """One line for the outbox row's `last_error` and the log."""
        if self.category is Category.RATE_LIMITED:
            return f"429 ratelimited, retry after {self.retry_after}s"
        if self.detail:
            return f"network: {self.detail}"
        if self.category is Category.TRANSIENT:
            code = "" if self.error.startswith("http_") else self.error
            return f"{self.service} {self.status} {code}".strip()
        return f"{self.service} error: {self.error}"


def retry_after(headers, default: float = 1.0) -> float:
    """Seconds from a `Retry-After` header (any case); `default` when absent or unreadable."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return max(float(value if isinstance(value, str) else value[0]), 0.0)
            except (TypeError, ValueError, IndexError):
                return default
    return default


def classify(exc: BaseException) -> Failure | None:
    """What a failed Web API call means; None for an exception that is not Slack's or the
    network's (a bug: let it propagate)."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        error = response.get("error") if isinstance(response.data, dict) else None
        status = response.status_code
        code = error or f"http_{status}"
        method = str(getattr(response, "api_url", "") or "").rstrip("/").rsplit("/", 1)[-1]
        if status == 429 or error == "ratelimited":
            wait = retry_after(response.headers)
            return Failure(Category.RATE_LIMITED, code, status, retry_after=wait, method=method)
        if error in FATAL_ERRORS:
            return Failure(Category.FATAL, code, status, method=method)
        if status >= 500 or error in TRANSIENT_ERRORS:
            return Failure(Category.TRANSIENT, code, status, method=method)
        return Failure(Category.PERMANENT, code, status, method=method)
    if isinstance(exc, NETWORK_ERRORS):
        detail = f"{type(exc).__name__}: {exc}"
        return Failure(Category.TRANSIENT, "network", detail=detail)
    return None
