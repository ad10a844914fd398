"""Heartbeats as people see them: one line each (state, last beat, the incident of its
silence), written once for the `/incident heartbeats` answer and for App Home."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.config import Config
from bot.core.heartbeats import State
from bot.core.incident import ref
from bot.services.heartbeats import HeartbeatView
from bot.slack import mrkdwn as md
from bot.slack.blocks import kit

ANSWER_SHOWN = 50  # heartbeats listed in the answer
HOME_SHOWN = 15  # ... and on App Home, the silent ones first
WHOLE = "`/incident heartbeats`"
STATE_WORDS = {
    State.WAITING: ":hourglass: waiting for its first beat",
    State.OK: ":green_heart: beating",
    State.LATE: ":yellow_heart: late",
    State.MISSING: ":broken_heart: missing",
}
_URGENCY = {State.MISSING: 0, State.LATE: 1, State.WAITING: 2, State.OK: 3}


def line(view: HeartbeatView, zone: ZoneInfo, fmt: str = "{time}") -> str:
    """`nightly-backup` :broken_heart: missing: last beat 14:02, expected every 5m, INC-3
    open; the beat in each reader's zone (`fmt`: how Slack spells it)."""
    last = md.when(view.last_beat_at, zone, fmt) if view.last_beat_at else "never"
    text = (
        f"`{md.escape(view.name)}` {STATE_WORDS[view.state]}: last beat {last}, "
        f"expected every {view.every}"
    )
    if view.incident:
        text += f", *{ref(view.incident)}* open"
    return text


def answer(views: list[HeartbeatView], config: Config) -> tuple[str, list[dict]]:
    """`/incident heartbeats`: each with its state, its last beat and the incident of its
    silence."""
    if not views:
        text = "No heartbeats are configured (`heartbeats:` in the config)."
        return text, [{"type": "section", "text": kit.text(text)}]
    lines = [line(view, config.zone) for view in views[:ANSWER_SHOWN]]
    missing = sum(view.state is State.MISSING for view in views)
    text = f"{len(views)} heartbeats, {missing} missing"
    return kit.message(text, kit.sections(lines, "*Heartbeats*"))


def home_section(views: list[HeartbeatView], zone: ZoneInfo) -> list[dict]:
    """App Home's heartbeats, silent and late ones first, in one section (nothing when none
    are configured): a glance, the answer has them all."""
    if not views:
        return []
    ordered = sorted(views, key=lambda view: _URGENCY[view.state])
    lines = [line(view, zone, md.DAY_TIME) for view in ordered[:HOME_SHOWN]]
    if len(views) > HOME_SHOWN:
        lines.append(f"…and {len(views) - HOME_SHOWN} more: {WHOLE}.")
    return [kit.header("Heartbeats"), kit.section("\n".join(lines), WHOLE)]
