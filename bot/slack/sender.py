"""Delivers the outbox to Slack.

Rows go out in order per incident (a thread reply waits for its card's ts) and per channel for
rows without an incident; different lanes proceed in parallel. Each channel is paced by a
token bucket (about one message a second, small bursts). A 429 pauses the channel for its
Retry-After; network errors, 5xx and transient Slack errors back off exponentially; other
errors are permanent and recorded. Cards are rendered from current state at send time, so
several changes waiting together cost one `chat.update`.

`run_once` never sleeps: it returns when it should be called again, so tests drive it with a
manual clock and the loop in `run` sleeps on the real one.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.config import Config
from bot.services.alerts import AlertService
from bot.services.container import Services
from bot.services.handover import HandoverService
from bot.services.incidents import IncidentService
from bot.services.outbox import OutboxService
from bot.services.records import OutboxRecord
from bot.slack import alert_delivery, blocks, informed_delivery
from bot.slack.errors import retry_after

log = structlog.get_logger("firebell.sender")

TRANSIENT = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "team_added_to_org",
}
MAX_BACKOFF = 300.0
GIVE_UP_AFTER = timedelta(hours=24)


class PermanentError(Exception):
    """A row that can never be delivered (e.g. its card was never posted)."""


@dataclass
class Pacer:
    """Token bucket per channel; `blocked` holds Retry-After pauses."""

    rate: float = 1.0
    burst: float = 3.0
    tokens: dict[str, float] = field(default_factory=dict)
    stamp: dict[str, datetime] = field(default_factory=dict)
    blocked: dict[str, datetime] = field(default_factory=dict)

    def ready_at(self, channel: str, now: datetime) -> datetime:
        tokens = self._refill(channel, now)
        ready = now if tokens >= 1 else now + timedelta(seconds=(1 - tokens) / self.rate)
        return max(ready, self.blocked.get(channel, now))

    def take(self, channel: str, now: datetime) -> None:
        self.tokens[channel] = self._refill(channel, now) - 1

    def block(self, channel: str, until: datetime) -> None:
        self.blocked[channel] = max(until, self.blocked.get(channel, until))

    def _refill(self, channel: str, now: datetime) -> float:
        last = self.stamp.get(channel, now)
        elapsed = max((now - last).total_seconds(), 0.0)
        tokens = min(self.burst, self.tokens.get(channel, self.burst) + elapsed * self.rate)
        self.tokens[channel], self.stamp[channel] = tokens, now
        return tokens


class OutboxSender:
    def __init__(
        self,
        outbox: OutboxService,
        incidents: IncidentService,
        handover: HandoverService,
        client: AsyncWebClient,
        config: Config,
        clock: Clock,
        *,
        pacer: Pacer | None = None,
        concurrency: int = 8,
        batch: int = 500,
        poll_seconds: float = 1.0,
        settle_seconds: float = 0.1,
        alerts: AlertService | None = None,
        services: Services | None = None,
    ) -> None:
        self.outbox = outbox
        # reports, postmortems, timeline and metrics for `informed_delivery`'s kinds
        self.services = services
        self.alerts = alerts  # renders alert replies, quiet alert posts, maintenance posts
        self.incidents = incidents
        self.handover = handover
        self.client = client
        self.config = config
        self.clock = clock
        self.pacer = pacer or Pacer()
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.settle_seconds = settle_seconds
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Deliver until `stop`; rows written by other processes are found by polling."""
        while not self._stopping:
            self._wake.clear()
            try:
                next_at = await self.run_once()
            except Exception:  # the loop must outlive any one bad round
                log.exception("outbox_round_failed")
                next_at = None
            wait = self.poll_seconds
            if next_at is not None:
                wait = min(wait, max((next_at - self.clock.now()).total_seconds(), 0.0))
            if wait > 0 and not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=wait)
                # rounds at most every `settle_seconds`: a burst of changes shares one round
                # (and one card render), and a paced backlog is not rescanned on every write
                await asyncio.sleep(self.settle_seconds)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run_once(self) -> datetime | None:
        """Send everything deliverable now; return when to look again (None: nothing waits)."""
        rows = await self.outbox.pending(self.batch)
        lanes = _lanes(rows)
        owned = await self.outbox.own_lanes(list(lanes))  # other replicas deliver the rest
        if self.outbox.took_over:
            # Rows of a lane taken over just now were read before this replica held it; the
            # replica that held it may have sent them since. Read again, under the lock.
            rows = await self.outbox.pending(self.batch)
            lanes = _lanes(rows)
        results = await asyncio.gather(
            *(self._guarded(lanes[key]) for key in lanes if key in owned)
        )
        await self.outbox.release_lanes(keep=list(lanes))
        waits = [wait for wait, _ in results if wait is not None]
        if len(rows) == self.batch and any(sent for _, sent in results):
            return self.clock.now()  # a full batch made progress: more may be behind it
        return min(waits) if waits else None

    async def _guarded(self, rows: list[OutboxRecord]) -> tuple[datetime | None, int]:
        """One lane's failure (a database error, say) must not leave the round half done:
        the lanes are released and that lane is tried again a second later."""
        try:
            return await self._lane(rows)
        except Exception:
            log.exception("outbox_lane_failed", first_row=rows[0].id if rows else None)
            return self.clock.now() + timedelta(seconds=1), 0

    async def _lane(self, rows: list[OutboxRecord]) -> tuple[datetime | None, int]:
        """Deliver one lane in order; (when it can go on, how many rows were settled)."""
        async with self._slots:
            done: set[int] = set()
            settled = 0
            for row in rows:
                if row.id in done:
                    continue
                now = self.clock.now()
                if row.not_before > now:
                    return row.not_before, settled
                ready = self.pacer.ready_at(row.channel or "", now)
                if ready > now:  # paced: decided before any database or Slack work
                    return ready, settled
                self.pacer.take(row.channel or "", now)  # no await between check and take
                later = alert_delivery.covered(rows, row)  # what this render also covers
                retry = await self._attempt(row, now, later)
                if retry is not None:
                    return retry, settled
                settled += 1
                done.update(r.id for r in later)  # superseded by the render just sent
            return None, settled

    async def _attempt(
        self, row: OutboxRecord, now: datetime, later: list[OutboxRecord]
    ) -> datetime | None:
        channel = row.channel or ""
        try:
            call = await self._prepare(row, later)
            started = time.perf_counter()
            await call()
            log.info(
                "slack_delivered",
                row=row.id,
                kind=row.kind,
                incident=row.incident_id,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )
            return None
        except PermanentError as exc:
            await self._fail(row, str(exc))
        except SlackApiError as exc:
            return await self._slack_error(row, channel, exc)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return await self._retry(row, f"network: {type(exc).__name__}: {exc}")
        return None

    async def _prepare(self, row: OutboxRecord, later: list[OutboxRecord]):
        """The call that delivers a row and records it, rendered from current state."""
        payload = row.payload
        if row.kind in alert_delivery.KINDS:
            return await alert_delivery.prepare(self, row, later)
        if row.kind in informed_delivery.KINDS:
            return await informed_delivery.prepare(self, row)
        if row.kind == "ephemeral":

            async def ephemeral():
                await self.client.chat_postEphemeral(
                    channel=row.channel, user=payload["user"], text=payload["text"]
                )
                await self.outbox.delivered(row)

            return ephemeral
        if row.kind in ("handover", "handover_dm"):
            summary = await self.handover.at(
                payload["rotation"], datetime.fromisoformat(payload["at"])
            )
            if summary is None:
                raise PermanentError(f"no rotation {payload['rotation']!r} any more")
            text, handover_blocks = blocks.handover(
                summary, self.config, personal=row.kind == "handover_dm"
            )

            async def send_handover():
                await self.client.chat_postMessage(
                    channel=row.channel, text=text, blocks=handover_blocks, unfurl_links=False
                )
                await self.outbox.delivered(row)

            return send_handover
        incident = await self.incidents.get(row.incident_id) if row.incident_id else None
        if incident is None:
            raise PermanentError(f"no incident {row.incident_id}")
        channel = incident.channel_id
        if row.kind == "card":
            alert = await alert_delivery.card_context(self, incident)
            render = blocks.card(incident, self.config, alert=alert)
            text = blocks.card_text(incident)
            last = max((r.id for r in later), default=None)

            async def send_card():
                if incident.thread_ts:
                    await self.client.chat_update(
                        channel=channel, ts=incident.thread_ts, text=text, blocks=render
                    )
                    await self.outbox.delivered(row, supersede_up_to=last)
                else:
                    response = await self.client.chat_postMessage(
                        channel=channel, text=text, blocks=render, unfurl_links=False
                    )
                    await self.outbox.delivered(row, card_ts=response["ts"], supersede_up_to=last)

            return send_card
        event = await self.incidents.event(payload["event_id"])
        if event is None:
            raise PermanentError(f"no event {payload['event_id']}")
        if row.kind == "reply":
            if not incident.thread_ts:
                raise PermanentError("the incident's card was never posted")
            text, buttons = blocks.thread_reply(event, incident, self.config, self.clock.now())

            async def send_reply():
                await self.client.chat_postMessage(
                    channel=channel,
                    thread_ts=incident.thread_ts,
                    text=text,
                    unfurl_links=False,
                    **({"blocks": buttons} if buttons else {}),
                )
                await self.outbox.delivered(row)

            return send_reply
        if row.kind == "dm":
            text, dm_blocks = blocks.page_dm(event, incident, self.config)

            async def send_dm():
                await self.client.chat_postMessage(
                    channel=payload["user"], text=text, blocks=dm_blocks, unfurl_links=False
                )
                await self.outbox.delivered(row)

            return send_dm
        raise PermanentError(f"unknown outbox kind {row.kind!r}")

    async def _slack_error(self, row: OutboxRecord, channel: str, exc: SlackApiError):
        response = exc.response
        error = response.get("error") if isinstance(response.data, dict) else None
        status = response.status_code
        if status == 429 or error == "ratelimited":
            wait = max(retry_after(response.headers), 1.0)
            until = self.clock.now() + timedelta(seconds=wait)
            self.pacer.block(channel, until)
            log.warning("slack_rate_limited", row=row.id, channel=channel, retry_after=wait)
            self._count_error(row, "rate_limited")
            await self.outbox.retry_at(row, until, f"429 ratelimited, retry after {wait}s")
            return until
        if status >= 500 or error in TRANSIENT:
            return await self._retry(row, f"slack {status} {error or ''}".strip())
        await self._fail(row, f"slack error: {error or status}")
        return None

    async def _retry(self, row: OutboxRecord, error: str) -> datetime | None:
        now = self.clock.now()
        if now - row.created_at > GIVE_UP_AFTER:
            await self._fail(row, f"gave up after {GIVE_UP_AFTER}: {error}")
            return None
        delay = min(2.0**row.attempts, MAX_BACKOFF)
        until = now + timedelta(seconds=delay)
        self._count_error(row, "retry")
        log.warning(
            "slack_retry",
            row=row.id,
            kind=row.kind,
            attempt=row.attempts + 1,
            delay_s=delay,
            error=error,
        )
        await self.outbox.retry_at(row, until, error)
        return until

    def _count_error(self, row: OutboxRecord, outcome: str) -> None:
        if self.services is not None:
            self.services.telemetry.delivery_error(row.kind, outcome)

    async def _fail(self, row: OutboxRecord, error: str) -> None:
        self._count_error(row, "failed")
        log.error(
            "slack_delivery_failed",
            row=row.id,
            kind=row.kind,
            incident=row.incident_id,
            error=error,
        )
        await self.outbox.failed(row, error)


def _lanes(rows: list[OutboxRecord]) -> dict[tuple, list[OutboxRecord]]:
    """Rows by delivery lane: per incident, else per channel; in id order within each."""
    lanes: dict[tuple, list[OutboxRecord]] = defaultdict(list)
    for row in rows:
        key = ("incident", row.incident_id) if row.incident_id else ("channel", row.channel)
        lanes[key].append(row)
    return lanes
