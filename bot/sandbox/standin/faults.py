"""Failures a test queues for the stand-in's next Web API calls (rate limits, 5xx, `ok: false`
errors, slow answers), so the bot's retries and backoff meet what Slack really answers."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from aiohttp import web

ANY_METHOD = "*"
STATUS_TEXT = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Fault:
    """A queued failure for the next `remaining` calls to one method (or to any, "*")."""

    status: int | None
    error: str | None
    retry_after: int | None
    delay: float | None
    remaining: int

    @property
    def fails(self) -> bool:
        """A delay alone is a slow success; anything else answers with a failure."""
        return self.status is not None or self.error is not None

    def describe(self) -> str:
        parts = []
        if self.status is not None:
            parts.append(f"http {self.status}")
        if self.error is not None:
            parts.append(f"error {self.error}")
        if self.delay:
            parts.append(f"delay {self.delay}s")
        return ", ".join(parts)

    def response(self) -> web.Response:
        if self.status == 429:
            return web.json_response(
                {"ok": False, "error": self.error or "ratelimited"},
                status=429,
                headers={
                    "Retry-After": str(self.retry_after if self.retry_after is not None else 1)
                },
            )
        if self.status is not None and self.status != 200:
            reason = STATUS_TEXT.get(self.status, "Error")
            return web.Response(status=self.status, text=reason, content_type="text/plain")
        return web.json_response({"ok": False, "error": self.error})


@dataclass
class Storm:
    """Failures at random while it blows, for soak tests: each call to one of `methods`
    (None: any) is rate limited, fails with a 5xx, or succeeds with its answer `late_by`
    seconds late, with the given probabilities; otherwise it succeeds. Seeded, so a run that
    found a defect can be repeated."""

    rate_limited: float = 0.1
    server_error: float = 0.1
    late: float = 0.1
    late_by: float = 2.0
    retry_after: int = 1
    seed: int = 0
    methods: frozenset[str] | None = None
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.rate_limited + self.server_error + self.late > 1:
            raise ValueError("the storm's probabilities add up to more than 1")
        self._random = random.Random(self.seed)

    def draw(self, method: str) -> Fault | None:
        if self.methods is not None and method not in self.methods:
            return None
        roll = self._random.random()
        for chance, fault in (
            (self.rate_limited, {"status": 429, "retry_after": self.retry_after}),
            (self.server_error, {"status": self._random.choice((500, 502, 503))}),
            (self.late, {"delay": self.late_by}),
        ):
            if roll < chance:
                return Fault(
                    status=fault.get("status"),
                    error=None,
                    retry_after=fault.get("retry_after"),
                    delay=fault.get("delay"),
                    remaining=1,
                )
            roll -= chance
        return None


class Faults:
    """The queued faults, by method ("*" = any); each call to a method takes the next one.
    While a storm blows, a call with no queued fault may draw one from it."""

    def __init__(self) -> None:
        self._queues: dict[str, list[Fault]] = {}
        self.storm: Storm | None = None

    def inject(
        self,
        method: str,
        *,
        status: int | None = None,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        delay: float | None = None,
    ) -> None:
        """Queue a fault for the next `times` calls to `method` ("*" = any method).

        status=429 (or retry_after alone) answers HTTP 429 with `Retry-After`; other statuses
        answer with a plain-text body; error answers HTTP 200 `{"ok": false, "error": ...}`.
        Failures have no side effect. A delay alone is a slow success: the call takes effect
        at once but the answer comes `delay` seconds later, like Slack when a client times out.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        if retry_after is not None and status is None:
            status = 429
        if status is None and error is None and not delay:
            raise ValueError("inject needs status, error, retry_after or delay")
        fault = Fault(
            status=status, error=error, retry_after=retry_after, delay=delay, remaining=times
        )
        self._queues.setdefault(method, []).append(fault)

    def clear(self) -> None:
        """Drop every queued fault, fired or not, and calm any storm: the next calls succeed."""
        self._queues.clear()
        self.storm = None

    def left(self, method: str | None = None) -> int:
        """How many injected failures have not fired yet (for one method, or all)."""
        queues = [self._queues.get(method, [])] if method else list(self._queues.values())
        return sum(f.remaining for queue in queues for f in queue)

    def take(self, method: str) -> Fault | None:
        """The fault for this call to `method`, if one is queued (the method's own first)."""
        for key in (method, ANY_METHOD):
            queue = self._queues.get(key)
            if queue:
                fault = queue[0]
                fault.remaining -= 1
                if fault.remaining == 0:
                    queue.pop(0)
                return fault
        return self.storm.draw(method) if self.storm else None
