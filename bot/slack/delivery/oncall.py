"""Delivering on-call messages: the shift handover summary and the incoming person's DM (or
e-mail, for someone Slack does not know), and private answers to one person (`ephemeral`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.config import Config
from bot.core.outbox import OutboxKind
from bot.notify import email, one_line
from bot.services.handover import Summary
from bot.services.models import OutboxRecord
from bot.slack import mrkdwn as md
from bot.slack.blocks import oncall as oncall_blocks
from bot.slack.delivery.kinds import Deliveries, Kind, Undeliverable
from bot.slack.delivery.pages import mail

EMAIL_INCIDENTS = 20  # open incidents listed in a handover e-mail (the rest counted)


async def _summary(ctx: Deliveries, row: OutboxRecord) -> Summary:
    payload = row.payload
    summary = await ctx.services.handover.at(
        payload["rotation"], datetime.fromisoformat(payload["at"])
    )
    if summary is None:
        raise Undeliverable(f"no rotation {payload['rotation']!r} any more")
    return summary


async def handover(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    summary = await _summary(ctx, row)
    text, rendered = oncall_blocks.handover(
        summary, ctx.services.config, personal=row.kind == OutboxKind.HANDOVER_DM
    )
    await ctx.post(row, text, rendered)


async def handover_by_email(
    ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]
) -> None:
    """The incoming person's handover, to the e-mail address of their `people:` entry."""
    media = mail(ctx)
    summary = await _summary(ctx, row)
    title, body = handover_email(summary, ctx.services.config)
    await email.send(media.smtp, email.notice(media.smtp_from, row.payload["to"], title, body))
    await ctx.services.outbox.delivered(row)


def handover_email(summary: Summary, config: Config) -> tuple[str, str]:
    """Subject and plain text of a handover e-mail: the shift and the open incidents, with
    private ones masked as in the channel; no Slack markup, user ids or links to Slack."""
    rotation = one_line(summary.rotation, 64)
    until = md.local(summary.incoming.ends_at, config.zone)
    lines = [f"You are on call for {rotation} from now until {until}.", ""]
    shown = summary.incidents[:EMAIL_INCIDENTS]
    if shown:
        lines.append("Open incidents:")
    for item in shown:
        incident = item.incident
        age = md.duration((summary.at - incident.declared_at).total_seconds())
        title = "(private)" if incident.hidden else one_line(incident.title, 120)
        severity = one_line(incident.severity, 20)
        lines.append(f"- {incident.ref} [{severity}] {title} · {incident.status} · open {age}")
    if len(summary.incidents) > len(shown):
        lines.append(f"- and {len(summary.incidents) - len(shown)} more")
    if not shown:
        lines.append("No open incidents.")
    lines += ["", "-- ", "Firebell tells you when each of your on-call shifts starts."]
    subject = f"On call for {rotation} until {md.wall(summary.incoming.ends_at, config.zone)}"
    return subject, "\n".join(lines) + "\n"


async def ephemeral(ctx: Deliveries, row: OutboxRecord, _covered: Sequence[OutboxRecord]) -> None:
    await ctx.slack.chat_postEphemeral(
        channel=row.channel, user=row.payload["user"], text=row.payload["text"]
    )
    await ctx.services.outbox.delivered(row)


KINDS = {
    OutboxKind.HANDOVER: Kind(handover),
    OutboxKind.HANDOVER_DM: Kind(handover),
    OutboxKind.HANDOVER_EMAIL: Kind(handover_by_email, classify=email.classify, paced=False),
    OutboxKind.EPHEMERAL: Kind(ephemeral, paced=False),
}
