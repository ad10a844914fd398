"""Closed-loop load: `concurrency` workers share a phase's requests; latency and throughput."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

# One request: its latency in ms, or None when it failed; the second value is for the caller.
Request = Callable[[], Awaitable[tuple[float, Any] | None]]
# Work done right after a request that must not count in the phase's wall time.
Aside = Callable[[Any], None]
# The CPU seconds the system under test has used so far (`Server.cpu_seconds`).
Clock = Callable[[], float]


@dataclass
class Phase:
    """One measured phase: latencies of the successful requests, wall time, failures."""

    system: str
    concurrency: int
    requests: int
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    cpu_seconds: float | None = None  # the server's user+system CPU over the phase

    @property
    def cpu_ms(self) -> float | None:
        """The server's CPU milliseconds per successful request over the phase."""
        if self.cpu_seconds is None or not self.latencies_ms:
            return None
        return self.cpu_seconds * 1000 / len(self.latencies_ms)

    @property
    def throughput(self) -> float:
        """Successful requests per second of wall time."""
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    @property
    def p50(self) -> float:
        return percentile(sorted(self.latencies_ms), 0.50)

    def figures(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        return {
            "system": self.system,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "p50_ms": round(percentile(ordered, 0.50), 3),
            "p99_ms": round(percentile(ordered, 0.99), 3),
            "max_ms": round(ordered[-1], 3) if ordered else math.nan,
            "throughput_rps": round(self.throughput, 1),
            "errors": self.errors,
            "cpu_ms_per_request": None if self.cpu_ms is None else round(self.cpu_ms, 3),
        }


async def timed_post(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: dict[str, str],
    failures: list[str],
) -> tuple[float, str] | None:
    """POST `body` to `url`: (ms from sending to reading the whole answer, its text) when it
    was answered 200; otherwise None, with the reason appended to `failures`."""
    started = time.perf_counter()
    try:
        async with session.post(url, data=body, headers=headers) as response:
            text = await response.text()
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        failures.append(f"{type(exc).__name__}: {exc}")
        return None
    if status != 200:
        failures.append(f"HTTP {status}: {text[:200]}")
        return None
    return (time.perf_counter() - started) * 1000, text


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not ordered:
        return math.nan
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def summary(
    values: Iterable[float], quantiles: Iterable[float] = (0.5, 0.99), digits: int = 2
) -> dict[str, float | None]:
    """The `quantiles` (as p50, p99, ...) and the max of `values`, rounded; None when empty."""
    ordered = sorted(values)
    figures: dict[str, float | None] = {
        f"p{round(q * 100)}": round(percentile(ordered, q), digits) if ordered else None
        for q in quantiles
    }
    figures["max"] = round(ordered[-1], digits) if ordered else None
    return figures


async def drive(
    phase: Phase, request: Request, aside: Aside | None = None, cpu: Clock | None = None
) -> Phase:
    """Run `phase`: its workers send `request` until `phase.requests` were sent; `aside`
    sees each success's second value, outside the timed wall time (meant for concurrency 1);
    `cpu`, the server's CPU clock, read before and after the phase."""
    remaining = phase.requests
    outside = 0.0

    async def worker() -> None:
        nonlocal remaining, outside
        while remaining > 0:
            remaining -= 1
            result = await request()
            if result is None:
                phase.errors += 1
                continue
            phase.latencies_ms.append(result[0])
            if aside is not None:
                paused = time.perf_counter()
                aside(result[1])
                outside += time.perf_counter() - paused

    cpu_before = cpu() if cpu is not None else 0.0
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(phase.concurrency)))
    phase.seconds = time.perf_counter() - started - outside
    if cpu is not None:
        phase.cpu_seconds = cpu() - cpu_before
    return phase
