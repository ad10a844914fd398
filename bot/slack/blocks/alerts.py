"""Alerts and maintenance windows: the quiet channel posts, the thread reply that groups an
incident's alert notifications, the card's section about its alerts, and the answers to
`/incident maintenance`. Nothing posted to a channel mentions anyone; a private refusal
names who may instead."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.config import Config
from bot.core.alert_sources import SOURCES, actor_name
from bot.core.maintenance import Maintenance
from bot.services.alerts import AlertCard, NotificationRecord
from bot.services.maintenance import Ended, Listed, NotAllowed, Started
from bot.services.models import EventRecord, IncidentRecord
from bot.slack import mrkdwn as md
from bot.slack.blocks import kit

ALERT_LINES = 40  # alerts listed in one reply or post; more are counted
REPLY_LIMIT = 7000  # characters of alert lines in one reply (Slack takes 40,000)
_ALERT_KIND = {
    "new": ":red_circle: firing",
    "firing": ":repeat: firing again",
    "resolved": ":large_green_circle: resolved",
}
_LINK_LABELS = {
    "source": "Source",
    "dashboard": "Dashboard",
    "panel": "Panel",
    "silence": "Silence",
}


def _links(links: dict[str, str], source: str | None = None) -> str:
    parts = [md.link(links[k], label) for k, label in _LINK_LABELS.items() if links.get(k)]
    if links.get("external"):
        parts.append(md.link(links["external"], SOURCES.get(source or "", "source")))
    return " · ".join(parts)


def alert_card_text(alert: AlertCard) -> str:
    """The card's section about the alert group behind an incident."""
    source = SOURCES.get(alert.source, alert.source)
    lines = [f"*Alerts* ({md.escape(source)}): {alert.firing} of {alert.total} firing"]
    if alert.labels:
        lines.append(" · ".join(f"`{md.escape(k)}` {md.escape(v)}" for k, v in alert.labels))
    links = _links(alert.links, alert.source)
    if links:
        lines.append(links)
    return "\n".join(lines)


def _alert_line(change: dict[str, Any], config: Config) -> str:
    name = change.get("name") or change.get("fingerprint") or "alert"
    parts = [f"{_ALERT_KIND.get(change.get('kind'), change.get('kind'))} *{md.escape(name)}*"]
    labels = change.get("labels") or {}
    shown = [
        f"{k}={labels[k]}" for k in config.alerts.card_labels if k != "alertname" and labels.get(k)
    ][:3]
    if shown:
        parts.append(md.escape(", ".join(shown)))
    summary = change.get("summary")
    if summary and summary != name:
        parts.append(md.escape(kit.excerpt(summary, 100)))
    if change.get("values"):
        parts.append(md.escape(kit.excerpt(change["values"], 80)))
    links = _links(change.get("links") or {})
    if links:
        parts.append(links)
    return "• " + " · ".join(parts)


def _counts(changes: Sequence[dict[str, Any]]) -> str:
    counted: dict[str, int] = {}
    for change in changes:
        counted[change.get("kind")] = counted.get(change.get("kind"), 0) + 1
    words = {"new": "new", "firing": "firing again", "resolved": "resolved"}
    return ", ".join(f"{n} {words.get(k, k)}" for k, n in counted.items()) or "nothing new"


def alerts_headline(events: Sequence[EventRecord]) -> str:
    last = events[-1].data
    changes = [c for e in events for c in e.data.get("changes", [])]
    source = actor_name(events[0].actor) or "Alerts"
    many = f", {len(events)} notifications" if len(events) > 1 else ""
    state = f"{last.get('firing', 0)} of {last.get('total', 0)} alerts firing"
    if last.get("after_maintenance"):
        state += ", still when maintenance ended"
    return f":bell: *{md.escape(source)}*{many}: {_counts(changes)} · {state}"


def _listed(
    changes: Sequence[dict[str, Any]], config: Config, limit: int = ALERT_LINES
) -> list[str]:
    lines = [_alert_line(c, config) for c in changes[:limit]]
    if len(changes) > limit:
        lines.append(f"…and {len(changes) - limit} more alerts")
    return lines


def alert_reply(events: Sequence[EventRecord], incident: IncidentRecord, config: Config) -> str:
    """One thread reply for consecutive alert notifications of an incident: what is new or
    changed, and what happens now that every alert has resolved."""
    changes = [c for e in events for c in e.data.get("changes", [])]
    listed = [_alert_line(c, config) for c in changes[:ALERT_LINES]]
    while listed and sum(len(line) + 1 for line in listed) > REPLY_LIMIT:
        listed.pop()  # whole lines only: the rest is counted
    lines = [alerts_headline(events), *listed]
    if len(changes) > len(listed):
        lines.append(
            f"…and {len(changes) - len(listed)} more alerts (`/incident show {incident.ref}`)"
        )
    last = events[-1].data
    truncated = max(e.data.get("truncated", 0) for e in events)
    if truncated:
        lines.append(f"_The source left out {truncated} more alerts (its `max_alerts`)._")
    if last.get("all_resolved"):
        tail = ":white_check_mark: All alerts resolved."
        if last.get("auto_resolved") or incident.status == "resolved":
            pass
        elif last.get("auto_resolve") and last.get("acknowledged_by"):
            tail += (
                f" {md.user(last['acknowledged_by'])} acknowledged {incident.ref}, so it stays "
                "open: resolve it when you are done."
            )
        else:
            tail += f" Resolve {incident.ref} when you are done."
        lines.append(tail)
    return kit.message_text("\n".join(lines), kit.show(incident.ref))


def _maintenance_phrase(data: dict[str, Any], config: Config) -> str:
    window = data["maintenance"]
    scope = f"*{md.escape(window['service'])}*" if window.get("service") else "every service"
    until = md.local(datetime.fromisoformat(window["until"]), config.zone)
    return f"maintenance of {scope} until {until}"


def alert_post(
    notifications: Sequence[NotificationRecord], config: Config
) -> tuple[str, list[dict[str, Any]]]:
    """A quiet post in the incident channel: alerts under maintenance, or of a severity that
    opens no incident. Mentions nobody."""
    paragraphs, heads = [], []
    for note in notifications:
        data = note.data
        title = md.escape(data.get("title") or "")
        severity = md.escape(data.get("severity") or "")
        source = md.escape(SOURCES.get(data.get("source"), "Alerts"))
        if data.get("maintenance"):
            head = f":wrench: *{source}*, during {_maintenance_phrase(data, config)}: [{severity}] {title}"
            why = "No incident, nobody paged."
        else:
            head = f":information_source: *{source}*: [{severity}] {title}"
            why = f"{severity} alerts open no incident."
        state = f"{data.get('firing', 0)} of {data.get('total', 0)} alerts firing"
        if data.get("all_resolved"):
            state = "all alerts resolved"
        heads.append(head)
        lines = [f"{head} · {state}. _{why}_", *_listed(note.changes, config, 20)]
        paragraphs.append("\n".join(lines))
    text = heads[0] + (f" (+{len(heads) - 1} more)" if len(heads) > 1 else "")
    return kit.message(kit.fit(text, 3000), kit.sections(paragraphs))


def maintenance_post(payload: dict[str, Any], config: Config) -> str:
    """The start or the end of a maintenance window, in the incident channel."""
    scope = f"*{md.escape(payload['service'])}*" if payload.get("service") else "every service"
    number = f" #{payload['id']}" if payload.get("id") is not None else ""
    if payload.get("phase") == "end":
        line = f":white_check_mark: Maintenance{number} of {scope} is over"
        if payload.get("ended_by"):
            line += f", ended early by {md.user(payload['ended_by'])}"
        return kit.message_text(line + ". Its alerts open incidents and page again.")
    until = md.local(datetime.fromisoformat(payload["ends_at"]), config.zone)
    line = f":wrench: Maintenance{number} of {scope} until {until}"
    if payload.get("by"):
        line += f", set by {md.user(payload['by'])}"
    line += ". Its alerts are posted here quietly, page nobody and open no incident."
    if payload.get("reason"):
        line += f" Reason: {md.escape(payload['reason'])}"
    return kit.message_text(line)


def _window_line(window: Maintenance, at: datetime, config: Config) -> str:
    scope = f"*{md.escape(window.service)}*" if window.service else "every service"
    name = f"#{window.id}" if window.id is not None else "config"
    if window.starts_at <= at:
        span = f"now until {md.local(window.ends_at, config.zone)}"
    else:
        span = f"from {md.wall(window.starts_at, config.zone)} to {md.local(window.ends_at, config.zone)}"
    line = f"• {name} {scope}: {span}"
    if window.created_by:
        line += f" · set by {md.user(window.created_by)}"
    if window.reason:
        line += f" · {md.escape(window.reason)}"
    return line


def maintenance_started(started: Started, config: Config) -> str:
    window = started.window
    scope = f"*{md.escape(window.service)}*" if window.service else "every service"
    line = (
        f":wrench: Maintenance #{window.id} of {scope} until "
        f"{md.local(window.ends_at, config.zone)}: its alerts are recorded and posted quietly "
        "to the incident channel, page nobody and open no incident. "
        f"End it early with `/incident maintenance end {window.id}`."
    )
    if started.overlaps:
        others = "; ".join(_window_line(w, window.starts_at, config)[2:] for w in started.overlaps)
        line += f"\nAlready running: {others}."
    return kit.fit(line)


def maintenance_ended(ended: Ended, config: Config) -> str:
    window = ended.window
    scope = f"*{md.escape(window.service)}*" if window.service else "every service"
    return kit.message_text(
        f"Ended maintenance #{window.id} of {scope}: its alerts open incidents again."
    )


def maintenance_not_allowed(denied: NotAllowed) -> str:
    """Who may set (or end) a maintenance window, for someone who may not."""
    why = " A window for every service silences all paging." if denied.service is None else ""
    return kit.fit(denied.message + why)


def maintenance_list(listed: Listed, config: Config) -> tuple[str, list[dict]]:
    if not listed.windows:
        text = "No maintenance running or coming up in the next 7 days."
        return text, [{"type": "section", "text": kit.text(text)}]
    lines = [_window_line(w, listed.at, config) for w in listed.windows[:50]]
    text = f"{len(listed.windows)} maintenance windows running or coming up"
    return kit.message(text, kit.sections(lines, "*Maintenance, now and in the next 7 days*"))
