"""Posting each outbox row once: Slack's `chat.postMessage` has no idempotency key, so every
post carries the row id in its message metadata, and a row that was in flight when its
replica died or its answer timed out is first looked for in Slack and adopted if found.

The search is bounded (the newest `WINDOW` messages of the channel, or of the thread): a row
posted further back than that is posted again (at least once, as before).

The metadata also names the later rows the post covered (a card render, a run of alerts), so
an adopted message supersedes exactly those: rows that came after its render stay pending and
are shown by the next delivery (a card found in Slack with an older state is updated, not
taken as current). Only Slack's refusal of the post itself proves nothing landed
(`refused_post`); a refused lookup leaves the row in flight, to be looked for again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.models import OutboxRecord
from bot.slack.delivery.reading import read
from bot.slack.errors import Category, Failure, classify

log = structlog.get_logger("firebell.sender")

EVENT_TYPE = "firebell_outbox_row"
WINDOW = 200  # messages looked through for a row in flight
POST = "chat.postMessage"  # the call whose refusal proves the message did not land


@dataclass(frozen=True)
class Found:
    """The message an earlier attempt at a row made, and the rows that post covered."""

    channel: str
    ts: str
    covering: tuple[int, ...]


def metadata(row: OutboxRecord, covering: Sequence[int] = ()) -> dict:
    payload: dict = {"row": row.id}
    if covering:
        payload["covering"] = ranges(covering)
    return {"event_type": EVENT_TYPE, "event_payload": payload}


def ranges(ids: Sequence[int]) -> list[list[int]]:
    """Row ids as [first, last] runs: a storm's coalesced run stays a few bytes."""
    runs: list[list[int]] = []
    for n in sorted(set(ids)):
        if runs and runs[-1][1] == n - 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return runs


def ids(runs: object) -> tuple[int, ...]:
    """The ids `ranges` wrote; nothing for anything else (a message is Slack's to keep)."""
    found: list[int] = []
    for run in runs if isinstance(runs, list) else []:
        if isinstance(run, list) and len(run) == 2 and all(isinstance(n, int) for n in run):
            found.extend(range(run[0], min(run[1], run[0] + 10_000) + 1))
    return tuple(found)


def refused_post(failure: Failure) -> bool:
    """Did Slack answer the post itself with a refusal (so the message is surely not there)?
    A refused lookup, or no answer at all, says nothing about the post."""
    return failure.status is not None and failure.method == POST


def _payload(message: dict, row: OutboxRecord) -> dict | None:
    meta = message.get("metadata") or {}
    payload = meta.get("event_payload") or {}
    if meta.get("event_type") == EVENT_TYPE and payload.get("row") == row.id:
        return payload
    return None


async def find(
    slack: AsyncWebClient, row: OutboxRecord, channel: str, thread_ts: str | None
) -> Found | None:
    """The message an earlier attempt at `row` made, if Slack has it; None when the row was
    not in flight or the message is not there (post it)."""
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
        payload = _payload(message, row)
        if payload is not None:
            log.info("outbox_row_adopted", row=row.id, kind=row.kind, ts=message.get("ts"))
            return Found(channel, message["ts"], ids(payload.get("covering")))
    return None
