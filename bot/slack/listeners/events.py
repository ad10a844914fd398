"""Events API subscriptions: App Home (on call now and next, your shifts, open incidents, My
paging), and reactions with the timeline emoji (`timeline_emoji`) that add a thread message to the timeline."""

from __future__ import annotations

from bot.services.container import Services
from bot.slack.ids import Event
from bot.slack.listeners.app_home import publish
from bot.slack.listeners.logging import logged
from bot.slack.listeners.table import Lazy, Table


def listeners(services: Services) -> Table:
    @logged
    async def ack_only(ack, body, context):
        await ack()

    async def publish_home(event, client):
        if event.get("tab") not in (None, "home"):
            return
        await publish(services, client, event["user"])

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
