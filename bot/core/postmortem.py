"""The postmortem draft: Markdown built from an incident and its timeline. Pure.

People show as `@U0ALICE` (a Markdown file has no Slack mentions), times in the config's
zone, durations as `1h 30m`. User text is kept as written, except that table cells lose
line breaks and pipes are escaped so a cell cannot break its table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.alert_sources import actor_name
from bot.core.incident import SYSTEM_ACTOR, ref
from bot.core.metrics import Response, response, span
from bot.core.paging import medium_name, receipt_words

HIDDEN = frozenset({"reminder", "snoozed"})  # process noise, not part of the story
TO_WRITE = "_To be written._"


@dataclass(frozen=True)
class Subject:
    """The incident as the draft shows it (current state)."""

    number: int
    title: str
    severity: str
    severity_description: str
    status: str
    service: str | None
    tenants: tuple[str, ...]
    declared_by: str
    commander: str | None
    comms_lead: str | None
    summary: str | None
    description: str | None
    ack_within: timedelta | None  # the severity's response target
    update_every: timedelta | None


def who(actor: str | None) -> str:
    if not actor:
        return "nobody"
    if actor == SYSTEM_ACTOR:
        return "Firebell"
    if source := actor_name(actor):
        return source
    return actor if "@" in actor else f"@{actor}"


def _target(text: str, on_call: dict[str, str]) -> str:
    kind, _, value = str(text).partition(":")
    if kind == "rotation":
        person = on_call.get(value)
        return f"rotation {value} ({who(person)})" if person else f"rotation {value}"
    if kind == "group":
        return f"group {value}"
    if kind in ("user", "email"):
        return who(value)
    return str(text)


def _targets(values: Sequence[str], on_call: dict[str, str]) -> str:
    return ", ".join(_target(v, on_call) for v in values) or "nobody configured"


_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def unslack(text: str | None) -> str:
    """Slack markup read as words: `<@U1|ann>` -> `@ann`, `<@U1>` -> `@U1`, `<!here>` ->
    `@here`, `<https://x|docs>` -> `docs (https://x)`; Slack's escapes undone."""

    def unwrap(match: re.Match) -> str:
        target, label = match.group(1), (match.group(2) or "").strip()
        if target.startswith(("@", "#")):
            return target[0] + label.lstrip("@#") if label else target
        if target.startswith("!subteam"):
            return "@" + label.lstrip("@") if label else "a team"
        if target.startswith("!date"):
            return label
        if target.startswith("!"):
            return "@" + target[1:]
        return f"{label} ({target})" if label and label != target else target

    unwrapped = _MARKUP.sub(unwrap, text or "")
    return unwrapped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def cell(text: str | None) -> str:
    """User text fit for one Markdown table cell."""
    return " ".join(unslack(text).split()).replace("|", "\\|")


def _local(at: datetime | None, zone: ZoneInfo, with_date: bool = True) -> str:
    if at is None:
        return "–"
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


def describe(event, zone: ZoneInfo) -> str:
    """One timeline entry in words (Markdown, one line)."""
    data, text = event.data, cell(event.text)
    on_call = data.get("on_call") or {}
    kind = event.kind
    if kind == "declared":
        line = "Declared"
        if data.get("waiting_until"):
            resumes = datetime.fromisoformat(data["waiting_until"])
            return (
                f"{line}; no guaranteed response until {_local(resumes, zone)}: level 1 "
                f"({_targets(data.get('targets', []), on_call)}) to be paged then"
            )
        line += f"; paged level 1: {_targets(data.get('targets', []), on_call)}"
        if data.get("page"):
            line += f"; pulled in: {_targets(data['page'], on_call)}"
        return line
    if kind == "paged":
        return f"Coverage resumed; paged level 1: {_targets(data.get('targets', []), on_call)}"
    if kind == "acknowledged":
        return "Acknowledged"
    if kind == "escalated":
        line = f"Escalated to level {data.get('level', 0) + 1}: "
        line += _targets(data.get("targets", []), on_call)
        return line + (f" ({text})" if text else "")
    if kind == "exhausted":
        return f"Nobody acknowledged after all {data.get('steps', '?')} escalation levels"
    if kind == "severity":
        return f"Severity changed from {cell(data.get('from'))} to {cell(data.get('to'))}"
    if kind == "assigned":
        return f"Made {who(data.get('user'))} {data.get('role', 'responder')}"
    if kind == "update":
        line = f"Update: {text}"
        if data.get("eta"):
            line += f" (ETA {_local(datetime.fromisoformat(data['eta']), zone)})"
        if data.get("share"):
            line += " (shared with stakeholders)"
        return line
    if kind == "resolved":
        return "Resolved" + (f": {text}" if text else "")
    if kind == "reopened":
        return "Reopened" + (f": {text}" if text else "")
    if kind == "eta_passed":
        eta = data.get("eta")
        shown = _local(datetime.fromisoformat(eta), zone) if eta else "?"
        return f"The ETA ({shown}) passed without resolution"
    if kind == "note":
        author = who(data.get("author")) if data.get("author") else "someone"
        return f"From the thread, {author}: {text}"
    if kind == "heartbeat_back":
        return f"Heartbeat {data.get('heartbeat')} is back"
    if kind == "page_sent":
        return f"{medium_name(data.get('via'))} page to {who(data.get('user'))} sent"
    if kind == "page_receipt":
        via = medium_name(data.get("via"))
        return f"{via} page to {who(data.get('user'))}: {receipt_words(data)}"
    return f"{kind}" + (f": {text}" if text else "")


def _when(event) -> datetime:
    """A note added from the thread belongs where the message was posted."""
    posted = event.data.get("posted_at") if event.kind == "note" else None
    return datetime.fromisoformat(posted) if posted else event.at


def _verdict(seconds: float | None, target: timedelta | None) -> str:
    if seconds is None:
        return ""
    if target is None:
        return ""
    met = seconds <= target.total_seconds()
    return f" (target {span(target.total_seconds())}: {'met' if met else 'missed'})"


def _response_lines(
    subject: Subject, figures: Response, zone: ZoneInfo, generated_at: datetime
) -> list[str]:
    tta = figures.time_to_acknowledge
    ack = (
        f"{span(tta)}{_verdict(tta, subject.ack_within)}, by {who(figures.acknowledged_by)}"
        if tta is not None
        else "not acknowledged"
    )
    if (
        figures.response_from
        and figures.declared_at
        and figures.response_from > figures.declared_at
    ):
        ack += f"; counted from {_local(figures.response_from, zone)}, when coverage resumed"
    ttr = figures.time_to_resolve
    resolved = span(ttr) if ttr is not None else "not resolved yet"
    lines = [
        f"- Time to acknowledge: {ack}",
        f"- Time to resolve: {resolved}",
    ]
    if figures.escalations:
        lines.append(f"- Escalations: {len(figures.escalations)}")
        for event in figures.escalations:
            by = who(event.actor)
            lines.append(f"  - {_local(event.at, zone)}, by {by}: {describe(event, zone)}")
    else:
        lines.append("- Escalations: none")
    silence = ""
    if figures.longest_silence is not None:
        silence = f"; longest without one: {span(figures.longest_silence)}"
        if subject.update_every is not None:
            kept = figures.longest_silence <= subject.update_every.total_seconds()
            silence += (
                f" (expected every {span(subject.update_every.total_seconds())}: "
                f"{'kept' if kept else 'not kept'})"
            )
    lines.append(f"- Status updates: {figures.updates}{silence}")
    if figures.eta_missed:
        lines.append(f"- ETAs missed: {figures.eta_missed}")
    return lines


def markdown(subject: Subject, events: Sequence, zone: ZoneInfo, generated_at: datetime) -> str:
    """The draft: summary, impact, response against targets, timeline, and the headings the
    team fills in. `events` are the incident's timeline, oldest first."""
    figures = response(events, generated_at)
    title = " ".join(unslack(subject.title).split())
    out = [
        f"# Postmortem: {ref(subject.number)} · {title}",
        "",
        f"_Draft generated by Firebell on {_local(generated_at, zone)} ({zone.key}) from the "
        "incident's timeline. Edit it before sharing._",
        "",
        "## Summary",
        "",
        unslack(subject.summary).strip() or TO_WRITE,
    ]
    if subject.description and subject.description.strip():
        out += ["", f"Declared as: {unslack(subject.description).strip()}"]
    severity = subject.severity
    if subject.severity_description:
        severity += f" ({subject.severity_description})"
    duration = (
        span(figures.time_to_resolve)
        if figures.time_to_resolve is not None
        else f"{span((generated_at - figures.declared_at).total_seconds())} so far, still open"
        if figures.declared_at
        else "–"
    )
    out += [
        "",
        "## Impact",
        "",
        "| | |",
        "|---|---|",
        f"| Severity | {cell(severity)} |",
        f"| Status | {subject.status} |",
        f"| Service | {cell(subject.service) or '–'} |",
        f"| Tenants affected | {cell(', '.join(subject.tenants)) or 'none given'} |",
        f"| Declared | {_local(figures.declared_at, zone)} by {who(subject.declared_by)} |",
        f"| Resolved | {_local(figures.resolved_at, zone)} |",
        f"| Duration | {duration} |",
        f"| Commander | {who(subject.commander)} |",
        f"| Comms lead | {who(subject.comms_lead)} |",
        "",
        "## Response against targets",
        "",
        *_response_lines(subject, figures, zone, generated_at),
        "",
        f"## Timeline ({zone.key})",
        "",
        "| Time | Who | What |",
        "|---|---|---|",
    ]
    shown = sorted(
        ((i, e) for i, e in enumerate(events) if e.kind not in HIDDEN),
        key=lambda pair: (_when(pair[1]), pair[0]),
    )
    for _, event in shown:
        out.append(
            f"| {_local(_when(event), zone)} | {who(event.actor)} | {describe(event, zone)} |"
        )
    out += [
        "",
        "## Root cause",
        "",
        TO_WRITE,
        "",
        "## What went well",
        "",
        f"- {TO_WRITE}",
        "",
        "## What went badly",
        "",
        f"- {TO_WRITE}",
        "",
        "## Action items",
        "",
        "| Action | Owner | Due |",
        "|---|---|---|",
        "| | | |",
        "",
    ]
    return "\n".join(out)
