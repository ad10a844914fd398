"""Block Kit, built in one place and only here. Pure functions of records and config.

Every piece of user text goes through `escape` (mrkdwn) or into plain_text objects.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.config import Config
from bot.core.commands import USAGE
from bot.services.records import EventRecord, IncidentRecord
from bot.slack import mrkdwn as md

ACK, ESCALATE, RESOLVE, UPDATE, REOPEN, SEVERITY = (
    "incident_ack",
    "incident_escalate",
    "incident_resolve",
    "incident_update",
    "incident_reopen",
    "incident_severity",
)
BUTTON_ACTIONS = (ACK, ESCALATE, RESOLVE, UPDATE, REOPEN)
DECLARE_VIEW, UPDATE_VIEW = "declare_modal", "update_modal"

STATUS_ICON = {
    "declared": ":red_circle:",
    "acknowledged": ":large_yellow_circle:",
    "resolved": ":white_check_mark:",
}


def _text(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit] or " ", "emoji": True}


def _button(label: str, action_id: str, value: str, style: str | None = None, confirm=None):
    button = {"type": "button", "text": _plain(label), "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def card_text(incident: IncidentRecord) -> str:
    """Notification fallback: what a phone shows; escaped like everything else."""
    return f"{incident.ref} [{incident.severity}] {incident.status}: {md.escape(incident.title)}"


def status_line(incident: IncidentRecord, config: Config) -> str:
    zone = config.zone
    icon = STATUS_ICON.get(incident.status, "")
    if incident.status == "resolved" and incident.resolved_at:
        return (
            f"{icon} Resolved by {md.user(incident.resolved_by)} "
            f"{md.when(incident.resolved_at, zone)}"
        )
    if incident.status == "acknowledged" and incident.acknowledged_at:
        return (
            f"{icon} Acknowledged by {md.user(incident.acknowledged_by)} "
            f"{md.when(incident.acknowledged_at, zone)}"
        )
    return f"{icon} Declared, not yet acknowledged"


def response_line(incident: IncidentRecord, config: Config) -> str:
    zone = config.zone
    try:
        target = md.duration(config.severity(incident.severity).ack_within.total_seconds())
    except KeyError:
        target = "?"
    if incident.acknowledged_at:
        took = (incident.acknowledged_at - incident.declared_at).total_seconds()
        return f"Acknowledged in {md.duration(took)} (target {target})"
    if incident.status == "resolved":
        return f"Resolved without acknowledgement (target {target})"
    if incident.waiting_until:
        return f"No guaranteed response until {md.local(incident.waiting_until, zone)}"
    if incident.ack_due_at:
        return f"Ack due by {md.when(incident.ack_due_at, zone)} (target {target})"
    return f"Target {target}"


def card(incident: IncidentRecord, config: Config) -> list[dict[str, Any]]:
    zone = config.zone
    value = str(incident.id)
    policy = incident.policy
    service = md.escape(incident.service) if incident.service else "_not set_"
    if incident.service and incident.service in config.runbooks:
        service += " · " + md.link(config.runbooks[incident.service], "runbook")
    fields = [
        f"*Incident*\n{incident.ref}",
        f"*Severity*\n{md.escape(incident.severity)}",
        f"*Status*\n{status_line(incident, config)}",
        f"*Declared by*\n{md.user(incident.declared_by)} {md.when(incident.declared_at, zone)}",
        f"*Commander*\n{md.user(incident.commander)}",
        f"*Comms*\n{md.user(incident.comms_lead)}",
        f"*Service*\n{service}",
        f"*Tenants*\n{md.escape(', '.join(incident.tenants)) or '_none given_'}",
        f"*Response*\n{response_line(incident, config)}",
        f"*Escalation*\nlevel {incident.escalation_level + 1} of {policy.steps}",
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(f"{incident.ref} · {incident.title}")},
        {"type": "section", "fields": [_text(f) for f in fields]},
    ]
    if incident.description:
        blocks.append({"type": "section", "text": _text(md.escape(incident.description))})
    context = []
    if incident.eta_at and incident.is_open:
        context.append(f":hourglass: ETA {md.when(incident.eta_at, zone)}")
    if incident.last_update_at:
        context.append(f"Last update {md.when(incident.last_update_at, zone)}")
    if incident.summary:
        context.append(f"Summary: {md.escape(incident.summary)}")
    if context:
        blocks.append({"type": "context", "elements": [_text(" · ".join(context))]})
    blocks.append({"type": "divider"})
    blocks.append(
        {
            "type": "actions",
            "block_id": f"incident_actions:{incident.id}",
            "elements": _actions(incident, config, value),
        }
    )
    return blocks


def _actions(incident: IncidentRecord, config: Config, value: str) -> list[dict[str, Any]]:
    if not incident.is_open:
        return [_button("Reopen", REOPEN, value)]
    elements = []
    if incident.status == "declared":
        elements.append(_button("Acknowledge", ACK, value, "primary"))
    elements += [
        _button("Escalate", ESCALATE, value),
        _button("Post update", UPDATE, value),
        _button(
            "Resolve",
            RESOLVE,
            value,
            "danger",
            confirm={
                "title": _plain("Resolve this incident?"),
                "text": _plain(f"{incident.ref} will be marked resolved.", 300),
                "confirm": _plain("Resolve"),
                "deny": _plain("Cancel"),
            },
        ),
    ]
    options = [
        {"text": _plain(s.name), "value": f"{incident.id}:{s.name}"} for s in config.severities
    ]
    select = {
        "type": "static_select",
        "action_id": SEVERITY,
        "placeholder": _plain("Severity"),
        "options": options,
    }
    current = [o for o in options if o["value"].endswith(f":{incident.severity}")]
    if current:
        select["initial_option"] = current[0]
    elements.append(select)
    return elements


def reply(event: EventRecord, incident: IncidentRecord, config: Config) -> str:
    """The short thread reply that accompanies every change."""
    who = md.user(event.actor)
    data = event.data
    text = md.escape(event.text)
    kind = event.kind
    on_call = data.get("on_call")
    if kind == "declared":
        line = f":rotating_light: {who} declared {incident.ref} ({md.escape(incident.severity)})."
        if data.get("waiting_until"):
            resumes = datetime.fromisoformat(data["waiting_until"])
            return line + (
                f" No guaranteed response until {md.local(resumes, config.zone)}: nobody covers "
                f"{md.escape(incident.severity)} now. Level 1 "
                f"({md.targets(data.get('targets', []))}) will be paged then."
            )
        line += f" Paging level 1: {md.targets(data.get('targets', []), on_call)}."
        if data.get("page"):
            pulled = md.targets(data["page"], on_call)
            line += f" Pulled in for {md.escape(incident.severity)}: {pulled}."
        return line
    if kind == "paged":
        return (
            f":bell: Coverage has resumed: paging level 1 for {incident.ref}: "
            f"{md.targets(data.get('targets', []), on_call)}."
        )
    if kind == "exhausted":
        return (
            f":rotating_light: Nobody acknowledged {incident.ref} after all "
            f"{data['steps']} escalation levels. It stays open; escalate or acknowledge."
        )
    if kind == "acknowledged":
        took = (event.at - incident.declared_at).total_seconds()
        return f":eyes: {who} acknowledged {incident.ref} after {md.duration(took)}."
    if kind == "escalated":
        line = (
            f":arrow_double_up: {who} escalated {incident.ref} to level {data['level'] + 1}: "
            f"{md.targets(data.get('targets', []), on_call)}."
        )
        return line + (f" Reason: {text}" if text else "")
    if kind == "severity":
        return (
            f":warning: {who} changed the severity of {incident.ref} from "
            f"{md.escape(data['from'])} to {md.escape(data['to'])}."
        )
    if kind == "update":
        eta = data.get("eta")
        tail = ""
        if eta:
            tail = f"\n:hourglass: ETA {md.when(datetime.fromisoformat(eta), config.zone)}"
        return f":memo: Update from {who}: {text}{tail}"
    if kind == "resolved":
        took = (event.at - incident.declared_at).total_seconds()
        line = f":white_check_mark: {who} resolved {incident.ref} after {md.duration(took)}."
        return line + (f" Summary: {text}" if text else "")
    if kind == "reopened":
        line = f":leftwards_arrow_with_hook: {who} reopened {incident.ref}."
        line += f" Paging level 1: {md.targets(data.get('targets', []), on_call)}."
        return line + (f" Reason: {text}" if text else "")
    if kind == "assigned":
        return f":bust_in_silhouette: {who} made {md.user(data['user'])} {data['role']} of {incident.ref}."
    return f"{who}: {kind} {text}".strip()


def page_dm(
    event: EventRecord, incident: IncidentRecord, config: Config
) -> tuple[str, list[dict[str, Any]]]:
    """The direct message to one person paged: what, how urgent, and a button to take it."""
    text = (
        f":rotating_light: You are being paged for *{incident.ref}* "
        f"({md.escape(incident.severity)}): {md.escape(incident.title)}"
    )
    lines = [text, f"Thread: <#{incident.channel_id}>"]
    if incident.status == "declared" and incident.ack_due_at:
        lines.append(f"Acknowledge by {md.when(incident.ack_due_at, config.zone)}.")
    elements = []
    if incident.status == "declared":
        elements.append(_button("Acknowledge", ACK, str(incident.id), "primary"))
    dm_blocks: list[dict[str, Any]] = [{"type": "section", "text": _text("\n".join(lines))}]
    if elements:
        dm_blocks.append(
            {"type": "actions", "block_id": f"page:{incident.id}", "elements": elements}
        )
    return text, dm_blocks


def handover(summary, config: Config, personal: bool = False) -> tuple[str, list[dict]]:
    """A shift handover: who takes over, open incidents, overrides coming up."""
    zone = config.zone
    shift = summary.incoming
    until = md.when(shift.ends_at, zone, "{date_short_pretty} {time}")
    rotation = f"*{md.escape(summary.rotation)}*"
    if personal:
        head = f":wave: You are on call for {rotation} from now until {until}."
    else:
        head = f":arrows_counterclockwise: Handover for {rotation}: {md.user(shift.user)} is on call until {until}."
    if summary.previous and summary.previous != shift.user:
        head += f" Taking over from {md.user(summary.previous)}."
    lines = []
    for item in summary.incidents:
        incident = item.incident
        age = md.duration((summary.at - incident.declared_at).total_seconds())
        line = (
            f"• *{incident.ref}* [{md.escape(incident.severity)}] {md.escape(incident.title)}"
            f" · {incident.status} · open {age}"
        )
        if item.last_update:
            at, text = item.last_update
            short = text if len(text) <= 120 else text[:119] + "…"
            line += f" · last update {md.when(at, zone, '{date_short_pretty} {time}')}: {md.escape(short)}"
        if incident.eta_at:
            line += f" · ETA {md.when(incident.eta_at, zone)}"
        lines.append(line)
    incidents = ("*Open incidents*\n" + "\n".join(lines)) if lines else "*No open incidents.*"
    overrides = [
        f"• {md.user(o.user)} from {md.when(o.starts_at, zone, '{date_short_pretty} {time}')}"
        f" to {md.when(o.ends_at, zone, '{date_short_pretty} {time}')}"
        for o in summary.overrides
    ]
    coming = (
        ("*Overrides in the next 7 days*\n" + "\n".join(overrides))
        if overrides
        else ("_No overrides in the next 7 days._")
    )
    section_text = _fit("\n\n".join([head, incidents, coming]))
    return head, [{"type": "section", "text": _text(section_text)}]


def _fit(text: str, limit: int = 3000) -> str:
    """Slack refuses a section over 3,000 characters: cut at a line, say so."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 40].rsplit("\n", 1)[0]
    return cut + "\n_…more than fits here._"


def incident_line(incident: IncidentRecord, config: Config) -> str:
    icon = STATUS_ICON.get(incident.status, "")
    return (
        f"{icon} *{incident.ref}* [{md.escape(incident.severity)}] "
        f"{md.escape(incident.title)} · {incident.status} · declared "
        f"{md.when(incident.declared_at, config.zone, '{date_short_pretty} {time}')}"
    )


def open_list(incidents: list[IncidentRecord], total: int, config: Config) -> list[dict]:
    if not incidents:
        return [{"type": "section", "text": _text(":sunny: No open incidents.")}]
    lines = [incident_line(i, config) for i in incidents]
    more = f"\n…and {total - len(incidents)} more." if total > len(incidents) else ""
    return [{"type": "section", "text": _text(f"*{total} open*\n" + "\n".join(lines) + more)}]


def show(incident: IncidentRecord, events: list[EventRecord], config: Config) -> list[dict]:
    blocks = card(incident, config)[:-2]  # the card without its buttons
    if events:
        lines = [
            f"{md.when(e.at, config.zone, '{date_short} {time}')} {reply(e, incident, config)}"
            for e in events
        ]
        blocks.append(
            {
                "type": "section",
                "text": _text(("*Timeline*\n" + "\n".join(lines))[:3000]),
            }
        )
    return blocks


def help_text() -> str:
    return "*Firebell* commands:\n" + "\n".join(f"`{u}`" for u in USAGE.values())


def usage_answer(message: str, usage: str) -> str:
    lines = "\n".join(f"`{u}`" for u in usage.splitlines())
    return f"{md.escape(message)}\nUsage:\n{lines}"


def _input(block_id: str, label: str, element: dict, optional: bool = False, hint: str = ""):
    block = {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def declare_modal(config: Config) -> dict[str, Any]:
    options = [
        {"text": _plain(f"{s.name} · {s.description}"[:75]), "value": s.name}
        for s in config.severities
    ]
    services = [{"text": _plain(name), "value": name} for name in sorted(config.runbooks)]
    blocks = [
        _input(
            "title",
            "Title",
            {
                "type": "plain_text_input",
                "action_id": "value",
                "max_length": 150,
                "placeholder": _plain("What is broken?"),
            },
        ),
        _input(
            "severity",
            "Severity",
            {
                "type": "static_select",
                "action_id": "value",
                "options": options,
                "initial_option": options[-1],
            },
        ),
    ]
    if services:
        blocks.append(
            _input(
                "service",
                "Service",
                {"type": "static_select", "action_id": "value", "options": services},
                optional=True,
            )
        )
    else:
        blocks.append(
            _input(
                "service",
                "Service",
                {"type": "plain_text_input", "action_id": "value"},
                optional=True,
            )
        )
    blocks += [
        _input(
            "tenants",
            "Affected tenants",
            {"type": "plain_text_input", "action_id": "value"},
            optional=True,
            hint="Comma-separated, e.g. acme, globex",
        ),
        _input(
            "description",
            "Description",
            {
                "type": "plain_text_input",
                "action_id": "value",
                "multiline": True,
                "max_length": 2900,
            },
            optional=True,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": DECLARE_VIEW,
        "title": _plain("Declare incident"),
        "submit": _plain("Declare"),
        "close": _plain("Cancel"),
        "blocks": blocks,
    }


def update_modal(incident: IncidentRecord) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": UPDATE_VIEW,
        "private_metadata": str(incident.id),
        "title": _plain(f"Update {incident.ref}"[:24]),
        "submit": _plain("Post"),
        "close": _plain("Cancel"),
        "blocks": [
            {"type": "section", "text": _text(f"*{incident.ref}* · {md.escape(incident.title)}")},
            _input(
                "text",
                "What changed?",
                {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": 2900,
                },
            ),
            _input(
                "eta",
                "ETA",
                {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "placeholder": _plain("e.g. 30m or 2h"),
                },
                optional=True,
                hint="How long until you expect it fixed",
            ),
        ],
    }


def home(incidents: list[IncidentRecord], total: int, config: Config) -> dict[str, Any]:
    blocks = [{"type": "header", "text": _plain("Open incidents")}]
    blocks += open_list(incidents, total, config)
    blocks.append(
        {
            "type": "context",
            "elements": [
                _text("Declare one with `/incident declare` or `/incident` for the form.")
            ],
        }
    )
    return {"type": "home", "blocks": blocks}
