"""How Slack delivery is going in this process: when a Slack delivery last succeeded and how
many failed in a row since (shown on /readyz, read by `firebell watchdog`).

The outbox sender reports each Slack delivery's outcome here (pages outside Slack are not
Slack's); each replica keeps its own figures, from its start, in memory.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


class SlackHealth:
    def __init__(self) -> None:
        self.last_success_at: datetime | None = None  # None: none since this process started
        self.consecutive_failures = 0

    def succeeded(self, at: datetime) -> None:
        self.last_success_at = at
        self.consecutive_failures = 0

    def failed(self) -> None:
        self.consecutive_failures += 1

    def view(self) -> dict[str, Any]:
        """`/readyz`'s `slack` object."""
        at = self.last_success_at
        return {
            "last_success_at": at.isoformat() if at else None,
            "consecutive_failures": self.consecutive_failures,
        }
