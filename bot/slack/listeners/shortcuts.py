"""The message shortcut "Add to timeline": a message of an incident's thread joins its
timeline. The answer goes privately to whoever used it, through the outbox."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services.container import Services
from bot.slack import blocks
from bot.slack.listeners.answers import OOPS, log, user_of
from bot.slack.listeners.logging import logged

SHORTCUTS = (blocks.TIMELINE_SHORTCUT,)  # each must be declared in manifest.yml (a test checks)


def register(app: AsyncApp, services: Services) -> None:
    @logged
    async def add_to_timeline(ack, body, context):
        await ack()
        channel = (body.get("channel") or {}).get("id") or ""
        user = user_of(body)
        try:
            outcome = await services.timeline.add_message(
                user, channel, body.get("message") or {}, "shortcut"
            )
            context["outcome"] = "ok" if outcome.ok else "denied"
            text = outcome.message
        except Exception:
            log.exception("add_to_timeline_failed")
            text = OOPS
        if channel and text:
            await services.outbox.ephemeral(channel, user, text)

    app.shortcut(blocks.TIMELINE_SHORTCUT)(add_to_timeline)
