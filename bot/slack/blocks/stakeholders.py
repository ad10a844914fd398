"""What people outside the response see: plain-language broadcasts that mention nobody and
keep no link targets but the thread, the periodic digest of open incidents, and the report
(with the words around its chart)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.config import Config
from bot.core.incident import ref
from bot.core.metrics import Report, Row, span
from bot.services.models import EventRecord, IncidentRecord
from bot.slack import mrkdwn as md
from bot.slack.blocks import kit

DIGEST_SHOWN = 15


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
    # the facts and the thread's link stay whole; the title and the text give way
    head = kit.clip(head, 500)
    facts = kit.fit("\n".join(_facts(incident, config, event.at)), 1000)
    follow = md.link(permalink, "Follow the incident thread") if permalink else ""
    room = kit.SECTION_TEXT - len(head) - len(facts) - len(follow) - 6
    parts = [head, kit.fit(body, room, "the incident thread" if follow else ""), facts, follow]
    text = "\n\n".join(p for p in parts if p)
    return kit.message_text(head), [kit.section(text)]


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
    return kit.message(head, kit.sections(lines, head))


def _share(row) -> str:
    if row.share_met is None:
        return "–"
    return f"{round(row.share_met * 100)}% ({row.met}/{row.judged})"


def _table(first: str, rows: Sequence[Row]) -> str:
    """Rows of figures (by severity or by team, named in `first`) as a monospaced table."""
    header = (first, "Count", "Open", "MTTA p50", "MTTA p90", "MTTR p50", "MTTR p90", "In target")
    cells = [header]
    for row in rows:
        cells.append(
            (
                row.severity[:12],
                str(row.declared),
                str(row.still_open),
                span(row.acknowledge.median),
                span(row.acknowledge.p90),
                span(row.resolve.median),
                span(row.resolve.p90),
                _share(row),
            )
        )
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    table = "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in cells
    )
    return f"```\n{md.escape(table)}\n```"


def report_heading(teams: Sequence[str] | None, *, weekly: bool) -> str:
    """A report's name: `Weekly incident report · payments`, `Incident report`."""
    name = "Weekly incident report" if weekly else "Incident report"
    return name + (f" · {', '.join(teams)}" if teams else "")


def _days(start: datetime, end: datetime) -> int:
    return round((end - start).total_seconds() / 86400)


def report(
    figures: Report, config: Config, heading: str = "Incident report"
) -> tuple[str, list[dict]]:
    """A period's figures (a `bot.core.metrics.Report`), for `/incident report` and weekly."""
    zone = config.zone
    days = _days(figures.start, figures.end)
    period = f"{md.wall(figures.start, zone)} – {md.wall(figures.end, zone)}, {zone.key}"
    total = figures.total
    head = f":bar_chart: *{heading}: the last {days} days* ({period})"
    if not total.declared:
        text = f"{head}\nNo incidents were declared in this period."
        return text, [{"type": "section", "text": kit.text(text)}]
    summary = (
        f"*{total.declared}* declared · *{total.still_open}* still open · acknowledged within "
        f"target: *{_share(total)}* · MTTA median {span(total.acknowledge.median)} · "
        f"MTTR median {span(total.resolve.median)}"
    )
    blocks_out: list[dict[str, Any]] = [
        {"type": "section", "text": kit.text(f"{head}\n{summary}")},
        {"type": "section", "text": kit.text(_table("Severity", [*figures.rows, total]))},
    ]
    if figures.teams:
        blocks_out.append({"type": "section", "text": kit.text(_table("Team", figures.teams))})
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
        blocks_out += kit.sections(lines)
    blocks_out.append(
        {
            "type": "context",
            "elements": [
                kit.text(
                    "MTTA counts from declaration (or from when coverage resumed); MTTR from "
                    "declaration to resolution. In target: first response within the "
                    "severity's `ack_within`."
                )
            ],
        }
    )
    return kit.message(f"{heading}: {total.declared} incidents in the last {days} days", blocks_out)


def chart_follows() -> dict:
    """The line under `/incident report`'s answer: an ephemeral answer cannot carry a file."""
    note = ":bar_chart: A chart of these figures follows in your DM with Firebell."
    return {"type": "context", "elements": [kit.text(note)]}


def chart_title(heading: str, start: datetime, end: datetime, config: Config) -> str:
    """The chart's title, drawn on it and given to the file (plain text, not mrkdwn)."""
    zone = config.zone
    return f"{heading}: {md.wall(start, zone)} – {md.wall(end, zone)} ({zone.key})"


def chart_comment(heading: str, start: datetime, end: datetime) -> str:
    """The message the chart is shared with."""
    return (
        f":bar_chart: {heading}, the last {_days(start, end)} days: incidents declared per day "
        "by severity, and the median times to acknowledge and to resolve against the targets. "
        "The figures are in the report's text."
    )
