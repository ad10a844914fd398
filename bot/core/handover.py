"""When a rotation's handover is posted: at each scheduled handoff, and only the latest one.

Overrides do not move handoffs: the summary goes out when the schedule changes hands. A
handoff found overdue after a newer one has passed (the bot was down for a whole shift) is
stale; only the latest handover is worth posting.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.rotation import RotationSpec, shift_at


def next_handoff(spec: RotationSpec, now: datetime) -> datetime:
    """The end of the scheduled shift in force at `now`."""
    return shift_at(spec, now).ends_at


def superseded(spec: RotationSpec, due: datetime, now: datetime) -> bool:
    """Whether a newer handoff than the one due at `due` has passed by `now`."""
    return shift_at(spec, now).starts_at > due
