"""Delivering what keeps everyone informed, rendered at send time from current state:

- `broadcast` (the incident's lane, so after its card): a stakeholder summary in
  `broadcast_channel`, linking to the thread by its permalink (`chat.getPermalink`);
- `digest` and `report` (the broadcast channel's lane): the open incidents, the weekly report;
- `postmortem` (the incident's lane): the draft uploaded into the thread (`files.uploadV2`);
- `timeline_fetch`: read the message someone reacted to (`conversations.replies`) and add it
  to its incident's timeline when it is in an incident thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.services.records import IncidentRecord, OutboxRecord
from bot.slack import blocks
from bot.slack import mrkdwn as md

if TYPE_CHECKING:
    from bot.slack.sender import OutboxSender

KINDS = ("broadcast", "digest", "report", "postmortem", "timeline_fetch")


async def permalink(sender: OutboxSender, incident: IncidentRecord) -> str | None:
    """The thread's permalink; None when the card is not posted or Slack cannot say."""
    if not incident.thread_ts:
        return None
    try:
        found = await sender.client.chat_getPermalink(
            channel=incident.channel_id, message_ts=incident.thread_ts
        )
    except SlackApiError:
        return None
    return found.get("permalink")


async def prepare(sender: OutboxSender, row: OutboxRecord) -> Callable[[], Awaitable[None]]:
    from bot.slack.sender import PermanentError

    services, client, config = sender.services, sender.client, sender.config
    if services is None:
        raise PermanentError(f"no services to deliver {row.kind!r}")
    payload = row.payload

    async def post(text: str, rendered: list) -> None:
        await client.chat_postMessage(
            channel=row.channel,
            text=text,
            blocks=rendered,
            unfurl_links=False,
            unfurl_media=False,
        )
        await sender.outbox.delivered(row)

    if row.kind == "report":
        end = datetime.fromisoformat(payload["end"])
        figures = await services.reports.report(timedelta(days=payload["days"]), end=end)
        text, rendered = blocks.report(figures, config, "Weekly incident report")
        return lambda: post(text, rendered)

    if row.kind == "digest":
        found, total = await services.incidents.list_open(limit=blocks.DIGEST_SHOWN)
        at = datetime.fromisoformat(payload["at"])

        async def send_digest():
            links = await asyncio.gather(*(permalink(sender, i) for i in found))
            permalinks = {i.id: link for i, link in zip(found, links, strict=True) if link}
            text, rendered = blocks.digest(found, total, config, at, permalinks)
            await post(text, rendered)

        return send_digest

    if row.kind == "timeline_fetch":
        ts, user = payload["ts"], payload["user"]

        async def fetch():
            answer = await client.conversations_replies(
                channel=row.channel, ts=ts, latest=ts, inclusive=True, limit=1
            )
            message = next((m for m in answer.get("messages") or [] if m.get("ts") == ts), None)
            if message is not None:  # not in an incident thread: nothing to add, no answer
                await services.timeline.add_message(user, row.channel, message, "reaction")
            await sender.outbox.delivered(row)

        return fetch

    incident = await services.incidents.get(row.incident_id) if row.incident_id else None
    if incident is None:
        raise PermanentError(f"no incident {row.incident_id}")

    if row.kind == "broadcast":
        event = await services.incidents.event(payload["event_id"])
        if event is None:
            raise PermanentError(f"no event {payload['event_id']}")

        async def send_broadcast():
            text, rendered = blocks.broadcast(
                event, incident, config, await permalink(sender, incident)
            )
            await post(text, rendered)

        return send_broadcast

    if row.kind == "postmortem":
        if not incident.thread_ts:
            raise PermanentError("the incident's card was never posted")
        found = await services.postmortems.draft(incident.id)
        if found is None:
            raise PermanentError(f"no incident {row.incident_id}")
        _, draft = found
        who = md.user(payload.get("user"))

        async def upload():
            try:
                await client.files_upload_v2(
                    channel=incident.channel_id,
                    thread_ts=incident.thread_ts,
                    content=draft,
                    filename=f"{incident.ref}-postmortem.md",
                    title=f"Postmortem draft: {incident.ref}",
                    initial_comment=(
                        f":page_facing_up: Postmortem draft of {incident.ref}, asked for by "
                        f"{who}: the timeline and figures are filled in; edit the rest, then "
                        "share it."
                    ),
                )
            except SlackRequestError as exc:  # the upload itself failed: retry later
                raise aiohttp.ClientError(f"upload failed: {exc}") from exc
            await sender.outbox.delivered(row)

        return upload
    raise PermanentError(f"unknown outbox kind {row.kind!r}")
