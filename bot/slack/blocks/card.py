"""What responders see of one incident: its card (re-rendered from current state on every
change) and the thread reply each change gets (the pages by DM are `pages`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.config import Config
from bot.core.paging import medium_name, receipt_words
from bot.services.alerts import AlertCard
from bot.services.models import EventRecord, IncidentRecord
from bot.slack import mrkdwn as md
from bot.slack.blocks import kit
from bot.slack.blocks.alerts import alert_card_text, alerts_headline
from bot.slack.ids import Action, Block

STATUS_ICON = {
    "declared": ":red_circle:",
    "acknowledged": ":large_yellow_circle:",
    "resolved": ":white_check_mark:",
}
LATE = timedelta(minutes=1)  # a reply sent later than this after its change says when


def card_text(incident: IncidentRecord) -> str:
    """Notification fallback: what a phone shows; escaped like everything else."""
    return kit.message_text(
        f"{incident.ref} [{incident.severity}] {incident.status}: {md.escape(incident.title)}"
    )


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
    if runbook := config.runbook(incident.service):
        service += " · " + md.link(runbook, "runbook")
    service_field = f"*Service*\n{service}"
    if config.teams:  # with teams, the card says whose it is
        service_field = f"*Team · service*\n{md.escape(incident.owner)} · {service}"
    fields = [
        f"*Incident*\n{incident.ref}",
        f"*Severity*\n{md.escape(incident.severity)}",
        f"*Status*\n{status_line(incident, config)}",
        f"*Declared by*\n{md.user(incident.declared_by)} {md.when(incident.declared_at, zone)}",
        f"*Commander*\n{md.user(incident.commander)}",
        f"*Comms*\n{md.user(incident.comms_lead)}",
        service_field,
        f"*Tenants*\n{md.escape(', '.join(incident.tenants)) or '_none given_'}",
        f"*Response*\n{response_line(incident, config)}",
        f"*Escalation*\nlevel {incident.escalation_level + 1} of {policy.steps}",
    ]
    whole = kit.postmortem(incident.ref)
    head = f"{incident.ref} · {incident.title}"
    blocks: list[dict[str, Any]] = [kit.header(head)]
    if len(head) > kit.HEADER_TEXT:  # the header shows part of the title: here is all of it
        blocks.append(kit.section(f"*Title:* {md.escape(incident.title)}", whole))
    blocks.append(kit.fields(fields, whole))
    if incident.description:
        blocks.append(kit.section(md.escape(incident.description), whole))
    if alert is not None:
        blocks.append(kit.section(alert_card_text(alert), kit.show(incident.ref)))
    context = []
    if incident.eta_at and incident.is_open:
        context.append(f":hourglass: ETA {md.when(incident.eta_at, zone)}")
    if incident.last_update_at:
        context.append(f"Last update {md.when(incident.last_update_at, zone)}")
    if incident.summary:
        context.append(f"Summary: {md.escape(incident.summary)}")
    if context:
        blocks.append(kit.context(" · ".join(context), where=whole))
    blocks.append({"type": "divider"})
    blocks.append(
        {
            "type": "actions",
            "block_id": Block.CARD_ACTIONS.of(incident.id),
            "elements": _actions(incident, config, value),
        }
    )
    return blocks


def _actions(incident: IncidentRecord, config: Config, value: str) -> list[dict[str, Any]]:
    if not incident.is_open:
        return [kit.button("Reopen", Action.REOPEN, value)]
    elements = []
    if incident.status == "declared":
        elements.append(kit.button("Acknowledge", Action.ACK, value, "primary"))
    elements += [
        kit.button("Escalate", Action.ESCALATE, value),
        kit.button("Post update", Action.UPDATE, value),
        kit.button("Resolve", Action.RESOLVE, value, "danger"),  # opens the resolve form
    ]
    options = kit.options([(s.name, f"{incident.id}:{s.name}") for s in config.severities])
    select = {
        "type": "static_select",
        "action_id": Action.SEVERITY,
        "placeholder": kit.plain("Severity"),
        "options": options,
    }
    current = [o for o in options if o["value"].endswith(f":{incident.severity}")]
    if current:
        select["initial_option"] = current[0]
    elements.append(select)
    return elements


def handed_over(incident: IncidentRecord, link: str | None) -> str:
    """The line a team's channel gets when an incident is handed to it."""
    where = md.link(link, "its thread") if link else f"<#{incident.channel_id}>"
    return kit.message_text(
        f":arrow_right: {incident.ref} ({md.escape(incident.severity)}) "
        f"{md.escape(incident.title)} is now {md.escape(incident.owner)}'s: follow {where}."
    )


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
        return line + unreached(data)
    if kind == "page_sent":
        via, sent = medium_name(data.get("via")), md.when(event.at, config.zone)
        by = f" via {md.escape(data['provider'])}" if data.get("provider") else ""
        return (
            f":outbox_tray: {md.escape(via)} page to {md.user(data.get('user'))} sent{by} {sent}."
        )
    if kind == "page_receipt":
        via = medium_name(data.get("via"))
        said = md.escape(receipt_words(data))
        return f":incoming_envelope: {md.escape(via)} page to {md.user(data.get('user'))}: {said}."
    if kind == "paged":
        return (
            f":bell: Coverage has resumed: paging level 1 for {incident.ref}: "
            f"{md.targets(data.get('targets', []), on_call)}.{unreached(data)}"
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
            f"{md.targets(data.get('targets', []), on_call)}.{unreached(data)}"
        )
        return line + (f" Reason: {text}" if text else "")
    if kind == "transferred":
        return (
            f":arrow_right: {who} handed {incident.ref} from {md.escape(data['from'])} to "
            f"{md.escape(data['to'])}. Paging its level 1: "
            f"{md.targets(data.get('targets', []), on_call)}.{unreached(data)}"
        )
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
        return line + unreached(data) + (f" Reason: {text}" if text else "")
    if kind == "assigned":
        return f":bust_in_silhouette: {who} made {md.user(data['user'])} {data['role']} of {incident.ref}."
    if kind == "alerts":
        return alerts_headline([event])
    informed = informed_reply(event, incident, config)  # reminders, snoozes, notes
    if informed is not None:
        return informed
    return f"{who}: {kind} {text}".strip()


def unreached(data: dict) -> str:
    """Whom the page named by an e-mail address no Slack user is known by (not in the
    workspace, or not looked up yet): paged outside Slack only, by the media their `people:`
    entry gives, or named and not paged at all; the thread must not read as if a Slack
    message had reached them."""
    return "".join(
        f" {said}: {', '.join(md.escape(m) for m in data[key])}."
        for key, said in _NOT_IN_SLACK
        if data.get(key)
    )


_NOT_IN_SLACK = (  # the event's key -> what the thread says of those it lists
    ("outside_slack", ":iphone: No Slack user has this address, paged outside Slack only"),
    ("unreached", ":warning: Not paged, no Slack user has this address"),
)


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
    if kind == "heartbeat_back":
        beat = md.escape(data.get("heartbeat", ""))
        return f":green_heart: Heartbeat `{beat}` is back ({md.when(event.at, config.zone)})."
    if kind == "note":
        excerpt = kit.excerpt(" ".join(event.text.split()), 120)
        return (
            f":pushpin: {md.user(event.actor)} added a message from {_author(data.get('author'))} "
            f"to the timeline of {incident.ref}: “{md.escape(excerpt)}”"
        )
    return None


def _mention(user: str | None) -> str:
    return f"{md.user(user)} " if user else ""


def _author(author: str | None) -> str:
    if author and author[:1] in ("U", "W"):
        return md.user(author)
    return "an app" if author else "someone"


def thread_reply(
    event: EventRecord, incident: IncidentRecord, config: Config, now: datetime
) -> tuple[str, list[dict[str, Any]] | None]:
    """A change's thread reply as sent: its text (saying when, if it goes out late) and, for
    reminders and the resolution, the buttons that go with it."""
    tail = ""
    if event.kind == "update" and event.data.get("share"):
        tail += " _(shared with stakeholders)_"
    if now - event.at > LATE:
        tail += f" _({md.when(event.at, config.zone, '{date_short_pretty} {time}')})_"
    room = kit.MESSAGE_TEXT - len(tail)
    text = kit.fit(reply(event, incident, config), room, kit.show(incident.ref)) + tail
    value = str(incident.id)
    if event.kind in ("reminder", "eta_passed") and incident.is_open:
        buttons = [
            kit.button("Post update", Action.UPDATE, value, "primary"),
            kit.button("Snooze 30m", Action.SNOOZE, value),
        ]
    elif event.kind == "resolved":
        buttons = [kit.button("Draft postmortem", Action.POSTMORTEM, value)]
    else:
        return text, None
    return text, [
        kit.section(text, kit.show(incident.ref)),
        {"type": "actions", "block_id": Block.REPLY.of(incident.id), "elements": buttons},
    ]
