"""The answers to `/incident` commands about incidents themselves (list, show, audit, help,
usage, postmortem), seen only by whoever asked."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.config import Config
from bot.core.commands import USAGE
from bot.services.audit_trail import Trail
from bot.services.models import EventRecord, IncidentRecord
from bot.slack import mrkdwn as md
from bot.slack.blocks import kit
from bot.slack.blocks.card import STATUS_ICON, card, reply


def incident_line(incident: IncidentRecord, config: Config) -> str:
    icon = STATUS_ICON.get(incident.status, "")
    if incident.hidden:
        return f"{icon} *{incident.ref}* (private)"
    return (
        f"{icon} *{incident.ref}* [{md.escape(incident.severity)}] "
        f"{md.escape(incident.title)} · {incident.status} · declared "
        f"{md.when(incident.declared_at, config.zone, '{date_short_pretty} {time}')}"
    )


def open_list(incidents: list[IncidentRecord], total: int, config: Config) -> list[dict]:
    if not incidents:
        return [{"type": "section", "text": kit.text(":sunny: No open incidents.")}]
    lines = [incident_line(i, config) for i in incidents]
    if total > len(incidents):
        lines.append(f"…and {total - len(incidents)} more.")
    # one section unless over Slack's 3,000 characters; the answer and Home take 50 blocks
    return kit.capped(kit.sections(lines, f"*{total} open*"), kit.MESSAGE_BLOCKS)


def show(incident: IncidentRecord, events: list[EventRecord], config: Config) -> list[dict]:
    blocks = card(incident, config)[:-2]  # the card without its buttons
    whole = kit.postmortem(incident.ref)
    if events:
        lines = [
            f"{md.when(e.at, config.zone, '{date_short} {time}')} {reply(e, incident, config)}"
            for e in events
        ]
        blocks += kit.sections(lines, "*Timeline*", where=whole)
    return kit.capped(blocks, kit.MESSAGE_BLOCKS, whole)


def audit_trail(trail: Trail, config: Config) -> dict[str, Any]:
    """An incident's audit record, newest last; the answer names the export for the rest."""
    ref = trail.incident.ref
    lines = [_audit_line(row, config) for row in trail.rows]
    head = f"*Audit record of {ref}* · {trail.total} entries"
    if trail.total > len(trail.rows):
        head += f" (the newest {len(trail.rows)}; `firebell audit export` has them all)"
    text = f"Audit record of {ref}: {trail.total} entries"
    return {"text": text, "blocks": kit.capped(kit.sections(lines, head), kit.MESSAGE_BLOCKS)}


def _audit_line(row: dict[str, Any], config: Config) -> str:
    at = datetime.fromisoformat(row["at"].replace("Z", "+00:00"))
    actor = row["actor"]
    who = md.user(actor) if actor[:1] in ("U", "W") and actor.isalnum() else md.escape(actor)
    line = f"{md.when(at, config.zone, '{date_short} {time}')} {who} *{md.escape(row['action'])}*"
    line += f" ({md.escape(row['source'])})"
    if row["outcome"] != "done":
        line += f" · _{md.escape(row['outcome'])}_"
    before, after = row["before"] or {}, row["after"] or {}
    changed = [
        f"{k}: {_value(before[k])} → {_value(v)}"
        for k, v in after.items()
        if k in before and before[k] != v
    ]
    if changed:
        line += " · " + md.escape(kit.excerpt("; ".join(changed), 200))
    return line


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


# what each command is for, one line each, in `/incident help` (a test keeps it to `USAGE`)
ABOUT = {
    "declare": "open an incident: its card and thread go up, whoever is on call is paged "
    "(`/incident` alone opens a form)",
    "ack": "take it: you are on it, and escalation stops",
    "update": "post a status update to its thread, with an expected fix time if known",
    "sev": "change its severity",
    "escalate": "page the next level of the escalation chain now",
    "resolve": "mark it resolved; the summary goes on the card and to stakeholders",
    "reopen": "open a resolved incident again; level 1 is paged again",
    "assign": "make someone its incident commander or comms lead",
    "transfer": "hand an open incident to another team, whose chain then pages",
    "list": "the open incidents (of one team)",
    "show": "one incident with its recent timeline",
    "audit": "every change to an incident and every refusal: who, from where, what changed",
    "oncall": "who is on call now and next, and whether a response is guaranteed now",
    "override": "put someone on call in a rotation's place for a while; list or remove them",
    "handover": "the shift handover as it stands: who is on call, open incidents, overrides",
    "report": "response times and counts over a period, against the targets, with a chart",
    "postmortem": "a postmortem draft in Markdown, uploaded into the incident's thread",
    "maintenance": "quiet a service's alerts for a while (no pages); list or end windows",
    "heartbeats": "each heartbeat monitor and its state",
    "help": "this list",
}


def help_text() -> str:
    """Each command's syntax and, on its first line, what it is for."""
    lines = []
    for verb, usage in USAGE.items():
        first, *more = usage.splitlines()
        lines.append(f"`{md.escape(first)}` · {ABOUT[verb]}")
        lines += [f"`{md.escape(u)}`" for u in more]
    return "*Firebell* commands:\n" + "\n".join(lines)


def usage_answer(message: str, usage: str) -> str:
    lines = "\n".join(f"`{md.escape(u)}`" for u in usage.splitlines())
    return kit.message_text(f"{md.escape(message)}\nUsage:\n{lines}")


def postmortem_answer(incident: IncidentRecord, link: str | None) -> str:
    """The private answer to whoever asked for a postmortem draft."""
    text = f"The postmortem draft of {incident.ref} is going up in its thread as a Markdown file."
    if link and not incident.private:  # a private incident's draft stays in its thread
        text += (
            f" It is also at {md.link(link, f'{incident.ref}-postmortem.md')}, always "
            "current; the link is private (anyone who has it can read the draft)."
        )
    return text


def postmortem_needs_invite(incident: IncidentRecord) -> str:
    """Why the postmortem draft did not go up: the bot is not in the private channel."""
    return (
        f":lock: The postmortem draft of {incident.ref} cannot go up in <#{incident.channel_id}>: "
        "Firebell is not a member of that private channel. Invite it with `/invite @Firebell` "
        f"there, then ask again with `/incident postmortem {incident.ref}`."
    )
