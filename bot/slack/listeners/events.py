"""Events API subscriptions: App Home (on call now and next, your shifts, open incidents), and
reactions with the timeline emoji (`timeline_emoji`) that add a thread message to the timeline."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services.container import Services
from bot.slack import blocks
from bot.slack.listeners.logging import logged

# each must be subscribed in manifest.yml (a test checks)
EVENTS = ("app_home_opened", "reaction_added")


def register(app: AsyncApp, services: Services) -> None:
    @logged
    async def ack_only(ack, body, context):
        await ack()

    async def publish_home(event, client):
        if event.get("tab") not in (None, "home"):
            return
        on_call = await services.overrides.home(event["user"])
        found, total = await services.incidents.list_open(limit=20)
        view = blocks.home(found, total, services.config, on_call)
        await client.views_publish(user_id=event["user"], view=view)

    app.event("app_home_opened")(ack=ack_only, lazy=[publish_home])

    @logged
    async def reaction(ack, body, event, context):
        """The timeline emoji on a message in the incident channel: queue reading it (the
        sender adds it to the timeline when it is in an incident thread)."""
        if services.timeline.wants(event):
            item = event["item"]
            await services.timeline.react(event.get("user") or "", item["channel"], item["ts"])
            context["outcome"] = "queued"
        await ack()

    app.event("reaction_added")(reaction)
