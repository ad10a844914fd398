"""Maintenance windows: config windows in local time, the window in force, and the command.

The `/incident maintenance` command is parsed by `bot.core.commands`; its cases are here, with
the windows it makes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.commands import (
    EndMaintenance,
    ListMaintenance,
    ParseError,
    StartMaintenance,
    parse,
)
from bot.core.coverage import parse_window
from bot.core.maintenance import ConfigWindow, Maintenance, occurrences, under_maintenance

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# -- maintenance windows ----------------------------------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")


def test_one_off_config_window_in_local_time():
    spec = ConfigWindow(
        0,
        "api",
        "DB upgrade",
        BERLIN,
        start=datetime(2026, 3, 10, 22),
        end=datetime(2026, 3, 11, 2),
    )
    [window] = occurrences([spec], NOW, NOW + timedelta(days=30))
    assert window.starts_at == datetime(2026, 3, 10, 21, tzinfo=UTC)
    assert window.ends_at == datetime(2026, 3, 11, 1, tzinfo=UTC)
    assert window.covers("api", window.starts_at) and not window.covers("api", window.ends_at)
    assert not window.covers("billing", window.starts_at)
    assert occurrences([spec], NOW + timedelta(days=30), NOW + timedelta(days=31)) == []


def test_weekly_config_window_follows_the_local_clock_over_dst():
    spec = ConfigWindow(1, None, "", BERLIN, window=parse_window("sun", "02:00", "04:00"))
    found = occurrences([spec], NOW, NOW + timedelta(days=28))
    starts = [w.starts_at for w in found]
    assert starts[0] == datetime(2026, 3, 8, 1, tzinfo=UTC)  # 02:00 CET
    # 29 March: 02:00 does not exist in Berlin; the window starts at the end of the jump
    assert datetime(2026, 3, 29, 1, tzinfo=UTC) in starts
    assert all(w.covers("anything", w.starts_at) for w in found)
    running = occurrences(
        [spec], starts[0] + timedelta(hours=1), starts[0] + timedelta(hours=1, microseconds=1)
    )
    assert [w.starts_at for w in running] == [starts[0]]


def test_under_maintenance_picks_the_window_that_ends_last():
    short = Maintenance(NOW, NOW + timedelta(hours=1), "api", id=1)
    everything = Maintenance(NOW, NOW + timedelta(hours=3), None, id=2)
    other = Maintenance(NOW, NOW + timedelta(hours=9), "billing", id=3)
    assert under_maintenance([short, everything, other], "api", NOW).id == 2
    assert under_maintenance([short], None, NOW) is None
    assert under_maintenance([everything], None, NOW).id == 2


# -- `/incident maintenance` ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "maintenance 2h api DB upgrade",
            StartMaintenance(timedelta(hours=2), "api", "DB upgrade"),
        ),
        ("maintenance 30m", StartMaintenance(timedelta(minutes=30))),
        ("maint 1h service:billing", StartMaintenance(timedelta(hours=1), "billing")),
        ("maintenance 1h all nightly", StartMaintenance(timedelta(hours=1), None, "nightly")),
        ("maintenance list", ListMaintenance()),
        ("maintenance end", EndMaintenance()),
        ("maintenance end #3", EndMaintenance(3)),
    ],
)
def test_maintenance_commands(text, expected):
    assert parse(text, SEVERITIES) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("maintenance", "For how long"),
        ("maintenance soon", "Duration:"),
        ("maintenance 2h Billing!", "is not a service name"),
        ("maintenance end three", "is not a maintenance number"),
        ("maintenance list api", "takes nothing more"),
    ],
)
def test_maintenance_command_mistakes(text, message):
    found = parse(text, SEVERITIES)
    assert isinstance(found, ParseError) and message in found.message
    assert "/incident maintenance end [number]" in found.usage
