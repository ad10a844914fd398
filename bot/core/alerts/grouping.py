"""What a notification of an alert group changes, and the one action that follows.

Grouping works on the stored state of each alert of a group (by fingerprint): `diff` says
which alerts of a notification are new or changed, so a notification delivered twice, or a
repeat carrying nothing new, changes nothing; an older notification delivered late cannot undo
a newer one (an alert's episode is ordered by its `startsAt`, and within one episode resolved
comes after firing). `decide` turns the changes, the group's incident and the rules of the
`alerts:` config into one action.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.alerts.payloads import FIRING, RESOLVED, Alert, Notification, clip
from bot.core.alerts.rules import Rules, alert_name, alert_severity, render_title


@dataclass(frozen=True)
class Known:
    """The stored state of one alert."""

    status: str
    starts_at: datetime | None


@dataclass(frozen=True)
class Change:
    """One alert of a notification that is new or changed: `kind` is `new` (first seen,
    firing), `firing` (firing again), `resolved`; `store` says whether to keep its state."""

    alert: Alert
    kind: str | None  # None: nothing to tell, but the stored state moves on
    severity: str

    @property
    def reported(self) -> bool:
        return self.kind is not None


def compare(known: Known | None, alert: Alert) -> tuple[bool, str | None]:
    """(whether the incoming alert is newer than what is stored, what to report)."""
    if known is None:
        return True, "new" if alert.status == FIRING else RESOLVED
    if alert.starts_at and known.starts_at and alert.starts_at != known.starts_at:
        if alert.starts_at < known.starts_at:
            return False, None  # an earlier episode, delivered late
        if alert.status == FIRING:  # a new episode
            return True, FIRING if known.status == RESOLVED else None
        return True, RESOLVED if known.status == FIRING else None
    if alert.status == known.status:
        return False, None  # a repeat or a duplicate delivery
    if alert.starts_at and known.starts_at and alert.status == FIRING:
        return False, None  # same episode, already resolved: this firing is older
    return True, alert.status


def diff(known: Mapping[str, Known], notification: Notification, rules: Rules) -> list[Change]:
    """The alerts of `notification` whose state moves on, in the order the source sent them."""
    out = []
    for alert in notification.alerts:
        newer, kind = compare(known.get(alert.fingerprint), alert)
        if newer:
            severity = alert_severity(alert, rules, notification.severity)
            out.append(Change(alert, kind, severity))
    return out


# -- what to do about it ----------------------------------------------------------------------

UNCHANGED = "unchanged"  # nothing new: a repeat, a duplicate, a late delivery
OPEN = "open"  # declare an incident for the group
REOPEN = "reopen"  # the group's incident was resolved a moment ago: reopen it
UPDATE = "update"  # a thread reply in the group's incident
POST = "post"  # a quiet post in the channel (a severity that opens no incident)
MAINTENANCE = "maintenance"  # a quiet post: the service is under maintenance
RECORD = "record"  # only resolved alerts of a group nobody was told about: keep, say nothing


@dataclass(frozen=True)
class Group:
    """What a decision needs to know about a group and its incident."""

    incident_id: int | None = None
    incident_status: str | None = None  # declared | acknowledged | resolved
    incident_resolved_at: datetime | None = None
    told: bool = False  # something was posted about this group before (quietly or not)


@dataclass(frozen=True)
class Decision:
    action: str
    all_resolved: bool = False  # every alert of the group is resolved now
    auto_resolve: bool = False  # and the incident resolves itself


def acts_on(changes: Sequence[Change]) -> bool:
    """Whether a notification with these changes can do anything: without a reported one it
    is unchanged whatever its group's incident, maintenance or past posts, which then need
    not be read."""
    return any(c.reported for c in changes)


def decide(
    group: Group,
    changes: Sequence[Change],
    firing_after: int,
    severity: str | None,
    rules: Rules,
    now: datetime,
    *,
    maintenance: bool,
) -> Decision:
    """One action for one notification.

    `firing_after`: alerts of the group still firing once the changes are stored;
    `severity`: the most severe of them (None when none fires)."""
    if not acts_on(changes):
        return Decision(UNCHANGED)
    reported = [c for c in changes if c.reported]
    fired = any(c.kind in ("new", FIRING) for c in reported)
    all_resolved = firing_after == 0
    is_open = group.incident_id is not None and group.incident_status != "resolved"
    if is_open:
        auto = all_resolved and rules.auto_resolve and group.incident_status == "declared"
        return Decision(UPDATE, all_resolved, auto)
    if fired and firing_after:
        if maintenance:
            return Decision(MAINTENANCE)
        if severity is None or not rules.opens_incident(severity):
            return Decision(POST)
        resolved_at = group.incident_resolved_at
        if resolved_at is not None and now - resolved_at <= rules.reopen_within:
            return Decision(REOPEN)
        return Decision(OPEN)
    if group.incident_id is not None:  # resolved by a person while alerts still fired
        return Decision(UPDATE, all_resolved)
    if group.told:
        return Decision(MAINTENANCE if maintenance else POST, all_resolved)
    return Decision(RECORD, all_resolved)


def change_lines(changes: Sequence[Change]) -> list[dict[str, Any]]:
    """The reported changes as plain data to store and render later."""
    out = []
    for change in changes:
        if not change.reported:
            continue
        alert = change.alert
        line: dict[str, Any] = {
            "fingerprint": alert.fingerprint,
            "kind": change.kind,
            "name": clip(alert_name(alert), 200),
            "severity": change.severity,
            "summary": clip(
                render_title(None, alert.annotations, {}) or "", 300
            ),  # summary or description
            "labels": alert.labels,
            "links": alert.links,
        }
        if alert.values:
            line["values"] = alert.values
        out.append(line)
    return out
