"""Posting each outbox row once: Slack's `chat.postMessage` has no idempotency key, so every
post carries the row id in its message metadata, and a row that was in flight when its
replica died or its answer timed out is first looked for in Slack and adopted if found.

The search is bounded (the newest `WINDOW` messages of the channel, or of the thread): a row
posted further back than that is posted again (at least once, as before).
"""

from __future__ import annotations

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.models import OutboxRecord
from bot.slack.delivery.reading import read
from bot.slack.errors import Category, classify

log = structlog.get_logger("firebell.sender")

EVENT_TYPE = "firebell_outbox_row"
WINDOW = 200  # messages looked through for a row in flight


def metadata(row: OutboxRecord) -> dict:
    return {"event_type": EVENT_TYPE, "event_payload": {"row": row.id}}


def _is_row(message: dict, row: OutboxRecord) -> bool:
    meta = message.get("metadata") or {}
    payload = meta.get("event_payload") or {}
    return meta.get("event_type") == EVENT_TYPE and payload.get("row") == row.id


async def find(
    slack: AsyncWebClient, row: OutboxRecord, channel: str, thread_ts: str | None
) -> tuple[str, str] | None:
    """(channel, ts) of the message an earlier attempt at `row` made, if Slack has it; None
    when the row was not in flight or the message is not there (post it)."""
    if row.in_flight_at is None:
        return None
    try:
        if channel.startswith(("U", "W")):  # a DM by user id: Slack posted it in the IM
            opened = await slack.conversations_open(users=channel)
            channel = opened["channel"]["id"]
        if thread_ts:
            answer = await read(
                slack,
                channel,
                lambda: slack.conversations_replies(
                    channel=channel, ts=thread_ts, include_all_metadata=True, limit=WINDOW
                ),
            )
        else:
            answer = await read(
                slack,
                channel,
                lambda: slack.conversations_history(
                    channel=channel, include_all_metadata=True, limit=WINDOW
                ),
            )
    except Exception as exc:
        failure = classify(exc)
        if failure is None or failure.category in (Category.RATE_LIMITED, Category.TRANSIENT):
            raise  # look again later: the row stays in flight
        # cannot look (a missing scope, say): post, and risk a repeat rather than a loss
        log.warning("outbox_lookup_failed", row=row.id, error=failure.describe())
        return None
    for message in answer.get("messages") or []:
        if _is_row(message, row):
            log.info("outbox_row_adopted", row=row.id, kind=row.kind, ts=message.get("ts"))
            return channel, message["ts"]
    return None
