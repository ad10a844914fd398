"""Maintenance windows: spans in which alerts for a service open no incident.

A window is set with `/incident maintenance` (stored, with an id) or written in the config's
`maintenance:` section, once or weekly in local time; `occurrences` turns config windows into
concrete spans, and `under_maintenance` finds the one covering a service at an instant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.coverage import Coverage, Window, intervals
from bot.core.rotation import resolve_local


@dataclass(frozen=True)
class Maintenance:
    """A span in which alerts for `service` (None: every service) open nothing."""

    starts_at: datetime
    ends_at: datetime
    service: str | None = None
    reason: str = ""
    id: int | None = None  # set with `/incident maintenance`; None: from the config
    key: str = ""  # a config window's occurrence: `config:<index>:<start>`
    created_by: str | None = None

    def covers(self, service: str | None, at: datetime) -> bool:
        if not self.starts_at <= at < self.ends_at:
            return False
        return self.service is None or self.service == service


@dataclass(frozen=True)
class ConfigWindow:
    """A `maintenance:` entry: once (`start`/`end`, naive local) or weekly (`window`)."""

    index: int
    service: str | None
    reason: str
    zone: ZoneInfo
    start: datetime | None = None
    end: datetime | None = None
    window: Window | None = None


def occurrences(
    windows: Iterable[ConfigWindow], start: datetime, end: datetime
) -> list[Maintenance]:
    """The config windows' occurrences that overlap [start, end), ordered by start."""
    out = []
    for spec in windows:
        spans: list[tuple[datetime, datetime]] = []
        if spec.window is not None:
            cov = Coverage((spec.window,), spec.zone)
            # an occurrence lasts at most a day: look one back for one already running
            spans = _whole(cov, start - timedelta(days=2), end + timedelta(days=2))
        elif spec.start is not None and spec.end is not None:
            spans = [(resolve_local(spec.start, spec.zone), resolve_local(spec.end, spec.zone))]
        for s, e in spans:
            if s < end and e > start:
                out.append(
                    Maintenance(
                        s,
                        e,
                        spec.service,
                        spec.reason,
                        key=f"config:{spec.index}:{s.isoformat()}",
                    )
                )
    return sorted(out, key=lambda m: (m.starts_at, m.key))


def _whole(cov: Coverage, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Whole occurrences of a one-window coverage within [start, end) (merged if touching)."""
    found = intervals(cov, start, end)
    return [(s, e) for s, e in found if s > start and e < end]


def under_maintenance(
    windows: Iterable[Maintenance], service: str | None, at: datetime
) -> Maintenance | None:
    """The window that covers `service` at `at` and ends last, if any."""
    found = [w for w in windows if w.covers(service, at)]
    return max(found, key=lambda w: w.ends_at) if found else None
