"""Alert notifications in: grouped, stored, and turned into incidents, replies or quiet posts.

`ingest` runs one transaction per notification, and the webhook answers only after it has
committed (Alertmanager retries 5xx and network errors, not 4xx). Under the group's row lock
it stores each alert that moved on, asks core (`grouping.decide`) what the changes mean, and
writes the outcome with the incident change it causes (declared, reopened, a thread reply,
resolved) or a quiet channel post, plus a receipt of the notification. A notification
delivered twice finds nothing new the second time and changes nothing but its receipt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from bot.core import heartbeats as heartbeat_core
from bot.core import incident as incident_core
from bot.core.alerts import grouping, payloads, sentry
from bot.core.alerts import rules as alert_rules
from bot.core.maintenance import under_maintenance
from bot.core.outbox import OutboxKind
from bot.services import audit, changes, heartbeats
from bot.services.alert_rules import rules_from
from bot.services.context import Context, UseCase
from bot.services.incidents import declare_in
from bot.services.maintenance import windows_at
from bot.services.models import EventRecord, IncidentRecord, from_row
from bot.store import alerts as store
from bot.store import incidents as incident_store
from bot.store import outbox


@dataclass(frozen=True)
class Receipt:
    """What became of one notification (the webhook's answer)."""

    notification: int
    outcome: str
    incident: int | None
    changes: int

    @property
    def incident_ref(self) -> str | None:
        return incident_core.ref(self.incident) if self.incident else None


@dataclass(frozen=True)
class NotificationRecord:
    id: int
    group_id: int
    received_at: datetime
    status: str
    alerts: int
    outcome: str
    incident_id: int | None
    changes: list[dict[str, Any]]
    data: dict[str, Any]

    @classmethod
    def from_row(cls, row) -> NotificationRecord:
        return from_row(cls, row)


@dataclass(frozen=True)
class AlertCard:
    """What an incident's card shows about the alert group that opened it."""

    source: str
    firing: int
    total: int
    labels: list[tuple[str, str]]
    links: dict[str, str]


def _known(rows) -> dict[str, grouping.Known]:
    return {r["fingerprint"]: grouping.Known(r["status"], r["starts_at"]) for r in rows}


def _save(
    conn: Connection, group_id: int, rows, found: Sequence[grouping.Change], now: datetime
) -> list[dict[str, Any]]:
    """Write the changed alerts, the new ones in one statement and the moved ones in
    another (a storm's group holds dozens); the group's alerts as they now stand, as
    `alert_states` has them but without a new alert's id (not needed before it is read
    again), without reading them back."""
    by_fingerprint = {r["fingerprint"]: dict(r) for r in rows}
    new, moved = [], []
    for change in found:
        alert = change.alert
        values = {
            "status": alert.status,
            "severity": change.severity,
            "name": alert_rules.alert_name(alert)[:200],
            "labels": alert.labels,
            "annotations": alert.annotations,
            "links": alert.links,
            "starts_at": alert.starts_at,
            "ends_at": alert.ends_at,
            "updated_at": now,
        }
        existing = by_fingerprint.get(alert.fingerprint)
        if existing is None:
            state = {"fingerprint": alert.fingerprint, "first_seen_at": now}
            new.append({**values, **state, "group_id": group_id})
            by_fingerprint[alert.fingerprint] = {**state, **values}
        else:
            moved.append({**values, "alert_id": existing["id"]})
            existing.update(values)
    if new:
        store.insert_alerts(conn, new)
    if moved:
        store.update_alerts(conn, moved)
    return list(by_fingerprint.values())


@dataclass(eq=False)
class AlertService(UseCase):
    def __post_init__(self) -> None:
        self.rules = rules_from(self.config)
        self.watching = {b.alertmanager: b for b in self.config.heartbeats if b.alertmanager}

    def parse(
        self, source: str, data: Any, resource: str | None = None
    ) -> payloads.Notification | None:
        """Read a webhook body; raises `PayloadError` naming the field. None: a Sentry webhook
        that is no alert (`resource`: its `Sentry-Hook-Resource` header)."""
        if source == sentry.SOURCE:
            return sentry.parse(data, self.rules, resource)
        return payloads.PARSERS[source](data)

    async def ingest(self, notification: payloads.Notification) -> Receipt:
        now = self.clock.now()
        with audit.origin("webhook"):
            receipt, _ = await self.write(
                lambda conn: self._ingest(conn, notification, now), wakes=lambda done: done[1]
            )
        return receipt

    def _ingest(
        self, conn: Connection, notification: payloads.Notification, now: datetime
    ) -> tuple[Receipt, bool]:
        """Heartbeats first (an Alertmanager Watchdog beats one), then the alerts' group."""
        watching = self.watching if notification.source == "alertmanager" else {}
        beaten, rest = heartbeat_core.beating(notification.alerts, watching)
        beat = any([heartbeats.record(conn, self.ctx, b, now) for b in beaten])
        if beaten and not rest:  # nothing to group
            return Receipt(0, "heartbeat", None, 0), beat
        if len(rest) < len(notification.alerts):  # heartbeats' alerts out (a copy only then)
            notification = replace(notification, alerts=tuple(rest))
        receipt, wrote = self._group(conn, notification, now)
        return receipt, wrote or beat

    def _group(
        self, conn: Connection, notification: payloads.Notification, now: datetime
    ) -> tuple[Receipt, bool]:
        rules = self.rules
        source = notification.source
        group = store.lock_group(conn, source, notification.key_hash)
        if fresh := group is None:  # then it has no alerts yet and was never told about
            group = store.insert_group(
                conn,
                {
                    "source": source,
                    "key_hash": notification.key_hash,
                    "group_key": notification.group_key,
                    "status": notification.status,
                    "title": alert_rules.title_of(notification, rules),
                    "labels": {},
                    "annotations": {},
                    "links": {},
                    "notifications": 0,
                    "first_seen_at": now,
                    "last_seen_at": now,
                },
            )
            if group is None:  # lost the race: theirs, locked
                group, fresh = store.lock_group(conn, source, notification.key_hash), False
        group_id = group["id"]
        rows = [] if fresh else store.alert_states(conn, group_id)
        found = grouping.diff(_known(rows), notification, rules)
        if found:
            rows = _save(conn, group_id, rows, found, now)
        firing = [r for r in rows if r["status"] == payloads.FIRING]
        severity = alert_rules.most_severe((r["severity"] for r in firing), rules)
        service = alert_rules.service_of(notification, rules) or group["service"]
        team = alert_rules.team_of(notification, rules)  # a route's; None: the service's
        incident, window, acts = None, None, grouping.acts_on(found)
        if acts and group["incident_id"] is not None:
            row = incident_store.load(conn, group["incident_id"], lock=True)
            incident = IncidentRecord.from_row(row) if row else None
        if acts:
            window = under_maintenance(windows_at(conn, self.config, now), service, now)
        state = grouping.Group(
            incident_id=incident.id if incident else None,
            incident_status=incident.status if incident else None,
            incident_resolved_at=incident.resolved_at if incident else None,
            told=acts and incident is None and not fresh and store.told(conn, group_id),
        )
        decision = grouping.decide(
            state, found, len(firing), severity, rules, now, maintenance=window is not None
        )
        lines = grouping.change_lines(found)
        title = alert_rules.title_of(notification, rules) if firing else group["title"]
        data: dict[str, Any] = {
            "source": source,
            "title": title,
            "severity": severity or (found[0].severity if found else None),
            "service": service,
            "firing": len(firing),
            "total": len(rows),
            "all_resolved": decision.all_resolved,
            "truncated": notification.truncated,
        }
        if window is not None:
            data["maintenance"] = {
                "service": window.service,
                "until": window.ends_at.isoformat(),
                "reason": window.reason,
            }
        action = decision.action
        incident_id = incident.id if incident else group["incident_id"]  # unread if unchanged
        channel = incident.channel_id if incident else self.config.incident_channel
        if action == grouping.OPEN:
            opened = declare_in(
                conn,
                self.ctx,
                now,
                source,
                title,
                severity,
                service=service,
                tenants=alert_rules.tenants_of(notification, rules),
                description=alert_rules.description_of(notification),
                source=source,
                team=team,
                private=alert_rules.private_of(notification, rules),
            )
            incident_id, channel = opened.id, opened.channel_id
        elif action == grouping.REOPEN:
            result = incident_core.reopen(
                incident.core(),
                source,
                now,
                self.ctx.level(incident.severity).ack_within,
                "its alerts are firing again",
            )
            if not isinstance(result, incident_core.Denied):
                changes.apply(conn, self.ctx, incident, result.fields, result.event, now)
        receipt_id = store.add_notification(
            conn,
            {
                "group_id": group_id,
                "received_at": now,
                "status": notification.status,
                "alerts": len(notification.alerts),
                "outcome": action,
                "incident_id": incident_id
                if action in (grouping.OPEN, grouping.REOPEN, grouping.UPDATE)
                else None,
                "changes": lines,
                "data": data,
            },
        )
        wrote = True
        if action in (grouping.OPEN, grouping.REOPEN, grouping.UPDATE):
            extra = {"notification": receipt_id}
            if decision.all_resolved and not decision.auto_resolve and incident is not None:
                extra["auto_resolve"] = rules.auto_resolve
                extra["acknowledged_by"] = incident.acknowledged_by
            extra["auto_resolved"] = decision.auto_resolve
            # one audit row per webhook: the declaration, reopening or resolution it caused
            audited = action == grouping.UPDATE and not decision.auto_resolve
            alerts_event(
                conn,
                self.ctx,
                incident_id,
                channel,
                lines,
                {**data, **extra},
                now,
                audited,
                opened=action == grouping.OPEN,
            )
            if decision.auto_resolve and incident is not None:
                result = incident_core.resolve(
                    incident.core(), source, now, self.config.zone, "all its alerts resolved"
                )
                if not isinstance(result, incident_core.Denied):
                    changes.apply(conn, self.ctx, incident, result.fields, result.event, now)
        elif action in (grouping.POST, grouping.MAINTENANCE):
            outbox.enqueue(
                conn,
                now,
                OutboxKind.ALERT_POST,
                channel=self.config.channel_of(self.config.owner(service, team)),
                payload={"notification_id": receipt_id},
            )
        else:
            wrote = False
        group_fields: dict[str, Any] = {
            "status": payloads.FIRING if firing else payloads.RESOLVED,
            "severity": severity or group["severity"],
            "service": service,
            "title": title[:200],
            "last_seen_at": now,
            "notifications": group["notifications"] + 1,
            "incident_id": incident_id
            if action in (grouping.OPEN, grouping.REOPEN)
            else group["incident_id"],
        }
        if found:
            group_fields["labels"] = notification.common_labels
            group_fields["annotations"] = notification.common_annotations
            group_fields["links"] = (
                {"external": notification.external_url} if notification.external_url else {}
            )
        if not firing and group["status"] == payloads.FIRING:
            group_fields["resolved_at"] = now
        store.update_group(conn, group_id, group_fields)
        return Receipt(receipt_id, action, incident_id, len(lines)), wrote

    # -- what the Slack sender reads --------------------------------------------------------

    async def events(self, event_ids: Sequence[int]) -> list[EventRecord]:
        def work(conn: Connection) -> list[EventRecord]:
            rows = [incident_store.get_event(conn, i) for i in event_ids]
            return [EventRecord.from_row(r) for r in rows if r is not None]

        return await self.db.read(work, short=True)

    async def notifications(self, ids: Sequence[int]) -> list[NotificationRecord]:
        def work(conn: Connection) -> list[NotificationRecord]:
            rows = [store.notification(conn, i) for i in ids]
            return [NotificationRecord.from_row(r) for r in rows if r is not None]

        return await self.db.read(work, short=True)

    async def card(self, incident_id: int) -> AlertCard | None:
        """The alert group an incident is about, as its card shows it."""
        labels_wanted = self.rules.card_labels

        def work(conn: Connection) -> AlertCard | None:
            group = store.group_of_incident(conn, incident_id)
            if group is None:
                return None
            rows = store.group_alerts(conn, group["id"])
            firing = [r for r in rows if r["status"] == payloads.FIRING]
            first = (firing or rows or [None])[0]
            source_labels = {**(first["labels"] if first else {}), **group["labels"]}
            labels = [(k, source_labels[k]) for k in labels_wanted if source_labels.get(k)]
            links = dict(first["links"]) if first else {}
            if group["links"].get("external"):
                links.setdefault("external", group["links"]["external"])
            return AlertCard(group["source"], len(firing), len(rows), labels, links)

        return await self.db.read(work, short=True)


def alerts_event(
    conn: Connection,
    ctx: Context,
    incident_id: int,
    channel: str,
    lines: list[dict],
    data: dict[str, Any],
    now: datetime,
    audited: bool = True,
    opened: bool = False,
) -> None:
    """The timeline entry of alert changes in an incident, with the card re-render and the
    thread reply (coalesced with its neighbours at send time); its audit row unless the same
    notification declared, reopened or resolved the incident (that row is the record).
    `opened`: the incident was declared in this transaction, whose card row, rendered when
    it is sent, already shows these alerts: no second card row."""
    data = {**data, "changes": lines}
    event_id = incident_store.add_event(conn, incident_id, now, data["source"], "alerts", "", data)
    if audited:
        audit.incident_change(
            conn, now, incident_id, incident_core.Event("alerts", data["source"]), data
        )
    if opened:
        outbox.enqueue_about(conn, now, OutboxKind.ALERT_REPLY, incident_id, channel, event_id)
    else:
        outbox.enqueue_card_and(conn, now, OutboxKind.ALERT_REPLY, incident_id, channel, event_id)
