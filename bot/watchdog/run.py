"""The watchdog's loop: check /readyz every `every`, decide (`outage.advance`), page or say
it recovered through the routes, remember (`state`), sleep. The clock, the sleep and the
check itself are injected, so tests advance time instead of waiting for it.

Nothing is sent when the watchdog starts: a restarted watchdog picks up the outage its state
file holds, paged or not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
import structlog

from bot.clock import Clock
from bot.watchdog import state as memory
from bot.watchdog.notify import Notifier
from bot.watchdog.outage import Action, State, advance, page_text, recovery_text, unsent
from bot.watchdog.probe import Limits, Seen, Verdict, judge, look

log = structlog.get_logger("firebell.watchdog")

Sleep = Callable[[float], Awaitable[None]]
Look = Callable[[], Awaitable[Seen]]


@dataclass(frozen=True)
class Options:
    url: str  # Firebell's base URL
    every: timedelta = timedelta(seconds=30)
    failures: int = 3  # failed checks in a row before paging
    timeout: timedelta = timedelta(seconds=10)  # per check
    outbox_age: timedelta = timedelta(minutes=10)
    state: Path = Path("firebell-watchdog.json")

    @property
    def stale(self) -> timedelta:
        """A run of failed checks broken off for longer than this (the watchdog was stopped)
        starts again from one."""
        return (self.every + self.timeout) * (self.failures + 1)


class Watchdog:
    def __init__(
        self,
        options: Options,
        notifier: Notifier,
        clock: Clock,
        *,
        sleep: Sleep = asyncio.sleep,
        probe: Look | None = None,
    ) -> None:
        self.options = options
        self.notifier = notifier
        self.clock = clock
        self.sleep = sleep
        self.limits = Limits(outbox_age=options.outbox_age)
        self._probe = probe
        self._session: aiohttp.ClientSession | None = None
        self._stopping = asyncio.Event()
        self.state = memory.load(options.state)

    async def check(self) -> Action:
        """One check, and what it sent (`Action.NONE` when nothing, or nothing took it)."""
        seen = await self._look()
        now = self.clock.now()
        verdict = judge(seen, now, self.limits)
        before = self.state
        after, action = advance(before, verdict, now, self.options.failures, self.options.stale)
        self._log(verdict, after)
        if action is not Action.NONE and not await self._send(action, before, after, now):
            after, action = unsent(before, after, action), Action.NONE
        if after != before:
            memory.save(self.options.state, after)
        self.state = after
        return action

    async def run(self) -> None:
        """Check every `every` until `stop`."""
        log.info(
            "watchdog_started",
            url=self.options.url,
            routes=[r.shown() for r in self.notifier.routes],
            outage=self.state.failing,
        )
        try:
            while not self._stopping.is_set():
                try:
                    await self.check()
                except Exception:  # the watchdog must outlive any one bad check
                    log.exception("watchdog_check_crashed")
                await self._pause(self.options.every.total_seconds())
        finally:
            await self.close()

    def stop(self) -> None:
        self._stopping.set()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        await self.notifier.close()

    async def _pause(self, seconds: float) -> None:
        sleeping = asyncio.ensure_future(self.sleep(seconds))
        stopping = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait((sleeping, stopping), return_when=asyncio.FIRST_COMPLETED)
        for task in (sleeping, stopping):
            task.cancel()

    async def _look(self) -> Seen:
        if self._probe is not None:
            return await self._probe()
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return await look(self._session, self.options.url, self.options.timeout.total_seconds())

    async def _send(self, action: Action, before: State, after: State, now: datetime) -> bool:
        if action is Action.PAGE:
            title, body = page_text(self.options.url, after, now)
        else:
            title, body = recovery_text(self.options.url, before, now)
        took = await self.notifier.send(title, body)
        if not took:
            log.error("watchdog_unsent", action=str(action), routes=len(self.notifier.routes))
        return took > 0

    def _log(self, verdict: Verdict, after: State) -> None:
        if verdict.ok:
            log.debug("watchdog_ok", url=self.options.url)
        else:
            log.warning(
                "watchdog_check_failed",
                url=self.options.url,
                problem=verdict.describe(),
                in_a_row=after.failures,
            )
