"""What the person who asked is told: a use case's outcome, or `OOPS` when Firebell itself
failed; and who asked. Every listener answers these same ways."""

from __future__ import annotations

import structlog

from bot.services.models import Outcome

log = structlog.get_logger("firebell.slack")

OOPS = (
    "Something went wrong on Firebell's side and nothing was changed. "
    "Try again; if it keeps failing, tell whoever runs Firebell (see its logs)."
)


def confirm(outcome: Outcome, done: str, context) -> str:
    """`done` is said on success; a denial's own message otherwise."""
    if outcome.incident is not None:
        context["incident_ref"] = outcome.incident.ref
    context["outcome"] = "ok" if outcome.ok else "denied"
    if outcome.ok:
        return done
    return outcome.message or "That did not work."


def user_of(body: dict) -> str:
    if "user_id" in body:
        return body["user_id"]
    return body["user"]["id"]
