"""The monitoring systems alerts come from, by the names people know them by.

An alert source that acts on an incident (declares, updates or resolves it) is recorded as
the actor under its key (`alertmanager`), and shown by its name, never as a person to mention.
"""

from __future__ import annotations

SOURCES = {
    "alertmanager": "Alertmanager",
    "grafana": "Grafana",
    "generic": "Alert webhook",
    "sentry": "Sentry",
}
# what else acts on incidents by itself: a missed heartbeat (bot.core.heartbeats.SOURCE)
ACTORS = {**SOURCES, "heartbeat": "Heartbeat monitor"}


def actor_name(actor: str | None) -> str | None:
    """How an alert source that acted on an incident is named ("Alertmanager"), else None."""
    return ACTORS.get(actor or "")
