"""Bolt listeners, registered explicitly from `register`: one table per kind (commands,
actions, views, events, shortcuts), each keyed by the ids in `bot.slack.ids`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services.container import Services
from bot.slack.listeners import actions, commands, events, logging, shortcuts, views
from bot.slack.listeners.table import attach


def register(app: AsyncApp, services: Services) -> None:
    app.error(logging.on_error)
    attach(app.command, commands.listeners(services))
    attach(app.action, actions.listeners(services))
    attach(app.view, views.listeners(services))
    attach(app.event, events.listeners(services))
    attach(app.shortcut, shortcuts.listeners(services))
