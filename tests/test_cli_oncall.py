"""`firebell check` (coverage gaps) and `firebell oncall`, run as users run them."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from bot.config import parse_config
from bot.services.config_report import coverage_report
from tests.support import database
from tests.support.cli import run
from tests.support.db import rows

CONFIG = """\
incident_channel: C0ONCALL
timezone: Europe/Berlin
severities:
  - {name: SEV1, ack_within: 15m, update_every: 30m, page: [rotation:ops]}
  - {name: SEV2, ack_within: 1h, update_every: 1h}
  - {name: SEV3, ack_within: 4h, update_every: 4h, outside_coverage: wait}
rotations:
  - name: office
    members: [U0SOLO]
    shift: 1w
    start: 2026-01-05T09:00
    coverage:
      - {days: mon-fri, from: "09:00", to: "17:00"}
  - name: ops
    members: [alice@acme.test]
    shift: 1d
    start: 2026-01-05T09:00
escalation:
  - notify: [rotation:office]
  - notify: ["@U0BOSS"]
"""


def write(tmp_path, text: str = CONFIG):
    path = tmp_path / "firebell.yml"
    path.write_text(text)
    return str(path)


async def test_check_prints_coverage_gaps_per_severity(tmp_path):
    code, out, err = await run(tmp_path, "check", FIREBELL_CONFIG=write(tmp_path))
    assert code == 0, err
    assert "SEV1: covered around the clock" in out  # ops, paged at once, is 24/7
    gaps = "nobody covers Mon-Thu 17:00 – 09:00 next day; Fri 17:00 – Mon 09:00 (Europe/Berlin)"
    assert f"SEV2: {gaps}; outside coverage it pages anyway" in out
    assert f"SEV3: {gaps}; outside coverage it waits until covered" in out
    assert "SEV1: ack within 15m, update every 30m" in out


def test_a_severity_without_a_rotation_in_its_first_line_promises_nothing():
    text = CONFIG.replace("  - notify: [rotation:office]\n", "")
    lines = coverage_report(parse_config(text), datetime(2026, 3, 2, 12, tzinfo=UTC))
    assert lines[1] == "SEV2: no rotation in its first line, so no coverage promise"
    assert lines[0] == "SEV1: covered around the clock"


def test_gaps_show_in_the_config_time_zone_across_a_dst_change():
    text = CONFIG.replace("timezone: Europe/Berlin", "timezone: UTC").replace(
        "    members: [U0SOLO]\n", "    members: [U0SOLO]\n    timezone: Europe/Berlin\n"
    )
    # 4 weeks from 16 March 2026 include Berlin's change to summer time on 29 March
    lines = coverage_report(parse_config(text), datetime(2026, 3, 16, 12, tzinfo=UTC))
    assert lines[1] == (
        "SEV2: nobody covers Mon-Thu 15:00 – 07:00 next day; Mon-Thu 16:00 – 08:00 next day; "
        "Fri 15:00 – Mon 07:00; Fri 16:00 – Mon 07:00; Fri 16:00 – Mon 08:00 (UTC); "
        "outside coverage it pages anyway"
    )


async def test_check_refuses_overlapping_coverage_naming_the_key(tmp_path):
    text = CONFIG.replace(
        '      - {days: mon-fri, from: "09:00", to: "17:00"}\n',
        '      - {days: mon-fri, from: "09:00", to: "17:00"}\n'
        '      - {days: fri, from: "16:00", to: "20:00"}\n',
    )
    path = write(tmp_path, text)
    code, out, err = await run(tmp_path, "check", FIREBELL_CONFIG=path)
    assert code == 2 and "OK" not in out
    assert (
        f"{path}:14: rotations[0].coverage[1]: overlaps rotations[0].coverage[0]: "
        "mon-fri 09:00-17:00 overlaps fri 16:00-20:00 (fri 16:00-17:00)"
    ) in err


async def test_check_refuses_bad_windows_and_duplicate_members(tmp_path):
    text = CONFIG.replace('to: "17:00"', 'to: "09:00"').replace(
        "members: [U0SOLO]", "members: [U0SOLO, U0SOLO]"
    )
    path = write(tmp_path, text)
    code, _, err = await run(tmp_path, "check", FIREBELL_CONFIG=path)
    assert code == 2
    assert f"{path}:9: rotations[0].members[1]: U0SOLO is already rotations[0].members[0]" in err
    assert f"{path}:13: rotations[0].coverage[0]: from '09:00' and to '09:00' are the same" in err


async def test_oncall_prints_who_is_on_call_until_when_and_who_is_next(tmp_path):
    path = write(tmp_path)
    assert (await run(tmp_path, "migrate", FIREBELL_CONFIG=path))[0] == 0
    rows(
        database.url_for(tmp_path),
        "INSERT INTO people (email, user_id, looked_up_at) VALUES (?, ?, ?)",
        "alice@acme.test",
        "U0ALICE",
        "2026-03-01 00:00:00.000000",
    )
    code, out, err = await run(tmp_path, "oncall", FIREBELL_CONFIG=path)
    assert code == 0, err
    office, ops = out.strip().splitlines()
    assert office.startswith("office: U0SOLO on call until Mon ")
    assert " 09:00 CE" in office and ", then U0SOLO until Mon " in office
    assert ops.startswith("ops: U0ALICE (alice@acme.test) on call until ")
    assert "token" not in out

    code, out, _ = await run(tmp_path, "oncall", "ops", FIREBELL_CONFIG=path)
    assert code == 0 and out.startswith("ops: U0ALICE") and "office" not in out


async def test_oncall_calendar_links_carry_the_token(tmp_path):
    path = write(tmp_path)
    code, out, err = await run(
        tmp_path,
        "oncall",
        "office",
        "--calendar-links",
        FIREBELL_CONFIG=path,
        SLACK_SIGNING_SECRET="signing-secret",
        FIREBELL_PUBLIC_URL="https://firebell.example.com/",
    )
    assert code == 0, err
    token = hmac.new(b"signing-secret", b"calendar:office", hashlib.sha256).hexdigest()[:32]
    assert f"  calendar: https://firebell.example.com/calendar/office.ics?token={token}\n" in out

    code, out, _ = await run(
        tmp_path, "oncall", "--calendar-links", FIREBELL_CONFIG=path, PORT="8080"
    )
    assert code == 0
    assert "calendar: no token: set FIREBELL_CALENDAR_SECRET" in out  # no secret at all


async def test_oncall_of_an_unknown_rotation_says_which_exist(tmp_path):
    code, _, err = await run(tmp_path, "oncall", "nope", FIREBELL_CONFIG=write(tmp_path))
    assert code == 2
    assert "no rotation named 'nope'" in err and "office, ops" in err
