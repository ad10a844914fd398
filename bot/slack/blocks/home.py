"""App Home: the viewer's teams, who is on call now and next, the viewer's own shifts, the
two-week on-call calendar, the open incidents, the heartbeats, then My paging, within Slack's
limits for a home tab."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.core.incident import ref
from bot.core.rotation import Shift
from bot.services.calendar import Grid
from bot.services.heartbeats import HeartbeatView
from bot.services.models import IncidentRecord
from bot.services.my_paging_view import MyPaging
from bot.services.overrides import Home
from bot.slack import mrkdwn as md
from bot.slack.blocks import heartbeats, kit, my_paging, oncall_grid
from bot.slack.blocks.answers import open_list
from bot.slack.blocks.oncall import on_call_text, rotation_label

HOME_ROTATIONS = 25
HOME_TEAMS = 5
MY_SHIFTS_SHOWN = 20


def home(
    incidents: list[IncidentRecord],
    total: int,
    config: Config,
    on_call: Home | None = None,
    mine: MyPaging | None = None,
    notice: str = "",
    *,
    beats: list[HeartbeatView] | None = None,
    grids: list[Grid] | None = None,
    viewer: str = "",
) -> dict[str, Any]:
    """App Home: who is on call now and next and the viewer's own shifts (given `on_call`),
    the next 14 days of each rotation (given `grids`, `viewer`'s own shifts drawn solid), the
    open incidents, the heartbeats (given `beats`; none configured: no section), then My
    paging (given `mine`; `notice`: what the last click there did). At most 100 blocks,
    My paging always whole, the calendar trimmed to what is left, each section under 3,000
    characters."""
    top = _home_on_call(on_call) if on_call is not None else []
    blocks: list[dict[str, Any]] = [{"type": "header", "text": kit.plain("Open incidents")}]
    blocks += open_list(incidents, total, config)
    blocks.append(
        {
            "type": "context",
            "elements": [
                kit.text("Declare one with `/incident declare` or `/incident` for the form.")
            ],
        }
    )
    blocks += heartbeats.home_section(beats or [], config.zone)
    paging = my_paging.section(mine, config.zone, notice) if mine is not None else []
    room = kit.VIEW_BLOCKS - len(top) - len(blocks) - len(paging)
    blocks = top + oncall_grid.section(grids or [], viewer, room) + blocks
    blocks = kit.capped(blocks, kit.VIEW_BLOCKS - len(paging), "`/incident list`") + paging
    return kit.view({"type": "home", "blocks": blocks}, "`/incident list`")


def _your_teams(state: Home) -> list[dict]:
    """Each of the viewer's teams: its open incidents and whom its chain reaches now."""
    if not state.teams:
        return []
    blocks: list[dict[str, Any]] = [{"type": "header", "text": kit.plain("Your teams")}]
    for team in state.teams[:HOME_TEAMS]:
        shown = ", ".join(ref(n) for n in team.open)
        more = (
            f" and {team.open_total - len(team.open)} more"
            if team.open_total > len(team.open)
            else ""
        )
        opened = f"{team.open_total} open ({shown}{more})" if team.open_total else "nothing open"
        levels = " · ".join(
            f"Level {i}: {md.targets(level, team.on_call)}"
            for i, level in enumerate(team.levels, start=1)
        )
        text = f"*{md.escape(team.name)}* · {opened}\n{levels or '_no chain_'}"
        blocks.append({"type": "section", "text": kit.text(kit.fit(text))})
    if len(state.teams) > HOME_TEAMS:
        more = len(state.teams) - HOME_TEAMS
        blocks.append({"type": "context", "elements": [kit.text(f"…and {more} more teams.")]})
    blocks.append({"type": "divider"})
    return blocks


def _home_on_call(state: Home) -> list[dict]:
    blocks = _your_teams(state)
    blocks.append({"type": "header", "text": kit.plain("On call")})
    if not state.rotations:
        blocks.append({"type": "section", "text": kit.text("_No rotations are configured._")})
        return blocks
    shown = state.rotations[:HOME_ROTATIONS]
    blocks += [{"type": "section", "text": kit.text(kit.fit(on_call_text(s)))} for s in shown]
    if len(state.rotations) > len(shown):
        more = len(state.rotations) - len(shown)
        blocks.append({"type": "context", "elements": [kit.text(f"…and {more} more rotations.")]})
    zones = {s.rotation: s.zone for s in state.rotations}
    blocks.append({"type": "header", "text": kit.plain("Your next shifts")})
    mine = state.mine[:MY_SHIFTS_SHOWN]
    if mine:
        lines = [_my_shift_line(s, state.at, zones.get(s.rotation, ZoneInfo("UTC"))) for s in mine]
        if len(state.mine) > len(mine):
            lines.append(f"…and {len(state.mine) - len(mine)} more.")
        blocks += kit.sections(lines)[:3]
    else:
        blocks.append(
            {"type": "section", "text": kit.text("_You have no shifts in the next 4 weeks._")}
        )
    blocks.append({"type": "divider"})
    return blocks


def _my_shift_line(shift: Shift, at: datetime, zone: ZoneInfo) -> str:
    badge = " _(override)_" if shift.is_override else ""
    until = md.when(shift.ends_at, zone, md.DAY_TIME)
    if shift.starts_at <= at:
        return f"• {rotation_label(shift.rotation)}: on call *now*, until {until}{badge}"
    starts = md.when(shift.starts_at, zone, md.DAY_TIME)
    return f"• {rotation_label(shift.rotation)}: {starts} to {until}{badge}"
