"""The incident state machine: declared -> acknowledged -> resolved, and back by reopen.

Each transition is a pure function from the current state to either a `Change` (the fields
to write and the timeline event to record) or a `Denied` with a message fit for the user.
Invalid requests are answers, never exceptions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.alert_sources import actor_name
from bot.core.escalation import Policy
from bot.core.targets import Target


class Status(StrEnum):
    DECLARED = "declared"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Role(StrEnum):
    COMMANDER = "commander"
    COMMS = "comms"


SYSTEM_ACTOR = "firebell"  # the actor of what Firebell does by itself (timers, alerts)


def is_person(actor: str | None) -> bool:
    """Whether an actor is someone to mention, not Firebell itself or an alert source."""
    return bool(actor) and actor != SYSTEM_ACTOR and actor_name(actor) is None


REF = re.compile(r"^(?:inc-?)(\d{1,9})$", re.IGNORECASE)


def ref(number: int) -> str:
    return f"INC-{number}"


def parse_ref(text: str) -> int | None:
    match = REF.match(text.strip())
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class Incident:
    """The state transitions reason about (a subset of what is stored)."""

    number: int
    title: str
    severity: str
    status: Status
    declared_by: str
    declared_at: datetime
    policy: Policy
    escalation_level: int = 0
    escalated_at: datetime | None = None
    ack_due_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    commander: str | None = None
    comms_lead: str | None = None
    waiting_until: datetime | None = None
    version: int = 1
    team: str = "default"

    @property
    def ref(self) -> str:
        return ref(self.number)


@dataclass(frozen=True)
class Event:
    """One timeline entry; `data` holds what renderers need beyond the text."""

    kind: str
    actor: str
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    fields: dict[str, Any]
    event: Event


@dataclass(frozen=True)
class Denied:
    message: str


def _when(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%H:%M") if at else "an unknown time"


def _who(actor: str | None) -> str:
    """A person as a mention; an alert source that resolved an incident by its name."""
    return actor_name(actor) or f"<@{actor}>"


def _resolved_denial(incident: Incident, zone: ZoneInfo, doing: str) -> Denied:
    return Denied(
        f"{incident.ref} is already resolved by {_who(incident.resolved_by)} at "
        f"{_when(incident.resolved_at, zone)}; `/incident reopen {incident.ref}` first to {doing}."
    )


def acknowledge(incident: Incident, actor: str, now: datetime, zone: ZoneInfo) -> Change | Denied:
    if incident.status is Status.RESOLVED:
        return _resolved_denial(incident, zone, "acknowledge it")
    if incident.status is Status.ACKNOWLEDGED:
        return Denied(
            f"{incident.ref} is already acknowledged by <@{incident.acknowledged_by}> at "
            f"{_when(incident.acknowledged_at, zone)}."
        )
    return Change(
        {
            "status": Status.ACKNOWLEDGED,
            "acknowledged_by": actor,
            "acknowledged_at": now,
            "ack_due_at": None,
            "waiting_until": None,
        },
        Event("acknowledged", actor),
    )


def resolve(
    incident: Incident, actor: str, now: datetime, zone: ZoneInfo, summary: str = ""
) -> Change | Denied:
    if incident.status is Status.RESOLVED:
        return Denied(
            f"{incident.ref} is already resolved by {_who(incident.resolved_by)} at "
            f"{_when(incident.resolved_at, zone)}."
        )
    return Change(
        {
            "status": Status.RESOLVED,
            "resolved_by": actor,
            "resolved_at": now,
            "summary": summary or None,
            "ack_due_at": None,
            "waiting_until": None,
        },
        Event("resolved", actor, summary),
    )


def reopen(
    incident: Incident, actor: str, now: datetime, ack_within: timedelta, reason: str = ""
) -> Change | Denied:
    """A reopened incident is unacknowledged again and pages its first level afresh."""
    if incident.status is not Status.RESOLVED:
        return Denied(f"{incident.ref} is not resolved, so there is nothing to reopen.")
    return Change(
        {
            "status": Status.DECLARED,
            "resolved_by": None,
            "resolved_at": None,
            "acknowledged_by": None,
            "acknowledged_at": None,
            "escalation_level": 0,
            "escalated_at": now,
            "ack_due_at": now + incident.policy.wait(0, ack_within),
            "waiting_until": None,
        },
        Event(
            "reopened",
            actor,
            reason,
            {"level": 0, "targets": [str(t) for t in incident.policy.level(0).targets]},
        ),
    )


def escalate(
    incident: Incident, actor: str, now: datetime, ack_within: timedelta, reason: str = ""
) -> Change | Denied:
    """Call the next level now. An acknowledged incident may still ask for more help."""
    if incident.status is Status.RESOLVED:
        return Denied(f"{incident.ref} is resolved; there is nobody left to escalate to.")
    if not incident.policy.has_next(incident.escalation_level):
        return Denied(
            f"{incident.ref} is already at the last escalation level "
            f"({incident.escalation_level + 1} of {incident.policy.steps})."
        )
    level = incident.escalation_level + 1
    due = None
    if incident.status is Status.DECLARED:
        due = now + incident.policy.wait(level, ack_within)
    return Change(
        {"escalation_level": level, "escalated_at": now, "ack_due_at": due, "waiting_until": None},
        Event(
            "escalated",
            actor,
            reason,
            {
                "level": level,
                "targets": [str(t) for t in incident.policy.level(level).targets],
            },
        ),
    )


def transfer(
    incident: Incident, actor: str, now: datetime, team: str, policy: Policy, ack_within: timedelta
) -> Change | Denied:
    """Hand an open incident to another team: the new team's chain (snapshotted now) starts
    at level 1 and must acknowledge; the old chain stops (the caller bumps the fence)."""
    if incident.status is Status.RESOLVED:
        return Denied(f"{incident.ref} is resolved; reopen it before handing it over.")
    if incident.team == team:
        return Denied(f"{incident.ref} already belongs to {team}.")
    fields = {
        "team": team,
        "status": Status.DECLARED,
        "acknowledged_by": None,
        "acknowledged_at": None,
        "escalation_level": 0,
        "escalated_at": now,
        "ack_due_at": now + policy.wait(0, ack_within),
        "waiting_until": None,
        "escalation_policy": policy.to_json(),
    }
    targets = [str(t) for t in policy.level(0).targets]
    data = {"level": 0, "targets": targets, "from": incident.team, "to": team}
    return Change(fields, Event("transferred", actor, data=data))


def change_severity(
    incident: Incident, actor: str, severity: str, ack_within: timedelta
) -> Change | Denied:
    """A new severity moves the response target: the current level's clock, new length."""
    if incident.severity == severity:
        return Denied(f"{incident.ref} is already {severity}.")
    fields: dict[str, Any] = {"severity": severity}
    if incident.status is Status.DECLARED and incident.escalated_at is not None:
        wait = incident.policy.wait(incident.escalation_level, ack_within)
        fields["ack_due_at"] = incident.escalated_at + wait
    return Change(
        fields, Event("severity", actor, data={"from": incident.severity, "to": severity})
    )


def assign(incident: Incident, actor: str, role: Role, user: str) -> Change | Denied:
    column = "commander" if role is Role.COMMANDER else "comms_lead"
    if getattr(incident, column) == user:
        return Denied(f"<@{user}> is already the {role.value} of {incident.ref}.")
    return Change({column: user}, Event("assigned", actor, data={"role": role.value, "user": user}))


def post_update(
    incident: Incident,
    actor: str,
    now: datetime,
    text: str,
    eta: timedelta | None,
    share: bool = False,
) -> Change | Denied:
    """A status update; `share` also posts it to the stakeholders' broadcast channel."""
    if incident.status is Status.RESOLVED:
        return Denied(f"{incident.ref} is resolved; reopen it before posting updates.")
    fields: dict[str, Any] = {"last_update_at": now}
    data: dict[str, Any] = {}
    if eta is not None:
        fields["eta_at"] = now + eta
        data["eta"] = (now + eta).isoformat()
    if share:
        data["share"] = True
    return Change(fields, Event("update", actor, text, data))


TITLE_MAX = 150  # Slack's header block limit: a longer title could not be shown whole
TEXT_MAX = 2900  # a section block holds 3,000 characters; leave room for the byline


def check_title(title: str) -> str | None:
    """Why a title cannot be used, or None when it is fine."""
    if not title.strip():
        return "An incident needs a title: say what is broken, e.g. `checkout API returns 500s`."
    if len(title) > TITLE_MAX:
        return (
            f"The title is {len(title)} characters; keep it under {TITLE_MAX} "
            "and put the details in an update."
        )
    return None


def check_text(text: str, what: str = "The text") -> str | None:
    if len(text) > TEXT_MAX:
        return f"{what} is {len(text)} characters; Slack shows at most {TEXT_MAX} in one post."
    return None


def declare(
    actor: str,
    now: datetime,
    severity: str,
    ack_within: timedelta,
    policy: Policy,
    page: Sequence[Target] = (),
    waiting_until: datetime | None = None,
) -> tuple[dict[str, Any], Event]:
    """Initial fields of a new incident: level 1 of the chain is called at once.

    With `waiting_until` (nobody covers this severity now and it waits), level 1 is paged
    and the response clock starts when coverage resumes.
    """
    starts = waiting_until or now
    fields = {
        "status": Status.DECLARED,
        "severity": severity,
        "declared_by": actor,
        "declared_at": now,
        "escalation_level": 0,
        "escalated_at": starts,
        "ack_due_at": starts + policy.wait(0, ack_within),
        "waiting_until": waiting_until,
        "escalation_policy": policy.to_json(),
    }
    targets = [str(t) for t in policy.level(0).targets]
    data: dict[str, Any] = {"level": 0, "targets": targets, "page": [str(t) for t in page]}
    if waiting_until:
        data["waiting_until"] = waiting_until.isoformat()
    return fields, Event("declared", actor, data=data)


def format_wait(delta: timedelta) -> str:
    """A wait as people say it: `15m`, `1h`, `1h 30m`, `2d 3h`."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
    ]
    return " ".join(p for p in parts if p) or "under a minute"
