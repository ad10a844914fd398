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
import copy
from dataclasses import dataclass

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.people import PeopleService
from bot.slack.errors import Category, classify
from bot.slack.retries import Sleep, retry_handlers

log = structlog.get_logger("firebell.directory")

RETRIES = 3  # after the first attempt
MAX_WAIT = 60.0  # longest Retry-After honoured, in seconds
NOT_FOUND = "users_not_found"
HINTS = {
    "missing_scope": "add the users:read and users:read.email bot scopes (manifest.yml) and "
    "reinstall the app",
}


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
        self.client = copy.copy(client)  # the same client, with the lookup's own retries
        self.client.retry_handlers = retry_handlers(retries, max_wait, sleep, "person_lookup")
        self.people = people

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
                # whether their page still goes out, by what: `people:` may give other media
                paged_by = await self.people.paged_by(email)
                log.warning("person_not_in_slack", email=email, paged_by=paged_by or "nothing")
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
        try:
            response = await self.client.users_lookupByEmail(email=email)
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
            if failure.error == NOT_FOUND:
                return None
            if failure.category is Category.FATAL:
                hint = HINTS.get(failure.error, "check the token")
                log.error("people_lookup_unavailable", error=failure.error, hint=hint)
                raise DirectoryUnavailable(failure.error) from None
            log.error("person_lookup_failed", email=email, error=failure.describe())
            raise LookupFailed(failure.error) from None
        user = response.get("user") or {}
        user_id = user.get("id") if isinstance(user, dict) else None
        if not user_id:
            log.error("person_lookup_failed", email=email, error="answer without user id")
            raise LookupFailed("no user id")
        return str(user_id)


async def refresh_people(app) -> Summary:
    """The start-up round for a running `bot.app.Firebell`: its Slack client, DB and clock.

    Never raises (it runs as a background task); a failure is logged and retried next start.
    """
    try:
        return await Directory(app.slack, app.services.people).refresh()
    except Exception as exc:
        log.error("people_lookup_round_failed", error=type(exc).__name__)
        return Summary()
