"""One JSON log line per handled Slack request: what, who, which incident, how long; and the
request's kind as the audit log's `source` for what it writes.

A decorator on each acking listener rather than a Bolt middleware, because Bolt runs global
middleware before, not around, the listener; it works the same in Socket Mode.
"""

from __future__ import annotations

import functools
import time

import structlog

from bot.services import audit
from bot.services.handled import AlreadyHandled

log = structlog.get_logger("firebell.slack")


def _action(body: dict) -> str:
    if body.get("command"):
        verb = (body.get("text") or "").split(" ", 1)[0] or "(modal)"
        return f"{body['command']} {verb[:20]}"
    if body.get("type") == "block_actions":
        return ",".join(a.get("action_id", "?") for a in body.get("actions", []))
    if body.get("type") == "view_submission":
        return "view:" + body.get("view", {}).get("callback_id", "?")
    if body.get("type") == "event_callback":
        return "event:" + body.get("event", {}).get("type", "?")
    return body.get("type", "unknown")


def _user(body: dict) -> str | None:
    if "user_id" in body:
        return body["user_id"]
    user = body.get("user") or body.get("event", {}).get("user")
    return user.get("id") if isinstance(user, dict) else user


_SOURCES = {  # Slack payload type -> the audit log's `source`
    "block_actions": "button",
    "view_submission": "modal",
    "message_action": "shortcut",
    "shortcut": "shortcut",
    "event_callback": "reaction",  # the only event that changes anything
}


def _source(body: dict) -> str:
    return "command" if body.get("command") else _SOURCES.get(body.get("type", ""), "slack")


def logged(handler):
    """Wrap an acking listener; it must take `body` and `context` (Bolt injects by name).
    What it writes is recorded in the audit log as coming from the request's kind."""

    @functools.wraps(handler)
    async def wrapper(**kwargs):
        started = time.perf_counter()
        try:
            with audit.origin(_source(kwargs["body"])):
                return await handler(**kwargs)
        except AlreadyHandled:  # a copy of a request already handled: it changed nothing
            kwargs["context"]["outcome"] = "already_handled"
            raise
        finally:
            body, context = kwargs["body"], kwargs["context"]
            log.info(
                "slack_request",
                action=_action(body),
                user=_user(body),
                incident=context.get("incident_ref"),
                outcome=context.get("outcome"),
                ms=round((time.perf_counter() - started) * 1000, 2),
            )

    return wrapper


async def on_error(error, body):
    log.error("slack_listener_failed", action=_action(body or {}), error=repr(error))
