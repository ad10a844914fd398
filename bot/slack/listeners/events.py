"""Events API subscriptions: App Home (on call now and next, your shifts, open incidents), and
reactions with the timeline emoji (`timeline_emoji`) that add a thread message to the timeline."""

from __future__ import annotations

from bot.services.container import Services
from bot.slack.blocks import home
from bot.slack.ids import Event
from bot.slack.listeners.logging import logged
from bot.slack.listeners.table import Lazy, Table


def listeners(services: Services) -> Table:
    @logged
    async def ack_only(ack, body, context):
        await ack()

    async def publish_home(event, client):
        if event.get("tab") not in (None, "home"):
            return
        on_call = await services.overrides.home(event["user"])
        found, total = await services.incidents.list_open(limit=20, viewer=event["user"])
        view = home.home(found, total, services.config, on_call)
        await client.views_publish(user_id=event["user"], view=view)

    @logged
    async def reaction(ack, body, event, context):
        """The timeline emoji on a message in the incident channel: queue reading it (the
        sender adds it to the timeline when it is in an incident thread)."""
        if services.timeline.wants(event):
            item = event["item"]
            await services.timeline.react(event.get("user") or "", item["channel"], item["ts"])
            context["outcome"] = "queued"
        await ack()

    return {
        Event.APP_HOME_OPENED: Lazy(ack=ack_only, lazy=[publish_home]),
        Event.REACTION_ADDED: reaction,
    }
