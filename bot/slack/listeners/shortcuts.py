"""The message shortcut "Add to timeline": a message of an incident's thread joins its
timeline. The answer goes privately to whoever used it, through the outbox."""

from __future__ import annotations

from bot.services.container import Services
from bot.slack.ids import Shortcut
from bot.slack.listeners.logging import logged
from bot.slack.listeners.outcomes import OOPS, log, user_of
from bot.slack.listeners.table import Table


def listeners(services: Services) -> Table:
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

    return {Shortcut.ADD_TO_TIMELINE: add_to_timeline}
