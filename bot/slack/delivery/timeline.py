"""Delivering what reads or writes an incident's record in Slack:

- `postmortem` (the incident's lane): the Markdown draft uploaded into the thread
  (`files.uploadV2`);
- `timeline_fetch`: read the message someone reacted to (`conversations.replies`) and add it
  to its incident's timeline when it is in an incident thread.
"""

from __future__ import annotations

from collections.abc import Sequence

import aiohttp
from slack_sdk.errors import SlackRequestError

from bot.core.outbox import OutboxKind
from bot.services.models import OutboxRecord
from bot.slack import mrkdwn as md
from bot.slack.delivery.kinds import Deliveries, Kind, Undeliverable, thread_of


async def postmortem(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    incident = await ctx.incident(row)
    thread = thread_of(incident)
    found = await ctx.services.postmortems.draft(incident.id)
    if found is None:
        raise Undeliverable(f"no incident {row.incident_id}")
    _, draft = found
    who = md.user(row.payload.get("user"))
    try:
        await ctx.slack.files_upload_v2(
            channel=incident.channel_id,
            thread_ts=thread,
            content=draft,
            filename=f"{incident.ref}-postmortem.md",
            title=f"Postmortem draft: {incident.ref}",
            initial_comment=(
                f":page_facing_up: Postmortem draft of {incident.ref}, asked for by {who}: the "
                "timeline and figures are filled in; edit the rest, then share it."
            ),
        )
    except SlackRequestError as exc:  # the upload itself failed: retry later
        raise aiohttp.ClientError(f"upload failed: {exc}") from exc
    await ctx.services.outbox.delivered(row)


async def fetch_message(
    ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]
) -> None:
    ts, user = row.payload["ts"], row.payload["user"]
    answer = await ctx.slack.conversations_replies(
        channel=row.channel, ts=ts, latest=ts, inclusive=True, limit=1
    )
    message = next((m for m in answer.get("messages") or [] if m.get("ts") == ts), None)
    if message is not None:  # not in an incident thread: nothing to add, no answer
        await ctx.services.timeline.add_message(user, row.channel, message, "reaction")
    await ctx.services.outbox.delivered(row)


KINDS = {
    OutboxKind.POSTMORTEM: Kind(postmortem),
    OutboxKind.TIMELINE_FETCH: Kind(fetch_message),
}
