"""E-mail addresses in the config resolved to Slack user ids with `users.lookupByEmail`.

Run once in the background when Firebell starts (`refresh_people`): every address that was
never looked up, or not in the last seven days, is asked of Slack one at a time, and the
answer is kept in the `people` table (`users_not_found` is kept too, as "no such user", so it
is not asked again on every start). A 429 is retried after its `Retry-After` a few times;
network errors and 5xx are retried with a short backoff; any other error is logged (never
the token) and the address is left for the next start. An error that will fail every call
(a bad token, a missing scope) stops the round at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.people import PeopleService
from bot.slack.errors import retry_after

log = structlog.get_logger("firebell.directory")

RETRIES = 3  # after the first attempt
MAX_WAIT = 60.0  # longest Retry-After honoured, in seconds
NOT_FOUND = "users_not_found"
FATAL = frozenset(
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
HINTS = {
    "missing_scope": "add the users:read and users:read.email bot scopes (manifest.yml) and "
    "reinstall the app",
}

Sleep = Callable[[float], Awaitable[Any]]


class LookupFailed(Exception):
    """Slack gave no usable answer for one address; try again at the next start."""


class DirectoryUnavailable(LookupFailed):
    """Every lookup would fail the same way (bad token, missing scope): stop the round."""


@dataclass
class Summary:
    asked: int = 0
    found: int = 0
    unknown: int = 0  # Slack has no user with that address
    failed: int = 0  # left for the next round


class Directory:
    def __init__(
        self,
        client: AsyncWebClient,
        people: PeopleService,
        *,
        retries: int = RETRIES,
        max_wait: float = MAX_WAIT,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.client = client
        self.people = people
        self.retries = retries
        self.max_wait = max_wait
        self.sleep = sleep

    async def refresh(self) -> Summary:
        """Look up every address that is due, store the answers; returns the counts."""
        due = await self.people.due()
        summary = Summary()
        for n, email in enumerate(due):
            summary.asked += 1
            try:
                user_id = await self.lookup(email)
            except DirectoryUnavailable:
                summary.failed += len(due) - n
                summary.asked = len(due)
                break
            except LookupFailed:
                summary.failed += 1
                continue
            await self.people.record(email, user_id)
            if user_id is None:
                summary.unknown += 1
                log.warning("person_not_in_slack", email=email)
            else:
                summary.found += 1
        if due:
            log.info(
                "people_looked_up",
                asked=summary.asked,
                found=summary.found,
                unknown=summary.unknown,
                failed=summary.failed,
            )
        return summary

    async def lookup(self, email: str) -> str | None:
        """The user id Slack has for `email`, or None if it has none."""
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = await self.client.users_lookupByEmail(email=email)
            except SlackApiError as exc:
                wait = self._after_error(exc, email, attempt, last)
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                log.warning(
                    "person_lookup_network_error",
                    email=email,
                    attempt=attempt + 1,
                    error=type(exc).__name__,
                )
                if last:
                    raise LookupFailed("network") from None
                wait = min(2.0**attempt, self.max_wait)
            else:
                user = response.get("user") or {}
                user_id = user.get("id") if isinstance(user, dict) else None
                if not user_id:
                    log.error("person_lookup_failed", email=email, error="answer without user id")
                    raise LookupFailed("no user id")
                return str(user_id)
            if wait is None:
                return None
            await self.sleep(wait)
        raise LookupFailed("retries exhausted")  # not reached: the last attempt raises

    def _after_error(self, exc: SlackApiError, email: str, attempt: int, last: bool):
        """None for users_not_found; else seconds to wait before retrying, or raise."""
        response = exc.response
        data = response.data if isinstance(response.data, dict) else {}
        error = data.get("error")
        status = response.status_code
        if error == NOT_FOUND:
            return None
        if status == 429 or error == "ratelimited":
            wait = min(retry_after(response.headers), self.max_wait)
            log.warning(
                "person_lookup_rate_limited", email=email, attempt=attempt + 1, retry_after=wait
            )
            if last:
                raise LookupFailed("rate limited") from None
            return wait
        if error in FATAL:
            log.error(
                "people_lookup_unavailable", error=error, hint=HINTS.get(error, "check the token")
            )
            raise DirectoryUnavailable(error) from None
        if status >= 500 or error in ("internal_error", "fatal_error", "service_unavailable"):
            log.warning(
                "person_lookup_retry", email=email, attempt=attempt + 1, error=error or status
            )
            if last:
                raise LookupFailed(str(error or status)) from None
            return min(2.0**attempt, self.max_wait)
        log.error("person_lookup_failed", email=email, error=error or status)
        raise LookupFailed(str(error or status)) from None


async def refresh_people(app) -> Summary:
    """The start-up round for a running `bot.app.Firebell`: its Bolt client, DB and clock.

    Never raises (it runs as a background task); a failure is logged and retried next start.
    """
    people = PeopleService(app.db, app.config, app.clock)
    try:
        return await Directory(app.bolt.client, people).refresh()
    except Exception as exc:
        log.error("people_lookup_round_failed", error=type(exc).__name__)
        return Summary()
