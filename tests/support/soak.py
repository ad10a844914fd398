"""A crash soak: real `python -m bot serve` processes answer declares, acknowledgements (by
command and by button) and updates at a steady concurrency while the Slack double answers a
random mix of success, 429, 5xx and answers that come after the client's timeout, and the
processes are SIGKILLed at random moments and restarted on the same database.

`Soak.run()` returns what a test asserts and what `bench/crash_soak.py` reports: every outbox
row's message counted in Slack (duplicates, losses), the final card of every incident against
its stored state, and the effect of every request that was acknowledged."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bot.sandbox.standin.faults import Storm
from bot.sandbox.standin.server import SlackDouble
from bot.slack.delivery.once import EVENT_TYPE, ids
from bot.slack.ids import Action
from tests.support import signing
from tests.support.db import rows
from tests.support.serve import Serve

SECRET = "5e0f9a8b7c6d5e4f3a2b1c0d9e8f3c1d"
CHANNEL = "C0INCIDENTS"
LEVELS = ("U0LEVEL1", "U0LEVEL2")
CONFIG = f"""
incident_channel: {CHANNEL}
timezone: Europe/Berlin
severities:
  - {{name: SEV1, description: Outage, ack_within: 2s, update_every: 1d}}
  - {{name: SEV2, description: Major, ack_within: 3s, update_every: 1d}}
rotations:
  - name: primary
    members: [{LEVELS[0]}]
    shift: 1w
    start: 2026-01-05T09:00
escalation:
  - notify: [rotation:primary]
  - notify: ["@{LEVELS[1]}"]
repeat: 0
"""
SLACK_TIMEOUT = 1.0  # the sender's client timeout; the storm's late answers come after it
POSTED = ("reply", "dm")  # kinds whose every row is in a message (its own, or a bundle's)
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=15)


@dataclass
class Acked:
    """Requests the bot acknowledged (HTTP 200 with the expected answer): their effects must
    be in Slack exactly once. Requests cut off by a kill must show at most once."""

    declared: dict[str, str] = field(default_factory=dict)  # ref -> title
    acknowledged: set[str] = field(default_factory=set)
    updates: dict[str, str] = field(default_factory=dict)  # update text -> ref
    cut_off: int = 0


@dataclass
class Report:
    kills: int = 0
    requests: int = 0
    acked: Acked = field(default_factory=Acked)
    incidents: int = 0
    messages: int = 0
    duplicates: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # cards or threads not matching state
    unsettled: list[str] = field(default_factory=list)
    backlog_at_kills: list[int] = field(default_factory=list)
    drained_after: float = 0.0  # seconds from the last restart to an empty outbox
    calls: Counter = field(default_factory=Counter)  # Slack calls by what the storm did

    def problems(self) -> str:
        found = [
            *(f"duplicate: {d}" for d in self.duplicates),
            *(f"lost: {d}" for d in self.lost),
            *(f"wrong: {d}" for d in self.wrong),
            *(f"unsettled: {d}" for d in self.unsettled),
        ]
        return "\n".join(found[:40])


class Soak:
    """One soak run over `replicas` processes on the database at `url`."""

    def __init__(
        self,
        double: SlackDouble,
        directory: Path,
        url: str,
        *,
        replicas: int = 1,
        kills: int = 10,
        concurrency: int = 6,
        seed: int = 1,
        between_kills: tuple[float, float] = (0.3, 2.5),
        pause: tuple[float, float] = (0.2, 1.0),
        settle_within: float = 90.0,
    ) -> None:
        self.double = double
        self.directory = directory
        self.url = url
        self.kills = kills
        self.concurrency = concurrency
        self.random = random.Random(seed)
        self.between_kills = between_kills
        self.pause = pause
        self.settle_within = settle_within
        self.env = _env(directory, double, url)
        self.storm = Storm(
            rate_limited=0.1, server_error=0.1, late=0.1, late_by=SLACK_TIMEOUT * 1.5, seed=seed
        )
        self.live: list[Serve] = [self._process() for _ in range(replicas)]
        self.every: list[Serve] = list(self.live)
        self.report = Report()
        self._titles = 0

    def _process(self) -> Serve:
        n = len(getattr(self, "every", []))
        return Serve(self.env, self.directory, self.directory / f"serve-{n}.stderr")

    async def run(self) -> Report:
        try:
            self.double.storm(self.storm)
            await asyncio.gather(*(p.start() for p in self.live))
            stop = asyncio.Event()
            connector = aiohttp.TCPConnector(limit=self.concurrency, force_close=True)
            async with aiohttp.ClientSession(connector=connector, timeout=REQUEST_TIMEOUT) as http:
                load = [
                    asyncio.create_task(self._load(http, stop)) for _ in range(self.concurrency)
                ]
                try:
                    await self._kill_and_restart()
                finally:
                    stop.set()
                    await asyncio.gather(*load)
            await self._settle()
            self._verify()
            return self.report
        finally:
            for process in self.every:
                await process.cleanup()

    # -- the load ------------------------------------------------------------------------

    async def _load(self, http: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        """One person after another: a request, then a pause (`pause` seconds, at random), so
        the load is a busy incident room's, not more than Slack's rate could ever drain."""
        while not stop.is_set():
            await asyncio.sleep(self.random.uniform(*self.pause))
            known = sorted(self.report.acked.declared)
            roll = self.random.random()
            if not known or roll < 0.4:
                await self._declare(http)
            elif roll < 0.6:
                await self._ack_command(http, self.random.choice(known))
            elif roll < 0.75:
                await self._ack_button(http, self.random.choice(known))
            else:
                await self._update(http, self.random.choice(known))

    async def _post(self, http: aiohttp.ClientSession, body: str) -> tuple[int, str] | None:
        """Send one signed request to a live replica: (status, body), or None when the
        request was cut off (the process died under it, or was not listening yet)."""
        self.report.requests += 1
        process = self.random.choice(self.live)
        if process.port is None:
            await asyncio.sleep(0.05)
            self.report.acked.cut_off += 1
            return None
        headers = signing.sign(SECRET, body, int(time.time()))
        try:
            async with http.post(
                f"{process.base}/slack/events", data=body, headers=headers
            ) as response:
                return response.status, await response.text()
        except (aiohttp.ClientError, TimeoutError):
            self.report.acked.cut_off += 1
            await asyncio.sleep(0.05)
            return None

    async def _declare(self, http: aiohttp.ClientSession) -> None:
        self._titles += 1
        title = f"Soak outage {self._titles}"
        severity = self.random.choice(("sev1", "sev2"))
        answer = await self._post(http, signing.slash_command_body(f"declare {severity} {title}"))
        if answer and answer[0] == 200:
            found = re.search(r"Declared (INC-\d+)", json.loads(answer[1]).get("text", ""))
            assert found, answer
            self.report.acked.declared[found[1]] = title

    async def _ack_command(self, http: aiohttp.ClientSession, ref: str) -> None:
        answer = await self._post(http, signing.slash_command_body(f"ack {ref}", user_id=LEVELS[0]))
        if answer and answer[0] == 200:
            self.report.acked.acknowledged.add(ref)

    async def _ack_button(self, http: aiohttp.ClientSession, ref: str) -> None:
        incident_id = ref.removeprefix("INC-")  # INC-<n> is incident n
        body = signing.block_actions_body(Action.ACK, value=incident_id, user_id=LEVELS[0])
        answer = await self._post(http, body)
        if answer and answer[0] == 200:
            self.report.acked.acknowledged.add(ref)

    async def _update(self, http: aiohttp.ClientSession, ref: str) -> None:
        self._titles += 1
        text = f"soak update {self._titles}"
        answer = await self._post(http, signing.slash_command_body(f"update {ref} {text}"))
        if answer and answer[0] == 200:
            self.report.acked.updates[text] = ref

    # -- the crashes ---------------------------------------------------------------------

    async def _kill_and_restart(self) -> None:
        for n in range(self.kills):
            await asyncio.sleep(self.random.uniform(*self.between_kills))
            victim = self.random.choice(self.live)
            assert await victim.kill() == -signal.SIGKILL
            self.report.kills += 1
            self.report.backlog_at_kills.append(self._pending())
            replacement = self._process()
            self.every.append(replacement)
            self.live[self.live.index(victim)] = replacement
            if n == self.kills - 1:
                return  # the last one restarts in calm weather, timed by `_settle`
            await replacement.start()

    async def _settle(self) -> None:
        """Calm the storm, start what the last kill left down, and wait until every row is
        delivered and every escalation has run its course."""
        self.report.calls = Counter(
            (c.fault or "ok").split(" ")[0] + (" late" if "delay" in (c.fault or "") else "")
            for c in self.double.calls
        )
        self.double.clear_faults()
        started = time.monotonic()
        await asyncio.gather(*(p.start() for p in self.live if p.port is None))
        deadline = started + self.settle_within
        while self._pending() or self._timers():
            if time.monotonic() > deadline:
                self.report.unsettled.append(
                    f"{self._pending()} outbox rows, {self._timers()} escalation timers "
                    f"still pending after {self.settle_within}s"
                )
                break
            await asyncio.sleep(0.1)
        self.report.drained_after = time.monotonic() - started
        for process in self.live:  # stopped the way an operator would
            await process.terminate()

    def _pending(self) -> int:
        [(n,)] = rows(self.url, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
        return n

    def _timers(self) -> int:
        [(n,)] = rows(
            self.url,
            "SELECT COUNT(*) FROM timers WHERE kind = 'escalate' AND status = 'pending'",
        )
        return n

    # -- what must hold ------------------------------------------------------------------

    def _verify(self) -> None:
        report = self.report
        messages = {
            (channel, m["ts"]): m
            for channel in self.double.channels()
            for m in self.double.messages(channel)
        }
        report.messages = len(messages)
        by_row = Counter(_row_of(m) for m in messages.values() if _row_of(m) is not None)
        report.duplicates += [
            f"outbox row {row} posted {n} times" for row, n in by_row.items() if n > 1
        ]

        for row, kind, status, channel, ts in rows(
            self.url, "SELECT id, kind, status, sent_channel, sent_ts FROM outbox ORDER BY id"
        ):
            if status not in ("sent", "superseded"):
                report.unsettled.append(f"outbox row {row} ({kind}) is {status}")
            elif kind in POSTED and status == "sent":
                channel = self.double.dm_channel(channel) if channel[0] in "UW" else channel
                found = messages.get((channel, ts))
                if found is None or row not in (_row_of(found), *_covering(found)):
                    report.lost.append(f"outbox row {row} ({kind}) is not in Slack")

        cards: dict[str, list[dict]] = {}
        for m in self.double.messages(CHANNEL, top_level_only=True):
            cards.setdefault(m["text"].split(" ", 1)[0], []).append(m)
        incidents = rows(self.url, "SELECT id, severity, status, title FROM incidents")
        report.incidents = len(incidents)
        for number, severity, status, title in incidents:
            ref = f"INC-{number}"
            found = cards.get(ref, [])
            if len(found) != 1:
                (report.duplicates if found else report.lost).append(
                    f"{ref} has {len(found)} cards"
                )
                continue
            expected = f"{ref} [{severity}] {status}: {title}"
            if found[0]["text"] != expected:
                report.wrong.append(f"{ref}'s card says {found[0]['text']!r}, not {expected!r}")
            self._check_thread(ref, status, found[0]["ts"])
        for ref, title in report.acked.declared.items():
            if ref not in cards or not cards[ref][0]["text"].endswith(f": {title}"):
                report.lost.append(f"acknowledged declaration {ref} ({title}) has no card")

    def _check_thread(self, ref: str, status: str, ts: str) -> None:
        replies = [m["text"] for m in self.double.thread(CHANNEL, ts)]
        acks = [t for t in replies if re.match(rf":eyes: .* acknowledged {ref} after", t)]
        if ref in self.report.acked.acknowledged and status == "declared":
            self.report.lost.append(f"{ref}: acknowledged, but stored as declared")
        if len(acks) != (status == "acknowledged"):
            self.report.wrong.append(f"{ref} is {status}; its thread has {len(acks)} ack replies")
        for text, owner in self.report.acked.updates.items():
            said = re.compile(re.escape(text) + r"(?!\d)")  # update 4 is not update 41
            found = sum(bool(said.search(t)) for t in replies) if owner == ref else 1
            if found != 1:  # 0: lost, 2 or more: posted twice
                where = self.report.lost if found == 0 else self.report.duplicates
                where.append(f"{ref}: update {text!r} is in its thread {found} times")


def _row_of(message: dict) -> int | None:
    meta = message.get("metadata") or {}
    if meta.get("event_type") != EVENT_TYPE:
        return None
    return (meta.get("event_payload") or {}).get("row")


def _covering(message: dict) -> tuple[int, ...]:
    """The rows a message also delivered (the other pages of a bundled DM)."""
    return ids(((message.get("metadata") or {}).get("event_payload") or {}).get("covering"))


def _env(directory: Path, double: SlackDouble, url: str) -> dict[str, str]:
    config = directory / "firebell.yml"
    config.write_text(CONFIG)
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "FIREBELL_", "DATABASE_URL"))
    }
    return {
        **clean,
        "SLACK_BOT_TOKEN": "xoxb-soak-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": double.url,
        "DATABASE_URL": url,
        "FIREBELL_CONFIG": str(config),
        "FIREBELL_CHANNEL_RATE": "20",
        "FIREBELL_SLACK_TIMEOUT": str(SLACK_TIMEOUT),
        "FIREBELL_LOG_LEVEL": "info",
        "PORT": "0",
        "FIREBELL_HOST": "127.0.0.1",
    }
