"""The one write path of an incident change, shared by commands, buttons, alerts and timers.

Everything a change causes, in order, in the caller's transaction:
1. the incident's fields; when the schedule moved, a bumped fence (so a timer already
   claimed elsewhere sees it is stale) and re-armed escalation timers;
2. the timeline event, with who a page reaches at this instant, and its audit row;
3. the outbox rows for what Slack must show: the card, the thread reply, each paged person's
   rules (`paging`: a DM, an e-mail, a push, now or by timer), and once someone takes the
   incident, its earlier page DMs re-rendered and the steps still to come cancelled;
4. the followers, in order, each handed the incident as now written: the metrics, the update
   reminders, the stakeholder broadcasts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from bot.core.incident import Event
from bot.core.outbox import OutboxKind
from bot.services import audit, broadcasts, oncall, paging, reminders
from bot.services.context import Context, Recorded
from bot.services.models import IncidentRecord
from bot.store import incidents as store
from bot.store import outbox, timers

ESCALATION_TIMERS = ("escalate", "page")
# changes after which a page by DM no longer asks anyone to acknowledge
PAGES_TAKEN = frozenset({"acknowledged", "resolved"})
# the kinds of change the followers act on; for others the incident is not read again
FOLLOWED = frozenset({"declared", "acknowledged", "update", "severity", "resolved", "reopened"})


def count(conn: Connection, ctx: Context, change: Recorded) -> None:
    """Metrics: declarations counted, acknowledgement and resolution times observed."""
    ctx.telemetry.recorded(change.kind, change.row, change.now)


Follower = Callable[[Connection, Context, Recorded], None]
FOLLOWERS: tuple[Follower, ...] = (count, reminders.follow, broadcasts.follow)


def apply(
    conn: Connection,
    ctx: Context,
    before: IncidentRecord,
    fields: Mapping[str, Any],
    event: Event,
    now: datetime,
) -> Mapping[str, Any]:
    """Write a change to an incident as it was read (locked) in this transaction; the
    incident's row as now written."""
    fields = dict(fields)
    number, fence = before.id, before.escalation_fence
    if "ack_due_at" in fields or "waiting_until" in fields:
        fields["escalation_fence"] = fence + 1
        timers.cancel(conn, number, ESCALATION_TIMERS)
        arm(conn, number, fence + 1, fields, now)
    row = store.update(conn, number, fields)
    was = {k: getattr(before, k, None) for k in fields}
    record(conn, ctx, number, before.channel_id, event, now, changed=(was, fields), row=row)
    return row


def arm(
    conn: Connection, number: int, fence: int, fields: Mapping[str, Any], now: datetime
) -> None:
    """Timers for a schedule: page when coverage resumes, escalate when the ack is due."""
    if fields.get("waiting_until"):
        timers.schedule(conn, now, "page", fields["waiting_until"], incident_id=number, fence=fence)
    if fields.get("ack_due_at"):
        timers.schedule(
            conn, now, "escalate", fields["ack_due_at"], incident_id=number, fence=fence
        )


def record(
    conn: Connection,
    ctx: Context,
    number: int,
    channel: str,
    event: Event,
    now: datetime,
    changed: tuple[Mapping[str, Any], Mapping[str, Any]] | None = None,
    row: Mapping[str, Any] | None = None,
) -> None:
    """The timeline event, its audit row (`changed`: the fields before and after, else the
    event's own data), the outbox rows it causes, and the followers. `row`: the incident as
    now written, when the caller has it (else read once, if a follower needs it)."""
    data = dict(event.data)
    if "level" in data and not data.get("waiting_until"):  # a page goes out now: to whom
        found = oncall.resolve(
            conn, ctx.rotations, [*data.get("targets", []), *data.get("page", [])], now
        )
        data["notified"], data["on_call"] = list(found.users), found.on_call
        if found.unreached:  # no Slack user has these addresses: paged by other media or not
            elsewhere = paging.outside_slack(conn, ctx.config, found.unreached)
            missed = [user for user in found.unreached if user not in elsewhere]
            data["notified"] += elsewhere
            # the thread says whom a page reaches outside Slack only, and who was not paged
            if elsewhere:
                data["outside_slack"] = elsewhere
            if missed:
                data["unreached"] = missed
    event_id = store.add_event(conn, number, now, event.actor, event.kind, event.text, data)
    if row is None and event.kind in FOLLOWED:
        row = store.load(conn, number)
    audit.incident_change(conn, now, number, event, data, changed, row)
    outbox.enqueue_card_and(conn, now, OutboxKind.REPLY, number, channel, event_id)
    # each person paged runs their rules: Slack, e-mail, push, phone, now or by timer
    paging.page(conn, ctx, number, data.get("notified", []), event_id, now)
    if event.kind in PAGES_TAKEN:
        # the page DMs stop asking for an acknowledgement (an incident paged by no DM has
        # none to edit, and a DM written after this shows the incident as it then stands)
        if outbox.any_of(conn, number, OutboxKind.DM):
            outbox.enqueue(conn, now, OutboxKind.PAGES_TAKEN, incident_id=number)
        paging.cancel(conn, number)  # and the steps still to come never go out
    if event.kind in FOLLOWED and row is not None:
        change = Recorded(row, event_id, event, now)
        for follower in FOLLOWERS:
            follower(conn, ctx, change)
