"""Read models handed to the Slack and web layers (plain data, no database handles)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields, replace
from datetime import datetime
from typing import Any, TypeVar

from bot.core.escalation import Policy
from bot.core.incident import Incident, Status, ref
from bot.core.rotation import Override

R = TypeVar("R")
_REQUIRED = object()


def from_row(cls: type[R], row: Mapping[str, Any]) -> R:
    """The frozen record `cls` of a stored row: each field its column, a field with a default
    its default when the row has no such column (a missing one without: KeyError). Made as
    its `__init__` would, but without a setattr per field (an incident's 31: 10 -> 2.5 µs;
    every change, card render and sender round reads records)."""
    made = object.__new__(cls)
    held = made.__dict__
    for name, default in _columns(cls):
        held[name] = row[name] if default is _REQUIRED or name in row else default
    return made


@functools.cache
def _columns(cls: type) -> tuple[tuple[str, Any], ...]:
    """Each field's name and default (`_REQUIRED`: none); no record here has a factory."""
    found = []
    for f in fields(cls):
        if f.default_factory is not MISSING:
            raise TypeError(f"{cls.__name__}.{f.name}: a default factory is not filled in")
        found.append((f.name, _REQUIRED if f.default is MISSING else f.default))
    return tuple(found)


@dataclass(frozen=True)
class IncidentRecord:
    id: int
    title: str
    description: str | None
    severity: str
    status: str
    service: str | None
    team: str | None  # None: the default team
    tenants: list[str]
    source: str
    declared_by: str
    commander: str | None
    comms_lead: str | None
    acknowledged_by: str | None
    resolved_by: str | None
    summary: str | None
    channel_id: str
    thread_ts: str | None
    declared_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    escalated_at: datetime | None
    ack_due_at: datetime | None
    last_update_at: datetime | None
    eta_at: datetime | None
    escalation_level: int
    escalation_policy: dict[str, Any]
    version: int
    escalation_fence: int
    waiting_until: datetime | None
    private: bool = False  # seen only by its responders, its team and admins
    hidden: bool = False  # private and shown to someone outside it: no title, service, tenants

    @classmethod
    def from_row(cls, row) -> IncidentRecord:
        return from_row(cls, row)

    def masked(self) -> IncidentRecord:
        """As someone outside a private incident may see it: only that it exists."""
        return replace(
            self,
            title="",
            description=None,
            service=None,
            tenants=[],
            summary=None,
            hidden=True,
        )

    @property
    def ref(self) -> str:
        return ref(self.id)

    @property
    def owner(self) -> str:
        """The owning team's name (incidents from before teams: the default team)."""
        return self.team or "default"

    @property
    def is_open(self) -> bool:
        return self.status != Status.RESOLVED

    @functools.cached_property
    def policy(self) -> Policy:
        """The escalation snapshot as core's `Policy`, built once per record (a change reads
        it several times)."""
        return Policy.from_json(self.escalation_policy)

    def core(self) -> Incident:
        return Incident(
            number=self.id,
            title=self.title,
            severity=self.severity,
            status=Status(self.status),
            declared_by=self.declared_by,
            declared_at=self.declared_at,
            policy=self.policy,
            escalation_level=self.escalation_level,
            escalated_at=self.escalated_at,
            ack_due_at=self.ack_due_at,
            acknowledged_by=self.acknowledged_by,
            acknowledged_at=self.acknowledged_at,
            resolved_by=self.resolved_by,
            resolved_at=self.resolved_at,
            commander=self.commander,
            comms_lead=self.comms_lead,
            waiting_until=self.waiting_until,
            version=self.version,
            team=self.owner,
        )


@dataclass(frozen=True)
class EventRecord:
    id: int
    incident_id: int
    at: datetime
    actor: str
    kind: str
    text: str
    data: dict[str, Any]

    @classmethod
    def from_row(cls, row) -> EventRecord:
        return from_row(cls, row)


@dataclass(frozen=True)
class OutboxRecord:
    id: int
    incident_id: int | None
    kind: str
    channel: str | None
    payload: dict[str, Any]
    attempts: int
    not_before: datetime
    created_at: datetime
    in_flight_at: datetime | None = None  # Slack was called and no answer recorded since
    sent_channel: str | None = None  # where its message landed, once sent
    sent_ts: str | None = None
    severity: str | None = None  # its incident's, when read to be sent (orders a storm)

    @classmethod
    def from_row(cls, row) -> OutboxRecord:
        return from_row(cls, row)


@dataclass(frozen=True)
class OverrideRecord:
    id: int
    rotation: str
    user: str
    starts_at: datetime
    ends_at: datetime
    created_by: str
    created_at: datetime
    removed_by: str | None = None
    removed_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Mapping) -> OverrideRecord:
        return cls(
            id=row["id"],
            rotation=row["rotation"],
            user=row["user_id"],
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
            created_by=row["created_by"],
            created_at=row["created_at"],
            removed_by=row["removed_by"],
            removed_at=row["removed_at"],
        )

    def active(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at

    def core(self) -> Override:
        return Override(
            id=self.id,
            rotation=self.rotation,
            user=self.user,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            created_at=self.created_at,
        )


@dataclass(frozen=True)
class Outcome:
    """What a use case did: `message` is for the person who asked (no user text inside)."""

    ok: bool
    message: str | None = None
    incident: IncidentRecord | None = None
