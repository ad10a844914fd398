"""Pages outside Slack, timed: the ntfy double noting when each publish arrives, and the
webhooks that cause them (each a new Alertmanager group that opens an incident and pages
`U0ONCALL` at once), sent by `Pager` one at a time or by several senders at once.

bench/page_latency.py runs them against Firebell and the floor.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bench.alert_storm import ALERTS_TOKEN
from bench.load import summary
from tests.support.ntfy import NtfyDouble

TOPIC = "oncall-pager-bench"
QUANTILES = (0.5, 0.9, 0.99)


class TimedNtfy(NtfyDouble):
    """tests/support/ntfy.py's double; each publish is timed as its handler starts (the
    request's head has arrived) and handed to whoever waits for its marker."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.unexpected = 0

    def expect(self, marker: str) -> asyncio.Future[float]:
        future = asyncio.get_running_loop().create_future()
        self.waiting[marker] = future
        return future

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        response = await super()._handle(request)
        message = self.requests[-1].json if self.requests else None
        text = message.get("message", "") if isinstance(message, dict) else ""
        marker = text.split(" ", 3)[2] if text.startswith("Page bench ") else None
        future = self.waiting.pop(marker, None) if marker else None
        if future is not None and not future.done():
            future.set_result(arrived)
        else:
            self.unexpected += 1
        return response


def notification(n: int) -> dict[str, Any]:
    """A new alert group (one firing alert) whose summary carries the marker `pb<n>`."""
    name = f"PageBench{n:04d}"
    summary = f"Page bench pb{n:04d} down"
    alert = {
        "status": "firing",
        "labels": {
            "alertname": name,
            "severity": "critical",
            "service": "api",
            "instance": f"api-{n}.prod:9100",
            "job": "api",
        },
        "annotations": {"summary": summary},
        "startsAt": "2026-03-02T08:58:30.123456789Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": f"http://prometheus.example.com:9090/graph?g0.expr=pb{n}",
        "fingerprint": f"{n:016x}",
    }
    return {
        "receiver": "firebell",
        "status": "firing",
        "alerts": [alert],
        "groupLabels": {"alertname": name},
        "commonLabels": dict(alert["labels"]),
        "commonAnnotations": {"summary": summary},
        "externalURL": "http://alertmanager.example.com:9093",
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{name}"}}',
        "truncatedAlerts": 0,
    }


@dataclass
class PagePhase:
    """One mode of one system: each page's time, each webhook's answer time, failures."""

    system: str
    mode: str
    concurrency: int
    pages_ms: list[float] = field(default_factory=list)  # webhook sent -> ntfy publish arrived
    answer_ms: list[float] = field(default_factory=list)  # webhook sent -> answer read
    failures: list[str] = field(default_factory=list)
    breakdown: dict[str, Any] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        return {
            "concurrency": self.concurrency,
            "pages": len(self.pages_ms),
            "page_ms": summary(self.pages_ms, QUANTILES),
            "answer_ms": summary(self.answer_ms, QUANTILES),
            "failures": len(self.failures),
            "failure_examples": self.failures[:5],
            **({"breakdown": self.breakdown} if self.breakdown else {}),
        }


class Pager:
    """Sends webhooks and waits for the page each one causes."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base: str,
        ntfy: TimedNtfy,
        opens: bool,
        timeout: float,
    ) -> None:
        self.session = session
        self.timeout = timeout  # seconds a page may take before it counts as missing
        self.opens = opens  # Firebell: each answer must say the notification opened an incident
        self.url = f"{base}/alerts/alertmanager"
        self.ntfy = ntfy
        self.headers = {
            "Authorization": f"Bearer {ALERTS_TOKEN}",
            "Content-Type": "application/json",
        }
        self.next = 0

    async def one(self, phase: PagePhase | None) -> None:
        n, self.next = self.next, self.next + 1
        body = json.dumps(notification(n)).encode()
        arrival = self.ntfy.expect(f"pb{n:04d}")
        started = time.perf_counter()
        try:
            async with self.session.post(self.url, data=body, headers=self.headers) as answer:
                text = await answer.text()
                answered = time.perf_counter()
                opened = not self.opens or json.loads(text).get("outcome") == "open"
                if answer.status != 200 or not opened:
                    raise RuntimeError(f"HTTP {answer.status}: {text[:200]}")
            arrived = await asyncio.wait_for(arrival, self.timeout)
        except (aiohttp.ClientError, TimeoutError, RuntimeError) as exc:
            self.ntfy.waiting.pop(f"pb{n:04d}", None)
            if phase is not None:
                phase.failures.append(f"pb{n:04d}: {type(exc).__name__}: {exc}")
            return
        if phase is not None:
            phase.answer_ms.append((answered - started) * 1000)
            phase.pages_ms.append((arrived - started) * 1000)

    async def run(self, phase: PagePhase | None, pages: int, concurrency: int) -> None:
        left = pages

        async def sender() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await self.one(phase)

        await asyncio.gather(*(sender() for _ in range(concurrency)))
