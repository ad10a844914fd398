"""The outbox sender: lanes, pacing, retries and coalescing over the delivery table.

Rows go out in order per lane (a thread reply waits for its card's ts) and lanes proceed in
parallel. Each channel is paced (`pacing.Pacer`; on PostgreSQL by one replica at a time);
rows of kinds that are not paced (private answers, pages outside Slack) go at once, read by a
sender of their own (`Senders`) so that no backlog of channel posts hides them. A person's
page DMs (`Coalesce.BUNDLE`) are one lane per person, paced to one DM per `BUNDLE_EVERY`
seconds, each carrying every page due (`core.outbox.bundle`). When lanes wait for their
channel's pace, the most urgent go first: cards before replies, severe incidents first. A
channel (or person) whose pace lets nothing out rests: its paced rows are not read again
until it may post, so the writes of a storm do not each rescan its backlog.
Before its post a row is marked in flight (`Deliveries.post`), so a retry after a crash or a
timeout looks for the message before posting again (`once.py`); other deliveries (a card's
update, page DMs re-rendered) write no mark, as their retry has nothing to look for (one
write fewer each). A failure is classified by the row's kind: rate
limited pauses the channel for its Retry-After; transient backs off exponentially; any other
is recorded as failed. What one delivery covers (`core.outbox.covered`) is skipped. The sender
knows no kind by name: `table.delivery_table()` says how each is delivered. Each Slack
delivery's outcome is reported to the services' `SlackHealth` (shown on /readyz).

`run_once` never sleeps: it returns when it should be called again, so tests drive it with a
manual clock and the loop in `run` sleeps on the real one.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta

import structlog

from bot.clock import Clock
from bot.core.outbox import Coalesce, covered, lanes, ordered
from bot.services.models import OutboxRecord
from bot.services.outbox import OutboxService
from bot.services.telemetry import Telemetry
from bot.slack import errors
from bot.slack.delivery import once
from bot.slack.delivery.kinds import Deliveries, Kind, Undeliverable
from bot.slack.delivery.pacing import Pacer
from bot.slack.errors import Category, Failure

log = structlog.get_logger("firebell.sender")

MAX_BACKOFF = 300.0
DIRECT = ("U", "W", "D")  # a person's id or a DM: not a channel replicas share
GIVE_UP_AFTER = timedelta(hours=24)
BUNDLE_EVERY = 5.0  # seconds between two DMs to one person: pages due meanwhile share one
QUICK_SETTLE = 0.02  # the quick sender's pause after a wake: writes of a storm share a round


class OutboxSender:
    def __init__(
        self,
        outbox: OutboxService,
        table: Mapping[str, Kind],
        deliveries: Deliveries,
        clock: Clock,
        telemetry: Telemetry,
        *,
        kinds: Collection[str] = (),
        among: bool = True,
        pacer: Pacer | None = None,
        concurrency: int = 8,
        batch: int = 500,
        poll_seconds: float = 1.0,
        settle_seconds: float = 0.1,
    ) -> None:
        """It reads rows of `kinds`, or (not `among`) of any kind but those; no `kinds`: all."""
        self.outbox = outbox
        self.table = dict(table)
        self.kinds, self.among = frozenset(kinds), among
        self.coalesce = deliveries.coalesce  # the table's rules, as the deliveries read them
        self.unpaced = frozenset(name for name, kind in table.items() if not kind.paced)
        self.bundled = frozenset(n for n, k in table.items() if k.coalesce is Coalesce.BUNDLE)
        self.merged = frozenset(n for n, k in table.items() if k.coalesce is Coalesce.ALL)
        self.free = self.unpaced - self.bundled  # kinds nothing paces
        self.lanes = outbox.lanes()
        self.deliveries = deliveries
        self.clock = clock
        self.telemetry = telemetry
        self.slack_health = deliveries.services.health.slack
        self.pacer = pacer or Pacer()
        self.bundles = Pacer(rate=1 / BUNDLE_EVERY, burst=1.0)  # per person, in this replica
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.settle_seconds = settle_seconds
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._stopping = False
        # channels (or people, for bundled pages) whose pace lets nothing out before a time:
        # their paced rows are not read again until then, so a write during a storm does not
        # rescan that backlog; with the lanes their rows were in, held meanwhile (PostgreSQL's
        # lane locks)
        self._resting: dict[str, tuple[datetime, frozenset[tuple]]] = {}
        self._read = outbox.memo(batch)  # rows read, not decoded again while unchanged

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
        now = self.clock.now()
        resting = {c: rest for c, rest in self._resting.items() if rest[0] > now}
        rows = await self._pending(resting)
        by_lane = lanes(rows, self.unpaced, self.bundled, self.merged)
        # other replicas deliver the lanes they hold; posting into a channel also takes that
        # channel's lane, so one replica at a time paces each channel
        owned = await self.lanes.acquire([*by_lane, *self._channels(rows)])
        for kind, channel in self.lanes.taken:
            if kind == "channel":  # another replica may have just spent the channel's burst
                now = self.clock.now()
                recent = await self.outbox.posts_since(channel, now - self.pacer.window)
                self.pacer.seed(channel or "", now, recent)
        if self.lanes.took_over:
            # Rows of a lane taken over just now were read before this replica held it; the
            # replica that held it may have sent them since. Read again, under the lock.
            rows = await self._pending(resting)
            by_lane = lanes(rows, self.unpaced, self.bundled, self.merged)
        run = [key for key in ordered(by_lane, self._rank) if key in owned]
        results = await asyncio.gather(  # started most urgent first: they take the pace first
            *(self._guarded(by_lane[key], owned) for key in run)
        )
        mine = [row for key in by_lane if key in owned for row in by_lane[key]]
        held = [lane for _, kept in resting.values() for lane in kept]
        await self.lanes.release_all_but([*by_lane, *self._channels(mine), *held])
        waiting = {key: by_lane[key] for key, (wait, _) in zip(run, results, strict=True) if wait}
        self._resting = resting | self._rests(waiting, owned)
        waits = [wait for wait, _ in results if wait is not None]
        waits += [until for until, _ in resting.values()]
        if len(rows) == self.batch and any(sent for _, sent in results):
            return self.clock.now()  # a full batch made progress: more may be behind it
        return min(waits) if waits else None

    async def _pending(self, resting: Collection[str]) -> list[OutboxRecord]:
        """This sender's pending rows but the paced ones of `resting` channels; the rows
        unchanged since its last read are not decoded again."""
        return await self.outbox.pending(
            self.batch, self.kinds, among=self.among, skip=resting, free=self.free, kept=self._read
        )

    def _rests(
        self, by_lane: Mapping[tuple, list[OutboxRecord]], owned: set[tuple]
    ) -> dict[str, tuple[datetime, frozenset[tuple]]]:
        """Of the lanes still waiting, the channels (people) this replica paces that can take
        no post now: until when, and the lanes of their rows (with a shared channel's own)."""
        now = self.clock.now()
        found: dict[str, tuple[Pacer, set[tuple]]] = {}
        for key, rows in by_lane.items():
            for row in rows:
                pacer = self._pace(row)
                if pacer is not None:
                    found.setdefault(row.channel or "", (pacer, set()))[1].add(key)
        rests = {}
        for channel, (pacer, keys) in found.items():
            shared = pacer is self.pacer and not channel.startswith(DIRECT)
            if shared and ("channel", channel) not in owned:
                continue  # another replica paces it
            until = pacer.ready_at(channel, now)
            if until > now:
                lanes_held = keys | {("channel", channel)} if shared else keys
                rests[channel] = (until, frozenset(lanes_held))
        return rests

    def _rank(self, row: OutboxRecord) -> tuple:
        """Cards first, most severe first; every other row after them, in its order."""
        kind = self.table.get(row.kind)
        if kind is not None and kind.urgent:
            return (0, *self.deliveries.rank(row))
        return (1, 0, row.id)

    def _pace(self, row: OutboxRecord) -> Pacer | None:
        """What paces the row's posts: its channel's pace, a person's bundles, or nothing."""
        if row.kind in self.bundled:
            return self.bundles
        return None if row.kind in self.unpaced else self.pacer

    def _channels(self, rows: list[OutboxRecord]) -> set[tuple]:
        """The channel lanes that pace these rows' posts (DMs are paced by each replica)."""
        return {("channel", r.channel) for r in rows if self._shared_pace(r)}

    def _shared_pace(self, row: OutboxRecord) -> bool:
        """A post into a shared channel: paced by one replica at a time."""
        channel = row.channel or ""
        return row.kind not in self.unpaced and not channel.startswith(DIRECT)

    async def _guarded(
        self, rows: list[OutboxRecord], owned: set[tuple]
    ) -> tuple[datetime | None, int]:
        """One lane's failure (a database error, say) must not leave the round half done:
        the lanes are released and that lane is tried again a second later."""
        try:
            return await self._lane(rows, owned)
        except Exception:
            log.exception("outbox_lane_failed", first_row=rows[0].id if rows else None)
            return self.clock.now() + timedelta(seconds=1), 0

    async def _lane(
        self, rows: list[OutboxRecord], owned: set[tuple]
    ) -> tuple[datetime | None, int]:
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
                pacer = self._pace(row)
                if pacer is not None:
                    if self._shared_pace(row) and ("channel", row.channel) not in owned:
                        return now + timedelta(seconds=self.poll_seconds), settled  # elsewhere
                    ready = pacer.ready_at(row.channel or "", now)
                    if ready > now:  # paced: decided before any database or Slack work
                        return ready, settled
                    pacer.take(row.channel or "", now)  # no await between check and take
                # what this delivery stands for (a bundle may have carried later rows already)
                later = [r for r in covered(rows, row, self.coalesce) if r.id not in done]
                retry, took = await self._attempt(row, later)
                if retry is not None:
                    return retry, settled
                settled += 1
                done.update(took)
            return None, settled

    async def _attempt(
        self, row: OutboxRecord, later: list[OutboxRecord]
    ) -> tuple[datetime | None, Sequence[int]]:
        """(when to retry, None once settled; the ids of `later` settled with it)."""
        kind = self.table.get(row.kind)
        started = time.perf_counter()
        try:
            if kind is None:
                raise Undeliverable(f"unknown outbox kind {row.kind!r}")
            took = await kind.deliver(self.deliveries, row, later)
        except Undeliverable as exc:
            await self._fail(row, str(exc))
            return None, ()
        except Exception as exc:
            failure = kind.classify(exc) if kind is not None else None
            if failure is None:
                raise
            if failure.service == "slack" and failure.category is not Category.RATE_LIMITED:
                self.slack_health.failed()  # a rate limit is Slack's pace, not a failure
            return await self._failed(row, failure), ()
        if kind.classify is errors.classify:  # a Slack kind (pages outside Slack have their own)
            self.slack_health.succeeded(self.clock.now())
        log.info(
            "slack_delivered",
            row=row.id,
            kind=row.kind,
            incident=row.incident_id,
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return None, [r.id for r in later] if took is None else took

    async def _failed(self, row: OutboxRecord, failure: Failure) -> datetime | None:
        if failure.category is Category.RATE_LIMITED:
            channel = row.channel or ""
            wait = max(failure.retry_after, 1.0)
            until = self.clock.now() + timedelta(seconds=wait)
            (self._pace(row) or self.pacer).block(channel, until)
            log.warning("slack_rate_limited", row=row.id, channel=channel, retry_after=wait)
            self.telemetry.delivery_error(row.kind, "rate_limited")
            described = dataclasses.replace(failure, retry_after=wait).describe()
            await self.outbox.retry_at(row, until, described, answered=once.refused_post(failure))
            return until
        if failure.category is Category.TRANSIENT:
            # no answer to the post (a network error, a timeout, a refused lookup): it may
            # have landed, and the row stays in flight
            return await self._retry(row, failure.describe(), answered=once.refused_post(failure))
        await self._fail(row, failure.describe())
        return None

    async def _retry(self, row: OutboxRecord, error: str, *, answered: bool) -> datetime | None:
        now = self.clock.now()
        if now - row.created_at > GIVE_UP_AFTER:
            await self._fail(row, f"gave up after {GIVE_UP_AFTER}: {error}")
            return None
        delay = min(2.0**row.attempts, MAX_BACKOFF)
        until = now + timedelta(seconds=delay)
        self.telemetry.delivery_error(row.kind, "retry")
        log.warning(
            "slack_retry",
            row=row.id,
            kind=row.kind,
            attempt=row.attempts + 1,
            delay_s=delay,
            error=error,
        )
        await self.outbox.retry_at(row, until, error, answered=answered)
        return until

    async def _fail(self, row: OutboxRecord, error: str) -> None:
        self.telemetry.delivery_error(row.kind, "failed")
        log.error(
            "slack_delivery_failed",
            row=row.id,
            kind=row.kind,
            incident=row.incident_id,
            error=error,
        )
        await self.outbox.failed(row, error)


class Senders:
    """Two senders over one delivery table: channel posts at Slack's pace, and the rows that
    must not wait behind them (private answers, pages), read apart and with a pause after a
    wake of `QUICK_SETTLE` (0.02 s) instead of 0.1 s. A storm's backlog of paced posts then
    never keeps a page out of the sender's read. Each has its own lanes; `run_once` runs a
    round of both."""

    def __init__(
        self,
        outbox: OutboxService,
        table: Mapping[str, Kind],
        deliveries: Deliveries,
        clock: Clock,
        telemetry: Telemetry,
        *,
        pacer: Pacer | None = None,
    ) -> None:
        quick = frozenset(name for name, kind in table.items() if not kind.paced)
        args = (outbox, table, deliveries, clock, telemetry)
        self.paced = OutboxSender(*args, kinds=quick, among=False, pacer=pacer)
        self.quick = OutboxSender(*args, kinds=quick, settle_seconds=QUICK_SETTLE)
        self._all = (self.paced, self.quick)

    def wake(self) -> None:
        for sender in self._all:
            sender.wake()

    def stop(self) -> None:
        for sender in self._all:
            sender.stop()

    async def run(self) -> None:
        await asyncio.gather(*(sender.run() for sender in self._all))

    async def run_once(self) -> datetime | None:
        """A round of each, one after the other (so a test's round goes in one order; `run`
        runs them side by side)."""
        found = [await sender.run_once() for sender in self._all]
        waits = [at for at in found if at is not None]
        return min(waits) if waits else None
