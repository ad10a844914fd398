"""On call: who is on call now and next, overrides (and why one was refused), and the shift
handover, each in its rotation's time zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.core.rotation import Shift
from bot.services.models import OverrideRecord
from bot.services.overrides import (
    Added,
    OverrideList,
    Refused,
    Removed,
    RotationNow,
)
from bot.slack import mrkdwn as md
from bot.slack.blocks import kit

ROTATIONS_SHOWN = 40  # sections in an on-call answer; App Home shows fewer


def rotation_label(name: str) -> str:
    return f"*{md.escape(kit.excerpt(name, 40))}*"


def _local_span(starts: datetime, ends: datetime, zone: ZoneInfo) -> str:
    return f"{md.wall(starts, zone)} to {md.local(ends, zone)}"


def override_badge(shift: Shift) -> str:
    return f" _(override #{shift.override_id})_" if shift.is_override else ""


def on_call_text(now: RotationNow) -> str:
    """One rotation: who now and until when, who next, and what coverage promises."""
    shift = now.current
    line = (
        f"{rotation_label(now.rotation)}: {md.user(shift.user)}{override_badge(shift)} is on call"
    )
    if now.until:
        line += f" until {md.when(now.until, now.zone, md.DAY_TIME)}"
    lines = [line]
    if now.next:
        lines.append(
            f"Next: {md.user(now.next.user)}{override_badge(now.next)} "
            f"from {md.when(now.next.starts_at, now.zone, md.DAY_TIME)}"
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
                f"; no guaranteed response from then until {md.wall(now.resumes_at, now.zone)}"
            )
        lines.append(coverage + ".")
    return "\n".join(lines)


def on_call(statuses: Sequence[RotationNow]) -> tuple[str, list[dict]]:
    """The answer to `/incident oncall`: one section per rotation."""
    if not statuses:
        text = "No rotations are configured: add them under `rotations:` in the config."
        return text, [{"type": "section", "text": kit.text(text)}]
    shown = statuses[:ROTATIONS_SHOWN]
    blocks = [{"type": "section", "text": kit.text(kit.fit(on_call_text(s)))} for s in shown]
    if len(statuses) > len(shown):
        more = len(statuses) - len(shown)
        blocks.append(
            {
                "type": "context",
                "elements": [
                    kit.text(f"…and {more} more; ask `/incident oncall &lt;rotation&gt;`.")
                ],
            }
        )
    text = "On call now: " + ", ".join(
        f"{md.escape(s.rotation)} {md.user(s.current.user)}" for s in shown
    )
    return kit.fit(text), blocks


def team_on_call(team: str, levels: Sequence[Sequence[str]], statuses: Sequence[RotationNow]):
    """`/incident oncall <team>`: each level of the team's chain with who it reaches now,
    then each of its rotations as `/incident oncall` shows them."""
    on_call_now = {s.rotation: s.current.user for s in statuses}
    lines = [
        f"*Level {i}*: {md.targets(level, on_call_now)}" for i, level in enumerate(levels, start=1)
    ]
    head = f"*{md.escape(team)}* escalation chain, as it would page now:\n" + "\n".join(lines)
    blocks = on_call(statuses)[1] if statuses else []
    summary = kit.fit(f"{md.escape(team)}: " + ("; ".join(lines) or "no chain"))
    return summary, [{"type": "section", "text": kit.text(kit.fit(head))}, *blocks]


def _override_line(o: OverrideRecord, zone: ZoneInfo, at: datetime | None = None) -> str:
    line = (
        f"*#{o.id}* {rotation_label(o.rotation)}: {md.user(o.user)} from "
        f"{_local_span(o.starts_at, o.ends_at, zone)}"
    )
    if at is not None and o.active(at):
        line += " · *active now*"
    return line + f" · set by {md.user(o.created_by)}"


def refusal(refused: Refused, config: Config) -> str:
    """Why an on-call request was refused, and what to do instead."""
    return kit.message_text(_refusal(refused, config))


def _refusal(refused: Refused, config: Config) -> str:
    facts = refused.facts
    problem = refused.problem
    if problem == "unknown_rotation":
        names = facts.get("rotations") or []
        if not names:
            return "No rotations are configured: add them under `rotations:` in the config."
        listed = ", ".join(f"`{md.escape(n)}`" for n in names)
        return f"There is no rotation {rotation_label(facts['name'] or '')}. Rotations: {listed}."
    if problem == "not_allowed":
        return kit.fit(md.escape(facts["message"]))
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
        f"{rotation_label(o.rotation)} from {_local_span(o.starts_at, o.ends_at, zone)}"
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
    return kit.fit("\n".join(lines))


def override_removed(removed: Removed) -> str:
    o, zone = removed.override, removed.zone
    line = (
        f"Removed override *#{o.id}* ({md.user(o.user)} on {rotation_label(o.rotation)}, "
        f"{_local_span(o.starts_at, o.ends_at, zone)})."
    )
    if removed.was_active and removed.on_call_now:
        line += f" {md.user(removed.on_call_now)} is on call for {rotation_label(o.rotation)} now."
    return line


def override_list(found: OverrideList, config: Config) -> tuple[str, list[dict]]:
    scope = f" for {rotation_label(found.rotation)}" if found.rotation else ""
    if not found.overrides:
        text = f"No overrides active or coming up{scope}."
        return text, [{"type": "section", "text": kit.text(text)}]
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
    return kit.message(text, kit.sections(lines, heading))


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
        title = "(private)" if incident.hidden else md.escape(incident.title)
        line = (
            f"• *{incident.ref}* [{md.escape(incident.severity)}] {title}"
            f" · {incident.status} · open {age}"
        )
        if item.last_update:
            at, text = item.last_update
            short = kit.excerpt(text, 120)
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
    section = kit.section("\n\n".join([head, incidents, coming]), "`/incident list`")
    return kit.message_text(head), [section]


def handover_answer(summaries: Sequence, config: Config) -> tuple[str, list[dict]]:
    """`/incident handover`: the handover of each rotation as it stands now."""
    if not summaries:
        text = (
            "No rotations are configured, so there is no handover; "
            "`/incident list` shows the open incidents."
        )
        return text, [{"type": "section", "text": kit.text(text)}]
    heads, out = [], []
    for summary in summaries[:ROTATIONS_SHOWN]:
        head, section = handover(summary, config)
        heads.append(head)
        if out:
            out.append({"type": "divider"})
        out += section
    return kit.message(kit.fit("\n".join(heads)), out, "`/incident handover &lt;rotation&gt;`")
