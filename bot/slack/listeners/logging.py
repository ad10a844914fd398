"""One JSON log line per handled Slack request: what, who, which incident, how long."""

from __future__ import annotations

import time

import structlog

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


async def log_request(body, context, next):
    started = time.perf_counter()
    try:
        return await next()
    finally:
        log.info(
            "slack_request",
            action=_action(body),
            user=_user(body),
            incident=context.get("incident_ref"),
            outcome=context.get("outcome"),
            ms=round((time.perf_counter() - started) * 1000, 2),
        )


async def on_error(error, body):
    log.error("slack_listener_failed", action=_action(body or {}), error=repr(error))
