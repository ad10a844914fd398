"""Pacing per channel: a token bucket (about one post a second, short bursts) and the pauses
a 429's Retry-After asks for. Pure arithmetic on the times it is given."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


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

    @property
    def window(self) -> timedelta:
        """How far back posts count against a full bucket."""
        return timedelta(seconds=self.burst / self.rate)

    def seed(self, channel: str, now: datetime, recent_posts: int) -> None:
        """Start a channel taken over from another replica with the tokens its recent posts
        (within `window`, by any replica) left, so a handover is no second burst."""
        tokens = min(self.tokens.get(channel, self.burst), self.burst - recent_posts)
        self.tokens[channel], self.stamp[channel] = max(tokens, 0.0), now

    def block(self, channel: str, until: datetime) -> None:
        self.blocked[channel] = max(until, self.blocked.get(channel, until))

    def _refill(self, channel: str, now: datetime) -> float:
        last = self.stamp.get(channel, now)
        elapsed = max((now - last).total_seconds(), 0.0)
        tokens = min(self.burst, self.tokens.get(channel, self.burst) + elapsed * self.rate)
        self.tokens[channel], self.stamp[channel] = tokens, now
        return tokens
