"""The Slack tokens checked before `firebell serve` starts: Slack is asked whether it takes them.

SLACK_BOT_TOKEN with `auth.test`, SLACK_APP_TOKEN (Socket Mode) with `apps.connections.open`
(the call Socket Mode makes to connect; the URL it hands out is left unused). Their shapes are
checked before, by `Settings.malformed_tokens`. A rate limit, a 5xx or a network error is
retried with backoff by slack_sdk's retry handlers (`retries.py`), at most `ATTEMPTS` calls in
all, through an injected sleep; a token Slack refuses (`invalid_auth`, `token_revoked`, ...)
raises `Refused`, naming the variable and what Slack said. When Slack cannot be reached within the bound, the check says so in the log and
lets Firebell start: posts wait in the outbox until Slack answers, and a pager that refused to
start during a Slack outage would turn away the alerts too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

import structlog
from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.authorization.async_single_team_authorization import (
    AsyncSingleTeamAuthorization,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.slack.errors import Category, classify
from bot.slack.retries import Sleep, retry_handlers

log = structlog.get_logger("firebell.credentials")

ATTEMPTS = 5  # calls per token, the first included
MAX_WAIT = 30.0  # the longest single wait, Retry-After included
TIMEOUT = 10  # seconds for one call

HINTS = {
    "invalid_auth": "Slack does not know this token: copy it again from the app's page on "
    "api.slack.com",
    "not_authed": "no token reached Slack",
    "token_revoked": "the token was revoked (the app was uninstalled or the token "
    "regenerated): reinstall the app and copy its new token",
    "token_expired": "the token expired: token rotation is on for the app; turn it off "
    "(manifest.yml has `token_rotation_enabled: false`) and reinstall",
    "account_inactive": "the app's bot user or its workspace was deactivated",
    "not_allowed_token_type": "Slack does not take this kind of token for this variable",
    "missing_scope": "the token lacks a scope this check needs: reinstall the app from "
    "manifest.yml",
}


class Refused(Exception):
    """Slack refused a token: Firebell must not start with it."""

    def __init__(self, variable: str, method: str, error: str) -> None:
        self.variable, self.method, self.error = variable, method, error
        hint = HINTS.get(error, "see the app's page on api.slack.com")
        super().__init__(f"{variable} was refused by Slack ({method}: {error}): {hint}.")


@dataclass(frozen=True)
class Identity:
    """Who the bot token belongs to, as `auth.test` says: for the start-up log, and for Bolt,
    which would otherwise call `auth.test` itself inside the first request (`trust`)."""

    team: str
    team_id: str
    user_id: str
    bot_id: str
    answer: AsyncSlackResponse | None = field(default=None, repr=False, compare=False)

    def logged(self) -> dict[str, str]:
        return {
            "team": self.team,
            "team_id": self.team_id,
            "user_id": self.user_id,
            "bot_id": self.bot_id,
        }


def trust(bolt: AsyncApp, identity: Identity | None) -> None:
    """Give Bolt the start-up check's `auth.test` answer. Bolt's single-workspace
    authorization otherwise asks Slack on the first request it authorizes, and when that one
    call meets a 429 or a 5xx it answers the person "your installation with this app is no
    longer available" and drops the command (found by the crash soak). Bolt has no public way
    in, so this fails loudly when an upgrade moves what it sets."""
    if identity is None or identity.answer is None:
        return  # Slack did not answer at start: Bolt asks on the first request, as before
    found = [m for m in bolt._async_middleware_list if isinstance(m, AsyncSingleTeamAuthorization)]
    if len(found) != 1 or not hasattr(found[0], "auth_test_result"):
        raise RuntimeError("slack_bolt's single-workspace authorization was not found")
    found[0].auth_test_result = identity.answer


async def check(
    api_url: str,
    bot_token: str | None,
    app_token: str | None = None,
    *,
    sleep: Sleep = asyncio.sleep,
    attempts: int = ATTEMPTS,
    max_wait: float = MAX_WAIT,
) -> Identity | None:
    """Ask Slack about each token given (SLACK_BOT_TOKEN, and SLACK_APP_TOKEN in Socket
    Mode); the bot's identity, or None when Slack could not be reached to say."""
    client = AsyncWebClient(
        base_url=api_url.rstrip("/") + "/",
        timeout=TIMEOUT,
        retry_handlers=retry_handlers(attempts - 1, max_wait, sleep, "slack_token_check"),
    )
    identity = None
    if bot_token:
        answer = await _ask("SLACK_BOT_TOKEN", "auth.test", client.auth_test(token=bot_token))
        if answer is not None:
            identity = Identity(
                team=str(answer.get("team") or ""),
                team_id=str(answer.get("team_id") or ""),
                user_id=str(answer.get("user_id") or ""),
                bot_id=str(answer.get("bot_id") or ""),
                answer=answer,
            )
            log.info("slack_token_accepted", variable="SLACK_BOT_TOKEN", **identity.logged())
    if app_token:
        call = client.apps_connections_open(app_token=app_token)
        if await _ask("SLACK_APP_TOKEN", "apps.connections.open", call) is not None:
            log.info("slack_token_accepted", variable="SLACK_APP_TOKEN")
    return identity


async def _ask(variable: str, method: str, call: Awaitable[Any]) -> Any:
    """Slack's answer to `call` (retried by the client's handlers); None when it kept failing
    for Slack's or the network's sake."""
    try:
        return await call
    except Exception as exc:
        failure = classify(exc)
        if failure is None:
            raise
        if failure.category not in (Category.RATE_LIMITED, Category.TRANSIENT):
            log.error("slack_token_refused", variable=variable, method=method, error=failure.error)
            raise Refused(variable, method, failure.error) from None
        log.warning(
            "slack_token_unchecked",
            variable=variable,
            method=method,
            error=failure.describe(),
            hint="Slack did not answer; starting anyway, posts wait in the outbox",
        )
        return None
