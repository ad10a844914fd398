"""Retrying a Slack Web API call within one attempt at something (a lookup, a start-up check):
slack_sdk's own retry handlers decide *whether* to retry (429, 5xx, a dropped connection);
these decide how long to wait (a 429's Retry-After, else doubling from one second, capped)
and wait with an injected sleep, so tests record the waits instead of taking them.

The outbox sender does not use these: its retries are rows in the database (`not_before`),
so a restart resumes them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)

from bot.slack.errors import NETWORK_ERRORS, retry_after

log = structlog.get_logger("firebell.slack")

Sleep = Callable[[float], Awaitable[Any]]


class _Waiting:
    def __init__(self, retries: int, max_wait: float, sleep: Sleep, what: str) -> None:
        super().__init__(max_retry_count=retries)
        self.max_wait, self.sleep, self.what = max_wait, sleep, what

    def wait(self, attempt: int, response) -> float:
        return min(2.0**attempt, self.max_wait)

    async def prepare_for_next_attempt_async(self, *, state, request, response=None, error=None):
        state.next_attempt_requested = True
        wait = self.wait(state.current_attempt, response)
        log.warning(
            f"{self.what}_retry",
            attempt=state.current_attempt + 2,  # the call about to be made, the first is 1
            wait_s=wait,
            error=type(error).__name__ if error else f"http_{response.status_code}",
        )
        await self.sleep(wait)
        state.increment_current_attempt()


class _RateLimited(_Waiting, AsyncRateLimitErrorRetryHandler):
    def wait(self, attempt: int, response) -> float:
        return min(retry_after(response.headers), self.max_wait)


class _ServerErrors(_Waiting, AsyncServerErrorRetryHandler):
    async def _can_retry_async(self, *, state, request, response=None, error=None) -> bool:
        return response is not None and response.status_code >= 500


class _NetworkErrors(_Waiting, AsyncConnectionErrorRetryHandler):
    def __init__(self, retries: int, max_wait: float, sleep: Sleep, what: str) -> None:
        super().__init__(retries, max_wait, sleep, what)
        self.error_types_to_do_retries = list(NETWORK_ERRORS)


def retry_handlers(retries: int, max_wait: float, sleep: Sleep, what: str) -> list:
    """Handlers for an `AsyncWebClient`: at most `retries` retries in all, each logged as
    `<what>_retry`."""
    kinds = (_RateLimited, _ServerErrors, _NetworkErrors)
    return [kind(retries, max_wait, sleep, what) for kind in kinds]
