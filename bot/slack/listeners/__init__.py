"""Bolt listeners, grouped by kind and registered explicitly from `register`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services.container import Services
from bot.slack.listeners import actions, commands, events, logging, shortcuts, views


def register(app: AsyncApp, services: Services) -> None:
    app.error(logging.on_error)
    commands.register(app, services)
    actions.register(app, services)
    views.register(app, services)
    events.register(app, services)
    shortcuts.register(app, services)
