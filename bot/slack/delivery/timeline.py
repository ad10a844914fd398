"""Delivering what reads or writes an incident's record in Slack:

- `postmortem` (the incident's lane): the Markdown draft uploaded into the thread
  (`files.share`: the channel joined first, as Slack shares a file only where the bot is a
  member);
- `timeline_fetch`: read the message someone reacted to (`conversations.replies`) and add it
  to its incident's timeline when it is in an incident thread.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from slack_sdk.errors import SlackApiError

from bot.core.outbox import OutboxKind
from bot.services.models import IncidentRecord, OutboxRecord
from bot.slack import mrkdwn as md
from bot.slack.blocks import answers
from bot.slack.delivery import files
from bot.slack.delivery.kinds import Deliveries, Kind, Undeliverable, thread_of
from bot.slack.delivery.reading import read

log = structlog.get_logger("firebell.sender")


async def postmortem(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    """Upload the draft into the thread. Slack shares a file only where the bot is a member:
    a public channel is joined first (`conversations.join`); a private one it is not in fails
    for good, saying in the thread (else to whoever asked) that `/invite @Firebell` is needed."""
    incident = await ctx.incident(row)
    thread = thread_of(incident)
    found = await ctx.services.postmortems.draft(incident.id)
    if found is None:
        raise Undeliverable(f"no incident {row.incident_id}")
    _, draft = found
    who = md.user(row.payload.get("user"))
    try:
        await files.share(
            ctx.slack,
            incident.channel_id,
            thread_ts=thread,
            content=draft,
            filename=f"{incident.ref}-postmortem.md",
            title=f"Postmortem draft: {incident.ref}",
            initial_comment=(
                f":page_facing_up: Postmortem draft of {incident.ref}, asked for by {who}: the "
                "timeline and figures are filled in; edit the rest, then share it."
            ),
        )
    except SlackApiError as exc:
        if exc.response.get("error") not in files.OUTSIDE:
            raise
        await _ask_for_invite(ctx, row, incident, thread)
        raise Undeliverable(
            f"not in channel {incident.channel_id} ({exc.response.get('error')}): a private "
            "channel takes `/invite @Firebell` before the postmortem draft can go up there"
        ) from exc
    await ctx.services.outbox.delivered(row)


async def _ask_for_invite(
    ctx: Deliveries, row: OutboxRecord, incident: IncidentRecord, thread: str
) -> None:
    """Say in the thread that the bot needs inviting; Slack refuses that too where the bot
    cannot see the channel, so then tell whoever asked for the draft, by DM."""
    text = answers.postmortem_needs_invite(incident)
    try:
        await ctx.slack.chat_postMessage(channel=incident.channel_id, thread_ts=thread, text=text)
        return
    except SlackApiError as exc:
        if exc.response.get("error") not in files.OUTSIDE or not row.payload.get("user"):
            raise
    try:
        await ctx.slack.chat_postMessage(channel=row.payload["user"], text=text)
    except SlackApiError as exc:  # the row fails anyway, with the reason on /readyz
        log.warning("invite_request_not_sent", row=row.id, error=exc.response.get("error"))


async def fetch_message(
    ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]
) -> None:
    ts, user = row.payload["ts"], row.payload["user"]
    answer = await read(
        ctx.slack,
        row.channel,
        lambda: ctx.slack.conversations_replies(
            channel=row.channel, ts=ts, latest=ts, inclusive=True, limit=1
        ),
    )
    message = next((m for m in answer.get("messages") or [] if m.get("ts") == ts), None)
    if message is not None:  # not in an incident thread: nothing to add, no answer
        await ctx.services.timeline.add_message(user, row.channel, message, "reaction")
    await ctx.services.outbox.delivered(row)


KINDS = {
    OutboxKind.POSTMORTEM: Kind(postmortem),
    OutboxKind.TIMELINE_FETCH: Kind(fetch_message),
}
