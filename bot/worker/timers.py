"""The timer loop: fire what is due, sleep until the next due time (or a poll interval).

The database is the timer; this loop only decides when to look. Polling bounds how late a
timer set by another replica can be noticed.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

import structlog

from bot.clock import Clock
from bot.services.timers import TimerService

log = structlog.get_logger("firebell.timers")


class TimerWorker:
    def __init__(self, service: TimerService, clock: Clock, poll_seconds: float = 0.5) -> None:
        self.service = service
        self.clock = clock
        self.poll_seconds = poll_seconds
        self._stopping = asyncio.Event()

    async def run_once(self) -> datetime | None:
        """Fire everything due now; return when the next timer is due."""
        while True:
            result = await self.service.fire_due()
            if result.fired + result.stale < self.service.batch:
                return result.next_due

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                next_due = await self.run_once()
            except Exception:  # a bad round must not stop escalations for good
                log.exception("timer_round_failed")
                next_due = None
            wait = self.poll_seconds
            if next_due is not None:
                wait = min(wait, max((next_due - self.clock.now()).total_seconds(), 0.0))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=max(wait, 0.01))

    def stop(self) -> None:
        self._stopping.set()
