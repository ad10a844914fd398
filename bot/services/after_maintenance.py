"""Alert groups a maintenance window kept quiet: when the window ends, each that still fires
opens its incident, as its notification would have had the window not been running."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from bot.core.alerts import grouping, payloads
from bot.core.alerts import rules as alert_rules
from bot.core.maintenance import under_maintenance
from bot.services import maintenance
from bot.services.alert_rules import rules_from
from bot.services.alerts import alerts_event
from bot.services.context import Context
from bot.services.incidents import declare_in
from bot.services.maintenance import windows_at
from bot.store import alerts as store
from bot.store import incidents as incident_store


def open_after_maintenance(conn: Connection, ctx: Context, now: datetime, service: str | None):
    """A maintenance window ended: each group it kept quiet that still fires opens its
    incident now (unless another window still covers it, or its severity only posts)."""
    rules = rules_from(ctx.config)
    windows = windows_at(conn, ctx.config, now)
    for group in store.firing_groups(conn, service):
        if group["incident_id"] is not None:
            row = incident_store.load(conn, group["incident_id"], lock=True)
            if row is not None and row["status"] != "resolved":
                continue
        if store.last_outcome(conn, group["id"]) != grouping.MAINTENANCE:
            continue
        if under_maintenance(windows, group["service"], now):
            continue
        firing = [
            r for r in store.group_alerts(conn, group["id"]) if r["status"] == payloads.FIRING
        ]
        severity = alert_rules.most_severe((r["severity"] for r in firing), rules)
        if not firing or severity is None or not rules.opens_incident(severity):
            continue
        alerts = [
            payloads.Alert(
                r["fingerprint"],
                r["status"],
                r["labels"],
                r["annotations"],
                r["starts_at"],
                r["ends_at"],
                r["links"],
            )
            for r in firing
        ]
        still = payloads.Notification(
            group["source"],
            group["group_key"],
            payloads.FIRING,
            tuple(alerts),
            common_labels=group["labels"],
            common_annotations=group["annotations"],
        )
        incident = declare_in(
            conn,
            ctx,
            now,
            group["source"],
            group["title"],
            severity,
            service=group["service"],
            tenants=alert_rules.tenants_of(still, rules),
            description=alert_rules.description_of(still),
            source=group["source"],
            team=alert_rules.team_of(still, rules),
            private=alert_rules.private_of(still, rules),
        )
        lines = grouping.change_lines(
            [grouping.Change(a, "new", r["severity"]) for a, r in zip(alerts, firing, strict=True)]
        )
        data = {
            "source": group["source"],
            "title": group["title"],
            "severity": severity,
            "service": group["service"],
            "firing": len(firing),
            "total": len(store.group_alerts(conn, group["id"])),
            "all_resolved": False,
            "after_maintenance": True,
        }
        alerts_event(
            conn,
            ctx,
            incident.id,
            incident.channel_id,
            lines,
            data,
            now,
            audited=False,
            opened=True,
        )
        store.update_group(conn, group["id"], {"incident_id": incident.id})


def fire_maintenance_end(conn: Connection, ctx: Context, timer, now: datetime) -> bool:
    """A maintenance window's end timer: post the end, then open what still fires."""
    if not maintenance.fire_end(conn, ctx, timer, now):
        return False
    open_after_maintenance(conn, ctx, now, timer["payload"].get("service"))
    return True
