"""Writing the audit log: one row per change or refusal, in the transaction of the change.

Where a request came from (`source`: command, button, modal, shortcut, reaction, webhook,
timer, cli, startup, link: an acknowledge link, sms and voice: a reply by phone) is set once
at the edge with `origin(...)`, a context variable that the database carries into its writer
thread, so no use case has to pass it along.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from bot.config import Config
from bot.core.incident import SYSTEM_ACTOR, Event, ref
from bot.store import audit as store
from bot.store import incidents

SOURCE: ContextVar[str] = ContextVar("audit_source", default="system")

# timeline event kinds -> audit actions; kinds not listed (reminders, ETA notices) are posts
# that change nothing and are not recorded
ACTIONS = {
    "declared": "declare",
    "acknowledged": "acknowledge",
    "escalated": "escalate",
    "exhausted": "escalation.exhausted",
    "paged": "page",
    "update": "update",
    "severity": "severity",
    "assigned": "assign",
    "resolved": "resolve",
    "reopened": "reopen",
    "transferred": "transfer",
    "note": "timeline.add",
    "snoozed": "reminder.snooze",
    "alerts": "alerts",
}
UNAUDITED_FIELDS = frozenset({"escalation_fence"})  # bookkeeping, not a change anyone made
# what Firebell does by itself is recorded as done by its source (an escalation timer: `timer`)
ACTOR_OF_SOURCE = {"timer": "timer", "cli": "cli", "startup": "config"}
# a declaration's row: the incident as it was declared
DECLARED_FIELDS = (
    "title",
    "description",
    "severity",
    "status",
    "service",
    "team",
    "tenants",
    "source",
    "channel_id",
    "declared_at",
    "ack_due_at",
    "waiting_until",
    "escalation_level",
)


@contextmanager
def origin(source: str) -> Iterator[None]:
    """Everything written inside comes from `source`."""
    token = SOURCE.set(source)
    try:
        yield
    finally:
        SOURCE.reset(token)


def note(
    conn: Connection,
    at: datetime,
    actor: str,
    action: str,
    target: str,
    *,
    outcome: str = "done",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> int:
    """One row, in this transaction."""
    source = SOURCE.get()
    if actor == SYSTEM_ACTOR:
        actor = ACTOR_OF_SOURCE.get(source, actor)
    return store.append(
        conn,
        at,
        actor=actor,
        source=source,
        action=action,
        target=target,
        outcome=outcome,
        before=before,
        after=after,
    )


def incident_change(
    conn: Connection,
    at: datetime,
    number: int,
    event: Event,
    data: Mapping[str, Any],
    changed: tuple[Mapping[str, Any], Mapping[str, Any]] | None = None,
    row: Mapping[str, Any] | None = None,
) -> None:
    """The row of a timeline event on an incident (nothing for kinds that change nothing):
    `changed` holds the fields before and after; without it, the event's data and text (and
    for a declaration, the incident as declared: `row`, else read)."""
    action = ACTIONS.get(event.kind)
    if action is None:
        return
    before, after = changed or (None, {**data, **({"text": event.text} if event.text else {})})
    if event.kind == "declared" and changed is None:
        row = row or incidents.load(conn, number) or {}
        after = {**{k: row.get(k) for k in DECLARED_FIELDS}, **after}
    if before is not None:
        before = {k: v for k, v in before.items() if k not in UNAUDITED_FIELDS}
    after = {k: v for k, v in after.items() if k not in UNAUDITED_FIELDS}
    note(conn, at, event.actor, action, ref(number), before=before, after=after)


def config_loaded(conn: Connection, at: datetime, config: Config, path: str) -> bool:
    """A `config.load` row when the config's content differs from the last one recorded
    (replicas starting together record it once: the head is locked before looking)."""
    store.head(conn, lock=True)
    fingerprint = hashlib.sha256(config.model_dump_json().encode()).hexdigest()
    last = store.last_after(conn, "config.load")
    if last is not None and last.get("sha256") == fingerprint:
        return False
    before = {"sha256": last.get("sha256")} if last else None
    note(
        conn,
        at,
        "config",
        "config.load",
        "config",
        before=before,
        after={"sha256": fingerprint, "path": path},
    )
    return True
