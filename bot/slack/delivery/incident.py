"""Delivering an incident's own messages: its card, its thread replies and the pages by DM.

The card is rendered from the incident as it is at send time, so one render stands for every
card row behind it in the lane (`Coalesce.LATEST`): five changes within a second cost one
`chat.update`. A first card post records the thread's root ts, which every reply waits for.
A person's page DMs have a lane of their own (`Coalesce.BUNDLE`): the pages due when one is
sent go in that one DM, most severe first, and the sender sends a person at most one DM per
`BUNDLE_EVERY` seconds, so a storm of 200 incidents is a few DMs, not 200 at Slack's pace.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import structlog
from slack_sdk.errors import SlackApiError

from bot.core.alert_sources import SOURCES
from bot.core.outbox import Coalesce, OutboxKind, bundle
from bot.services.models import IncidentRecord, OutboxRecord
from bot.slack.blocks import card as card_blocks
from bot.slack.blocks.pages import asks, bundle_dm, page_dm
from bot.slack.delivery.kinds import Deliveries, Kind, thread_of
from bot.slack.errors import CONTENT_ERRORS, Category, classify

log = structlog.get_logger("firebell.sender")

MOST = 40  # incidents in one DM: their sections and a heading within Slack's 50 blocks
# `pages_taken` rows one delivery stands for; the rest of the lane goes in the next one. Each
# edit can meet Slack's limit for `chat.update`, and a retry starts a delivery over: a
# bounded one keeps its progress.
TAKEN_MOST = 40


async def card(ctx: Deliveries, row: OutboxRecord, covered: Sequence[OutboxRecord]) -> list[int]:
    services = ctx.services
    incident = await ctx.incident(row)
    alert = await services.alerts.card(incident.id) if incident.source in SOURCES else None
    rendered = card_blocks.card(incident, services.config, alert=alert)
    covering = [r.id for r in covered]
    try:
        return await _show(ctx, row, incident, rendered, covering)
    except Exception as exc:
        failure = classify(exc)
        if failure is None or failure.error not in CONTENT_ERRORS:
            raise
        # Slack refused the blocks: a plain-text card keeps the thread (and every reply and
        # page waiting for it) alive; the refusal is logged and shown on /readyz
        log.error("card_refused", row=row.id, incident=incident.id, error=failure.error)
        note = f"card shown as plain text: {failure.describe()}"
        return await _show(ctx, row, incident, None, covering, note=note)


async def _show(
    ctx: Deliveries,
    row: OutboxRecord,
    incident: IncidentRecord,
    rendered: list | None,
    covering: list[int],
    note: str | None = None,
) -> list[int]:
    """Post the card, or update it in place once its thread exists; the rows it settled."""
    config = ctx.services.config
    text = card_blocks.card_text(incident)
    if rendered is None:
        text = f"{text}\n{card_blocks.status_line(incident, config)}"
    if not incident.thread_ts:
        return await ctx.post(
            row,
            text,
            rendered,
            channel=incident.channel_id,
            covering=covering,
            card=True,
            note=note,
        )
    await ctx.slack.chat_update(
        channel=incident.channel_id, ts=incident.thread_ts, text=text, blocks=rendered or []
    )
    await ctx.services.outbox.delivered(row, covering=covering, note=note)
    return covering


async def reply(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    incident = await ctx.incident(row)
    event = await ctx.event(row.payload["event_id"])
    thread = thread_of(incident)
    text, buttons = card_blocks.thread_reply(
        event, incident, ctx.services.config, ctx.services.clock.now()
    )
    await ctx.post(row, text, buttons, channel=incident.channel_id, thread_ts=thread)


async def page(ctx: Deliveries, row: OutboxRecord, covered: Sequence[OutboxRecord]) -> list[int]:
    """A page by Slack DM with an Acknowledge button; with the person's other pages due now
    (`covered`), one DM listing up to `MOST` incidents. A page whose incident is gone stays
    out, to fail on its own."""
    incidents = {row.incident_id: await ctx.incident(row)}
    carried = [row]
    for other in bundle([row, *covered], ctx.rank, MOST)[1:]:
        if other.incident_id not in incidents:
            found = await ctx.services.incidents.get(other.incident_id)
            if found is None:
                continue
            incidents[other.incident_id] = found
        carried.append(other)
    text, rendered = _pages(ctx, list(incidents.values()))
    covering = [r.id for r in carried[1:]]
    settled = await ctx.post(row, text, rendered, covering=covering, together=True)
    # Taken while the post was on its way? `pages_taken` (perhaps another replica's) edits
    # only DMs recorded as sent, so the incidents are read again now that this one is; one
    # shown with its button that has been acknowledged or resolved since gets another
    # `pages_taken`, which edits this DM with the incident's others (durably, as any row).
    kept = set(settled)
    shown = [row.incident_id, *(r.incident_id for r in carried[1:] if r.id in kept)]
    for number in dict.fromkeys(shown):
        current = await ctx.services.incidents.get(number)
        if asks(incidents[number]) and current is not None and not asks(current):
            await ctx.services.outbox.rerender_pages(number)
            break
    return settled


async def pages_taken(
    ctx: Deliveries, row: OutboxRecord, covered: Sequence[OutboxRecord]
) -> list[int]:
    """Every page DM listing an incident these rows changed, re-rendered as it now stands:
    who acknowledged or resolved it and when, and no button (a stale "You are being paged"
    misleads at 3 a.m.). The rows of every incident share one lane (`Coalesce.ALL`), so each
    DM is edited once for all that wait (up to `TAKEN_MOST` of them): a bundle of thirty
    incidents acknowledged one after another is one `chat.update`, not thirty against
    Slack's limit for the method. A DM not yet recorded as sent is left to its own delivery,
    which re-reads its incidents once it is and, if one has been taken since, writes another
    of these rows. A DM Slack will never let us edit (deleted, say) is logged and left; the
    others are still edited."""
    services = ctx.services
    covered = covered[: TAKEN_MOST - 1]
    last_change: dict[int, datetime] = {}  # per incident, the latest change to show
    for taken in (row, *covered):
        if taken.incident_id is not None:
            last_change[taken.incident_id] = max(
                last_change.get(taken.incident_id, taken.created_at), taken.created_at
            )
    messages: dict[tuple[str | None, str | None], OutboxRecord] = {}
    changed: dict[tuple[str | None, str | None], datetime] = {}  # the last change each shows
    for page_row in await services.outbox.sent(list(last_change), OutboxKind.DM):
        message = (page_row.sent_channel, page_row.sent_ts)
        messages.setdefault(message, page_row)
        at = last_change[page_row.incident_id]
        changed[message] = max(changed.get(message, at), at)
    for message, page_row in messages.items():
        carried = await services.outbox.sent_in(page_row)
        started = max((r.in_flight_at for r in carried if r.in_flight_at), default=None)
        if started is not None and started > changed[message]:
            continue  # rendered after the changes: it shows them already
        numbers = dict.fromkeys(r.incident_id for r in carried if r.incident_id)
        found = [await services.incidents.get(n) for n in numbers]
        text, rendered = _pages(ctx, [i for i in found if i is not None])
        try:
            await ctx.slack.chat_update(
                channel=page_row.sent_channel, ts=page_row.sent_ts, text=text, blocks=rendered
            )
        except SlackApiError as exc:
            failure = classify(exc)
            if failure is None or failure.category is not Category.PERMANENT:
                raise  # the whole delivery again, later: an edit twice shows the same
            log.warning("page_dm_not_edited", channel=page_row.sent_channel, error=failure.error)
    settled = [r.id for r in covered]
    await services.outbox.delivered(row, covering=settled)
    return settled


def _pages(ctx: Deliveries, incidents: list[IncidentRecord]) -> tuple[str, list]:
    """One incident's page, or the bundle of several, most severe first."""
    if len(incidents) == 1:
        return page_dm(incidents[0], ctx.services.config)
    incidents.sort(key=lambda i: (ctx.severity_rank(i.severity), i.id))
    return bundle_dm(incidents, ctx.services.config)


async def transferred(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    """A line in the new owner's channel: the thread stays where it is, linked from here."""
    incident = await ctx.incident(row)
    await ctx.post(row, card_blocks.handed_over(incident, await ctx.permalink(incident)))


KINDS = {
    OutboxKind.CARD: Kind(card, Coalesce.LATEST, urgent=True),
    OutboxKind.REPLY: Kind(reply),
    OutboxKind.DM: Kind(page, Coalesce.BUNDLE, paced=False),
    # edits DMs already sent: no channel's pace, nor the incident's posts, holds it back
    OutboxKind.PAGES_TAKEN: Kind(pages_taken, Coalesce.ALL, paced=False),
    OutboxKind.TRANSFERRED: Kind(transferred),
}
