"""App Home's on-call calendar: each rotation's next 14 days as a grid, a row per stretch of
one person on call and a column per local day, the viewer's own rows drawn solid; handoffs
in the rotation's own wall-clock time, trimmed to the blocks the page has left."""

from __future__ import annotations

from bot.services.calendar import Grid, Row
from bot.slack import mrkdwn as md
from bot.slack.blocks import kit
from bot.slack.blocks.oncall import override_badge, rotation_label

ROTATIONS = 10  # rotations drawn; more are counted
ROWS = 12  # rows drawn per rotation; more are counted
MINE, THEIRS, FREE = "█", "▒", "·"  # a day of the viewer's, of someone else's, of neither
WEEKDAYS = "MTWTFSS"
WHOLE = "`/incident oncall`"


def section(grids: list[Grid], viewer: str, room: int) -> list[dict]:
    """The calendar in at most `room` blocks: a header, a section per rotation (those the
    viewer is on first), then how many rotations did not fit; nothing without room for one."""
    if not grids or room < 2:
        return []
    ordered = sorted(grids, key=lambda grid: not any(_mine(row, viewer) for row in grid.rows))
    shown = min(len(ordered), ROTATIONS, room - 1)
    if shown < len(ordered):
        shown = min(shown, room - 2)  # a block left to say how many more
    if shown < 1:
        return []
    blocks = [kit.header(f"On call, next {len(ordered[0].days)} days")]
    blocks += [kit.section(_drawn(grid, viewer), WHOLE) for grid in ordered[:shown]]
    if shown < len(ordered):
        more = len(ordered) - shown
        blocks.append(kit.context(f"…and {more} more rotations: {WHOLE}."))
    return blocks


def _mine(row: Row, viewer: str) -> bool:
    return bool(viewer) and row.entry.user == viewer


def _drawn(grid: Grid, viewer: str) -> str:
    first, last = grid.days[0].date, grid.days[-1].date
    heading = (
        f"{rotation_label(grid.rotation)} · {first:%a %d %b} to {last:%a %d %b} "
        f"({md.escape(grid.zone.key)})"
    )
    columns = "".join(WEEKDAYS[day.date.weekday()] for day in grid.days)
    lines = [heading, f"`{columns}`"]
    lines += [_row(grid, row, viewer) for row in grid.rows[:ROWS]]
    if len(grid.rows) > ROWS:
        lines.append(f"…and {len(grid.rows) - ROWS} more handoffs in these days.")
    return "\n".join(lines)


def _row(grid: Grid, row: Row, viewer: str) -> str:
    mine = _mine(row, viewer)
    mark = MINE if mine else THEIRS
    cells = "".join(mark if on else FREE for on in row.touches)
    who = md.user(row.entry.user) + override_badge(row.entry.shift) + (" *(you)*" if mine else "")
    ends = md.wall(row.entry.ends_at, grid.zone)
    if row.entry.starts_at <= grid.at:
        return f"`{cells}` {who} now, until {ends}"
    return f"`{cells}` {who} {md.wall(row.entry.starts_at, grid.zone)} to {ends}"
