"""Block Kit, built in one place and only here. Pure functions of records and config.

Every piece of user text goes through `escape` (mrkdwn) or into plain_text objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.core.alerts import SOURCES, Maintenance, actor_name
from bot.core.commands import USAGE
from bot.core.incident import ref
from bot.core.metrics import Report, span
from bot.core.rotation import Shift
from bot.services.alerts import AlertCard, NotificationRecord
from bot.services.maintenance import Ended, Listed, Started
from bot.services.overrides import (
    Added,
    Home,
    OverrideList,
    OverrideRecord,
    Refused,
    Removed,
    RotationNow,
)
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


def card(
    incident: IncidentRecord, config: Config, alert: AlertCard | None = None
) -> list[dict[str, Any]]:
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
    if alert is not None:
        blocks.append({"type": "section", "text": _text(_fit(alert_card_text(alert)))})
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
    if kind == "alerts":
        return _alerts_headline([event])
    informed = informed_reply(event, incident, config)  # reminders, snoozes, notes
    if informed is not None:
        return informed
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
    if total > len(incidents):
        lines.append(f"…and {total - len(incidents)} more.")
    return _sections(lines, f"*{total} open*")  # one section unless over Slack's 3,000 chars


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
    lines = [line for usage in USAGE.values() for line in usage.splitlines()]
    return "*Firebell* commands:\n" + "\n".join(f"`{u}`" for u in lines)


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


def update_modal(incident: IncidentRecord, share: bool = False) -> dict[str, Any]:
    """The update form; with `share`, a checkbox to post it to the broadcast channel."""
    view = {
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
    if share:
        view["blocks"].append(
            _input(
                "share",
                "Stakeholders",
                {
                    "type": "checkboxes",
                    "action_id": "value",
                    "options": [
                        {
                            "text": _plain("Share this update with stakeholders"),
                            "description": _plain(
                                "Posted in plain words to the broadcast channel, no mentions"
                            ),
                            "value": "share",
                        }
                    ],
                },
                optional=True,
            )
        )
    return view


def home(
    incidents: list[IncidentRecord],
    total: int,
    config: Config,
    on_call: Home | None = None,
) -> dict[str, Any]:
    """App Home: who is on call now and next and the viewer's own shifts (given `on_call`),
    then the open incidents. At most ~60 blocks, each section under 3,000 characters."""
    blocks: list[dict[str, Any]] = []
    if on_call is not None:
        blocks += _home_on_call(on_call)
    blocks.append({"type": "header", "text": _plain("Open incidents")})
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


# -- on call, overrides, handover on demand ---------------------------------------------------

ROTATIONS_SHOWN = 40  # sections in an on-call answer; App Home shows fewer
HOME_ROTATIONS = 25
MY_SHIFTS_SHOWN = 20
_PRETTY = "{date_short_pretty} {time}"


def _sections(lines: Sequence[str], heading: str = "", limit: int = 3000) -> list[dict]:
    """Lines packed into as few sections as Slack's 3,000-character limit allows."""
    blocks, chunk = [], heading
    for line in lines:
        line = _fit(line, limit)
        candidate = f"{chunk}\n{line}" if chunk else line
        if len(candidate) > limit and chunk:
            blocks.append({"type": "section", "text": _text(chunk)})
            candidate = line
        chunk = candidate
    if chunk:
        blocks.append({"type": "section", "text": _text(chunk)})
    return blocks


def _rotation(name: str) -> str:
    clipped = name if len(name) <= 40 else name[:39] + "…"
    return f"*{md.escape(clipped)}*"


def _wall(at: datetime, zone: ZoneInfo) -> str:
    """A local time without the zone name, as `md.local` spells it."""
    return md.local(at, zone).rsplit(" (", 1)[0]


def _local_span(starts: datetime, ends: datetime, zone: ZoneInfo) -> str:
    return f"{_wall(starts, zone)} to {md.local(ends, zone)}"


def _override_badge(shift: Shift) -> str:
    return f" _(override #{shift.override_id})_" if shift.is_override else ""


def on_call_text(now: RotationNow) -> str:
    """One rotation: who now and until when, who next, and what coverage promises."""
    shift = now.current
    line = f"{_rotation(now.rotation)}: {md.user(shift.user)}{_override_badge(shift)} is on call"
    if now.until:
        line += f" until {md.when(now.until, now.zone, _PRETTY)}"
    lines = [line]
    if now.next:
        lines.append(
            f"Next: {md.user(now.next.user)}{_override_badge(now.next)} "
            f"from {md.when(now.next.starts_at, now.zone, _PRETTY)}"
        )
    else:
        lines.append("Next: _nobody else in the coming shifts_")
    if now.coverage == "outside":
        if now.resumes_at:
            lines.append(
                ":zzz: Outside coverage: no guaranteed response until "
                f"{md.local(now.resumes_at, now.zone)}."
            )
        else:
            lines.append(":zzz: Outside coverage: no guaranteed response in the next 8 days.")
    elif (
        now.coverage == "inside"
        and now.covered_until
        and (now.until is None or now.covered_until < now.until)
    ):
        coverage = f":clock5: Coverage ends {md.local(now.covered_until, now.zone)}"
        if now.resumes_at:
            coverage += (
                f"; no guaranteed response from then until {_wall(now.resumes_at, now.zone)}"
            )
        lines.append(coverage + ".")
    return "\n".join(lines)


def on_call(statuses: Sequence[RotationNow]) -> tuple[str, list[dict]]:
    """The answer to `/incident oncall`: one section per rotation."""
    if not statuses:
        text = "No rotations are configured: add them under `rotations:` in the config."
        return text, [{"type": "section", "text": _text(text)}]
    shown = statuses[:ROTATIONS_SHOWN]
    blocks = [{"type": "section", "text": _text(_fit(on_call_text(s)))} for s in shown]
    if len(statuses) > len(shown):
        more = len(statuses) - len(shown)
        blocks.append(
            {
                "type": "context",
                "elements": [_text(f"…and {more} more; ask `/incident oncall <rotation>`.")],
            }
        )
    text = "On call now: " + ", ".join(
        f"{md.escape(s.rotation)} {md.user(s.current.user)}" for s in shown
    )
    return _fit(text), blocks


def _members(members: Sequence[str]) -> str:
    named = ", ".join(md.user(m) for m in members[:10])
    return named + (f" and {len(members) - 10} more" if len(members) > 10 else "")


def _override_line(o: OverrideRecord, zone: ZoneInfo, at: datetime | None = None) -> str:
    line = (
        f"*#{o.id}* {_rotation(o.rotation)}: {md.user(o.user)} from "
        f"{_local_span(o.starts_at, o.ends_at, zone)}"
    )
    if at is not None and o.active(at):
        line += " · *active now*"
    return line + f" · set by {md.user(o.created_by)}"


def refusal(refused: Refused, config: Config) -> str:
    """Why an on-call request was refused, and what to do instead."""
    facts = refused.facts
    problem = refused.problem
    if problem == "unknown_rotation":
        names = facts.get("rotations") or []
        if not names:
            return "No rotations are configured: add them under `rotations:` in the config."
        listed = ", ".join(f"`{md.escape(n)}`" for n in names)
        return f"There is no rotation {_rotation(facts['name'] or '')}. Rotations: {listed}."
    if problem == "not_allowed":
        rotation = _rotation(facts["rotation"])
        members = facts.get("members") or []
        who = f"members of {rotation} ({_members(members)})" if members else "its members"
        return (
            f"Only {who} and Firebell admins may change the overrides of {rotation}. "
            "Nothing was changed."
        )
    if problem == "unknown_override":
        return f"There is no override #{facts['id']}. See `/incident override list`."
    if problem in ("already_removed", "already_over"):
        o, zone = facts["override"], facts["zone"]
        if problem == "already_removed":
            return (
                f"Override #{o.id} was already removed by {md.user(o.removed_by)} "
                f"on {md.local(o.removed_at, zone)}. Nothing was changed."
            )
        return (
            f"Override #{o.id} ended on {md.local(o.ends_at, zone)}; past overrides stay on "
            "record. Nothing was changed."
        )
    zone = facts.get("zone") or config.zone
    starts, ends = facts.get("starts_at"), facts.get("ends_at")
    if problem == "ends_before_start":
        if starts == ends:
            return (
                f"That override starts and ends at the same moment ({md.local(starts, zone)}; "
                "a local time skipped by a clock change counts as the end of the jump). "
                "Nothing was changed."
            )
        return (
            f"That override ends ({md.local(ends, zone)}) before it starts "
            f"({md.local(starts, zone)}). Nothing was changed."
        )
    if problem == "ends_in_past":
        return (
            f"That override would end on {md.local(ends, zone)}, which has already passed. "
            "Nothing was changed."
        )
    if problem == "too_long":
        limit = facts["limit"].days
        length = md.duration((ends - starts).total_seconds())
        return (
            f"That override would last {length}; the longest allowed is {limit} days. "
            "Set a shorter one, or change the rotation in the config. Nothing was changed."
        )
    if problem == "too_far":
        return (
            f"Overrides may start at most {facts['limit'].days} days from now. Nothing was changed."
        )
    if problem == "out_of_range":
        return "Those times are too far from now for an override. Nothing was changed."
    return "That cannot be done. Nothing was changed."


def override_added(added: Added) -> str:
    o, zone = added.override, added.zone
    line = (
        f":twisted_rightwards_arrows: Override *#{o.id}*: {md.user(o.user)} is on call for "
        f"{_rotation(o.rotation)} from {_local_span(o.starts_at, o.ends_at, zone)}"
    )
    if added.started_late:
        line += " (the start you gave has passed, so it starts now)"
    if added.replaces:
        line += ", instead of " + ", then ".join(md.user(u) for u in added.replaces[:5])
    lines = [line + "."]
    if added.handoffs:
        times = ", ".join(md.local(h, zone) for h in added.handoffs[:3])
        more = f" and {len(added.handoffs) - 3} more" if len(added.handoffs) > 3 else ""
        lines.append(f"It spans the scheduled handoff at {times}{more}.")
    if added.overlaps:
        named = "; ".join(_override_line(x, zone) for x in added.overlaps[:5])
        more = f" and {len(added.overlaps) - 5} more" if len(added.overlaps) > 5 else ""
        lines.append(
            f":warning: It overlaps {named}{more}. The newest override wins, so this one "
            "applies where they overlap."
        )
    lines.append(f"Undo with `/incident override remove {o.id}`.")
    return _fit("\n".join(lines))


def override_removed(removed: Removed) -> str:
    o, zone = removed.override, removed.zone
    line = (
        f"Removed override *#{o.id}* ({md.user(o.user)} on {_rotation(o.rotation)}, "
        f"{_local_span(o.starts_at, o.ends_at, zone)})."
    )
    if removed.was_active and removed.on_call_now:
        line += f" {md.user(removed.on_call_now)} is on call for {_rotation(o.rotation)} now."
    return line


def override_list(found: OverrideList, config: Config) -> tuple[str, list[dict]]:
    scope = f" for {_rotation(found.rotation)}" if found.rotation else ""
    if not found.overrides:
        text = f"No overrides active or coming up{scope}."
        return text, [{"type": "section", "text": _text(text)}]
    zones = {r.name: ZoneInfo(r.timezone or config.timezone) for r in config.rotations}
    lines = [
        "• " + _override_line(o, zones.get(o.rotation, config.zone), found.at)
        for o in found.overrides
    ]
    if found.total > len(found.overrides):
        lines.append(f"…and {found.total - len(found.overrides)} more.")
    heading = f"*Overrides active or coming up*{scope} ({found.total})"
    noun = "override" if found.total == 1 else "overrides"
    text = f"{found.total} {noun} active or coming up{scope}"
    return text, _sections(lines, heading)


def handover_answer(summaries: Sequence, config: Config) -> tuple[str, list[dict]]:
    """`/incident handover`: the handover of each rotation as it stands now."""
    if not summaries:
        text = (
            "No rotations are configured, so there is no handover; "
            "`/incident list` shows the open incidents."
        )
        return text, [{"type": "section", "text": _text(text)}]
    heads, out = [], []
    for summary in summaries[:ROTATIONS_SHOWN]:
        head, section = handover(summary, config)
        heads.append(head)
        if out:
            out.append({"type": "divider"})
        out += section
    return _fit("\n".join(heads)), out


def _my_shift_line(shift: Shift, at: datetime, zone: ZoneInfo) -> str:
    badge = " _(override)_" if shift.is_override else ""
    until = md.when(shift.ends_at, zone, _PRETTY)
    if shift.starts_at <= at:
        return f"• {_rotation(shift.rotation)}: on call *now*, until {until}{badge}"
    starts = md.when(shift.starts_at, zone, _PRETTY)
    return f"• {_rotation(shift.rotation)}: {starts} to {until}{badge}"


def _home_on_call(state: Home) -> list[dict]:
    blocks: list[dict[str, Any]] = [{"type": "header", "text": _plain("On call")}]
    if not state.rotations:
        blocks.append({"type": "section", "text": _text("_No rotations are configured._")})
        return blocks
    shown = state.rotations[:HOME_ROTATIONS]
    blocks += [{"type": "section", "text": _text(_fit(on_call_text(s)))} for s in shown]
    if len(state.rotations) > len(shown):
        more = len(state.rotations) - len(shown)
        blocks.append({"type": "context", "elements": [_text(f"…and {more} more rotations.")]})
    zones = {s.rotation: s.zone for s in state.rotations}
    blocks.append({"type": "header", "text": _plain("Your next shifts")})
    mine = state.mine[:MY_SHIFTS_SHOWN]
    if mine:
        lines = [_my_shift_line(s, state.at, zones.get(s.rotation, ZoneInfo("UTC"))) for s in mine]
        if len(state.mine) > len(mine):
            lines.append(f"…and {len(state.mine) - len(mine)} more.")
        blocks += _sections(lines)[:3]
    else:
        blocks.append(
            {"type": "section", "text": _text("_You have no shifts in the next 4 weeks._")}
        )
    blocks.append({"type": "divider"})
    return blocks


# -- alerts and maintenance -------------------------------------------------------------------

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
        parts.append(md.escape(summary if len(summary) <= 100 else summary[:99] + "…"))
    if change.get("values"):
        parts.append(md.escape(change["values"][:80]))
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


def _alerts_headline(events: Sequence[EventRecord]) -> str:
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
    lines = [_alerts_headline(events), *listed]
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
    return "\n".join(lines)


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
    return _fit(text, 3000), _sections(paragraphs)[:40]


def maintenance_post(payload: dict[str, Any], config: Config) -> str:
    """The start or the end of a maintenance window, in the incident channel."""
    scope = f"*{md.escape(payload['service'])}*" if payload.get("service") else "every service"
    number = f" #{payload['id']}" if payload.get("id") is not None else ""
    if payload.get("phase") == "end":
        line = f":white_check_mark: Maintenance{number} of {scope} is over"
        if payload.get("ended_by"):
            line += f", ended early by {md.user(payload['ended_by'])}"
        return line + ". Its alerts open incidents and page again."
    until = md.local(datetime.fromisoformat(payload["ends_at"]), config.zone)
    line = f":wrench: Maintenance{number} of {scope} until {until}"
    if payload.get("by"):
        line += f", set by {md.user(payload['by'])}"
    line += ". Its alerts are posted here quietly, page nobody and open no incident."
    if payload.get("reason"):
        line += f" Reason: {md.escape(payload['reason'])}"
    return line


def _window_line(window: Maintenance, at: datetime, config: Config) -> str:
    scope = f"*{md.escape(window.service)}*" if window.service else "every service"
    name = f"#{window.id}" if window.id is not None else "config"
    if window.starts_at <= at:
        span = f"now until {md.local(window.ends_at, config.zone)}"
    else:
        span = f"from {_wall(window.starts_at, config.zone)} to {md.local(window.ends_at, config.zone)}"
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
    return _fit(line)


def maintenance_ended(ended: Ended, config: Config) -> str:
    window = ended.window
    scope = f"*{md.escape(window.service)}*" if window.service else "every service"
    return f"Ended maintenance #{window.id} of {scope}: its alerts open incidents again."


def maintenance_list(listed: Listed, config: Config) -> tuple[str, list[dict]]:
    if not listed.windows:
        text = "No maintenance running or coming up in the next 7 days."
        return text, [{"type": "section", "text": _text(text)}]
    lines = [_window_line(w, listed.at, config) for w in listed.windows[:50]]
    text = f"{len(listed.windows)} maintenance windows running or coming up"
    return text, _sections(lines, "*Maintenance, now and in the next 7 days*")


# -- keeping everyone informed: reminders, broadcasts, digests, reports -----------------------

SNOOZE, POSTMORTEM = "reminder_snooze", "incident_postmortem"
REPLY_ACTIONS = (SNOOZE, POSTMORTEM)  # buttons on thread replies (reminders, resolution)
TIMELINE_SHORTCUT = "add_to_timeline"  # the message shortcut (manifest.yml)
LATE = timedelta(minutes=1)  # a reply sent later than this after its change says when
DIGEST_SHOWN = 15


def _mention(user: str | None) -> str:
    return f"{md.user(user)} " if user else ""


def _author(author: str | None) -> str:
    if author and author[:1] in ("U", "W"):
        return md.user(author)
    return "an app" if author else "someone"


def informed_reply(event: EventRecord, incident: IncidentRecord, config: Config) -> str | None:
    """Thread replies of reminders, snoozes and timeline notes (None for other kinds)."""
    kind, data = event.kind, event.data
    if kind == "reminder":
        since = datetime.fromisoformat(data["since"])
        silent = md.duration((event.at - since).total_seconds())
        every = md.duration(data.get("every", 0))
        return (
            f":alarm_clock: {_mention(data.get('mention'))}No status update on {incident.ref} "
            f"for {silent} ({md.escape(incident.severity)} expects one every {every}). "
            "Post one so everyone knows where things stand."
        )
    if kind == "eta_passed":
        eta = md.when(datetime.fromisoformat(data["eta"]), config.zone)
        return (
            f":hourglass: {_mention(data.get('mention'))}The ETA of {incident.ref} ({eta}) has "
            "passed and it is not resolved. Post an update with a new ETA, or resolve it."
        )
    if kind == "snoozed":
        until = md.when(datetime.fromisoformat(data["until"]), config.zone)
        return f":zzz: {md.user(event.actor)} snoozed update reminders for {incident.ref} until {until}."
    if kind == "note":
        excerpt = " ".join(event.text.split())
        excerpt = excerpt if len(excerpt) <= 120 else excerpt[:119] + "…"
        return (
            f":pushpin: {md.user(event.actor)} added a message from {_author(data.get('author'))} "
            f"to the timeline of {incident.ref}: “{md.escape(excerpt)}”"
        )
    return None


def thread_reply(
    event: EventRecord, incident: IncidentRecord, config: Config, now: datetime
) -> tuple[str, list[dict[str, Any]] | None]:
    """A change's thread reply as sent: its text (saying when, if it goes out late) and, for
    reminders and the resolution, the buttons that go with it."""
    text = reply(event, incident, config)
    if event.kind == "update" and event.data.get("share"):
        text += " _(shared with stakeholders)_"
    if now - event.at > LATE:
        text += f" _({md.when(event.at, config.zone, '{date_short_pretty} {time}')})_"
    value = str(incident.id)
    if event.kind in ("reminder", "eta_passed") and incident.is_open:
        buttons = [
            _button("Post update", UPDATE, value, "primary"),
            _button("Snooze 30m", SNOOZE, value),
        ]
    elif event.kind == "resolved":
        buttons = [_button("Draft postmortem", POSTMORTEM, value)]
    else:
        return text, None
    return text, [
        {"type": "section", "text": _text(_fit(text))},
        {"type": "actions", "block_id": f"reply:{incident.id}", "elements": buttons},
    ]


def _impact(incident: IncidentRecord, config: Config) -> str:
    try:
        description = config.severity(incident.severity).description
    except KeyError:
        description = ""
    name = md.escape(incident.severity)
    return f"{md.plain(description)} ({name})" if description else name


def _stage(incident: IncidentRecord) -> str:
    if incident.status == "resolved" and incident.resolved_at:
        lasted = md.duration((incident.resolved_at - incident.declared_at).total_seconds())
        return f"Resolved after {lasted}"
    if incident.status == "acknowledged":
        return "Being worked on"
    return "Investigating"


def _eta(incident: IncidentRecord, config: Config, at: datetime) -> str | None:
    if not incident.is_open:
        return None
    if incident.eta_at is None:
        return "not known yet"
    if incident.eta_at < at:
        return "passed; a new estimate will follow"
    return md.when(incident.eta_at, config.zone, "{date_short_pretty} {time}")


def _facts(incident: IncidentRecord, config: Config, at: datetime) -> list[str]:
    tenants = md.plain(", ".join(incident.tenants)) or "not known yet"
    lines = [
        f"*Impact:* {_impact(incident, config)}",
        f"*Affected customers:* {tenants}",
    ]
    if incident.service:
        lines.append(f"*Service:* {md.plain(incident.service)}")
    lines.append(f"*Status:* {_stage(incident)}")
    eta = _eta(incident, config, at)
    if eta:
        lines.append(f"*Expected fix (ETA):* {eta}")
    lines.append(f"*Reference:* {incident.ref}")
    return lines


def _plain_title(incident: IncidentRecord) -> str:
    return " ".join(md.plain(incident.title).split()) or incident.ref


def _severity_rank(config: Config, name: str | None) -> int:
    names = [s.upper() for s in config.severity_names]
    return names.index(name.upper()) if name and name.upper() in names else len(names)


def broadcast(
    event: EventRecord, incident: IncidentRecord, config: Config, permalink: str | None
) -> tuple[str, list[dict[str, Any]]]:
    """A stakeholder summary: plain language, no mentions, the thread the only link."""
    title = _plain_title(incident)
    kind, data = event.kind, event.data
    body = ""
    if kind == "declared":
        head = f":rotating_light: *We are investigating an incident: {title}*"
    elif kind == "severity":
        worse = _severity_rank(config, data.get("to")) < _severity_rank(config, data.get("from"))
        change = "more severe" if worse else "less severe"
        head = f":warning: *The incident “{title}” is now {change}: {md.escape(data.get('to'))}*"
    elif kind == "update":
        head = f":memo: *Update on the incident: {title}*"
        body = md.plain(event.text)
    elif kind == "resolved":
        head = f":white_check_mark: *Resolved: {title}*"
        body = md.plain(event.text)
    elif kind == "reopened":
        head = f":leftwards_arrow_with_hook: *The incident “{title}” is under investigation again*"
    else:
        head = f"*Incident: {title}*"
    parts = [head]
    if body:
        parts.append(body)
    parts.append("\n".join(_facts(incident, config, event.at)))
    if permalink:
        parts.append(md.link(permalink, "Follow the incident thread"))
    text = _fit("\n\n".join(parts))
    return head, [{"type": "section", "text": _text(text)}]


def digest(
    incidents: Sequence[IncidentRecord],
    total: int,
    config: Config,
    at: datetime,
    permalinks: dict[int, str],
) -> tuple[str, list[dict[str, Any]]]:
    """The periodic summary of every open incident, for stakeholders."""
    noun = "incident" if total == 1 else "incidents"
    head = f":clipboard: *{total} open {noun}* as of {md.when(at, config.zone)}"
    lines = []
    for incident in incidents[:DIGEST_SHOWN]:
        tenants = md.plain(", ".join(incident.tenants)) or "affected customers not known yet"
        line = (
            f"• *{_plain_title(incident)}* · {_impact(incident, config)} · {_stage(incident)} "
            f"since {md.when(incident.declared_at, config.zone, '{date_short_pretty} {time}')}"
            f" · {tenants}"
        )
        eta = _eta(incident, config, at)
        if eta:
            line += f" · ETA {eta}"
        line += f" · {incident.ref}"
        if incident.id in permalinks:
            line += f" · {md.link(permalinks[incident.id], 'thread')}"
        lines.append(line)
    if total > len(lines):
        lines.append(f"…and {total - len(lines)} more.")
    return head, _sections(lines, head)


def _share(row) -> str:
    if row.share_met is None:
        return "–"
    return f"{round(row.share_met * 100)}% ({row.met}/{row.judged})"


def report(
    figures: Report, config: Config, heading: str = "Incident report"
) -> tuple[str, list[dict]]:
    """A period's figures (a `bot.core.metrics.Report`), for `/incident report` and weekly."""
    zone = config.zone
    days = round((figures.end - figures.start).total_seconds() / 86400)
    period = f"{_wall(figures.start, zone)} – {_wall(figures.end, zone)}, {zone.key}"
    total = figures.total
    head = f":bar_chart: *{heading}: the last {days} days* ({period})"
    if not total.declared:
        text = f"{head}\nNo incidents were declared in this period."
        return text, [{"type": "section", "text": _text(text)}]
    summary = (
        f"*{total.declared}* declared · *{total.still_open}* still open · acknowledged within "
        f"target: *{_share(total)}* · MTTA median {span(total.acknowledge.median)} · "
        f"MTTR median {span(total.resolve.median)}"
    )
    header = (
        "Severity",
        "Count",
        "Open",
        "MTTA p50",
        "MTTA p90",
        "MTTR p50",
        "MTTR p90",
        "In target",
    )
    rows = [header]
    for row in [*figures.rows, total]:
        rows.append(
            (
                row.severity[:10],
                str(row.declared),
                str(row.still_open),
                span(row.acknowledge.median),
                span(row.acknowledge.p90),
                span(row.resolve.median),
                span(row.resolve.p90),
                _share(row),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    table = "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    )
    blocks_out: list[dict[str, Any]] = [
        {"type": "section", "text": _text(f"{head}\n{summary}")},
        {"type": "section", "text": _text(f"```\n{table}\n```")},
    ]
    lines = []
    if figures.longest:
        lines.append("*Longest*")
        for item in figures.longest:
            still = " (still open)" if item.still_open else ""
            lines.append(
                f"• *{ref(item.number)}* [{md.escape(item.severity)}] "
                f"{md.escape(item.title)} · {span(item.seconds)}{still}"
            )
    if figures.services:
        busiest = ", ".join(f"{md.escape(name)} ({n})" for name, n in figures.services)
        lines.append(f"*Busiest services:* {busiest}")
    if figures.tenants:
        affected = ", ".join(f"{md.escape(name)} ({n})" for name, n in figures.tenants)
        lines.append(f"*Most affected tenants:* {affected}")
    if lines:
        blocks_out += _sections(lines)
    blocks_out.append(
        {
            "type": "context",
            "elements": [
                _text(
                    "MTTA counts from declaration (or from when coverage resumed); MTTR from "
                    "declaration to resolution. In target: first response within the "
                    "severity's `ack_within`."
                )
            ],
        }
    )
    return f"{heading}: {total.declared} incidents in the last {days} days", blocks_out


def postmortem_answer(incident: IncidentRecord, link: str | None) -> str:
    """The private answer to whoever asked for a postmortem draft."""
    text = f"The postmortem draft of {incident.ref} is going up in its thread as a Markdown file."
    if link:
        text += (
            f" It is also at {md.link(link, f'{incident.ref}-postmortem.md')}, always "
            "current; the link is private (anyone who has it can read the draft)."
        )
    return text
