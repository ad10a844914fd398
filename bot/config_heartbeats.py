"""The config's `heartbeats:`: pipelines that must check in at least every so often (dead
man's switches), and the cross-checks on them.

A heartbeat beats by `POST /heartbeat/<name>` or, when it names an Alertmanager alert
(`alertmanager: Watchdog`), whenever that always-firing alert arrives. No beat within
`every + grace` opens an incident, owned by `team` (or `service`'s team), of `severity`
(default: the most severe, as a blind monitoring pipeline hides everything else).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from bot.config_values import SERVICE, Duration, Model, Offset


class Heartbeat(Model):
    name: str = Field(pattern=r"^[a-z0-9_-]{1,64}$")
    every: Duration  # a beat is expected at least this often
    grace: Offset = timedelta(minutes=1)  # ... and may be this late before it counts as missed
    team: str | None = None
    service: str | None = Field(default=None, pattern=SERVICE)
    severity: str | None = None  # None: the most severe
    alertmanager: str | None = Field(default=None, min_length=1, max_length=200)  # alertname

    @property
    def allowed(self) -> timedelta:
        """How long after a beat (or the first start) the next one may come."""
        return self.every + self.grace
