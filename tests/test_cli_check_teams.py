"""`firebell check` with `teams:`: coverage per team, then ownership warnings, run as users
run it; without `teams:` it prints what it always did."""

from __future__ import annotations

from tests.support.cli import run

CONFIG = """\
incident_channel: C0ONCALL
timezone: Europe/Berlin
severities:
  - {name: SEV1, ack_within: 15m, update_every: 30m, page: [rotation:ops]}
  - {name: SEV2, ack_within: 1h, update_every: 1h, outside_coverage: wait}
rotations:
  - name: office
    members: [U0SOLO]
    shift: 1w
    start: 2026-01-05T09:00
    coverage:
      - {days: mon-fri, from: "09:00", to: "17:00"}
  - {name: ops, members: [U0OPS], shift: 1d, start: 2026-01-05T09:00}
  - name: payments
    members: [U0PAY]
    shift: 1w
    start: 2026-01-05T09:00
    coverage:
      - {days: mon-sat, from: "08:00", to: "20:00"}
  - {name: spare, members: [U0SPARE], shift: 1w, start: 2026-01-05T09:00}
escalation:
  - notify: [rotation:office]
  - notify: ["@U0BOSS"]
runbooks:
  legacy: https://docs.example.com/legacy
"""
TEAMS = """\
teams:
  - name: payments
    members: [U0PAY]
    channel: C0PAYMENTS
    escalation:
      - notify: [rotation:payments]
      - notify: ["@U0PAYLEAD"]
  - name: web
    channel: C0WEB
    escalation:
      - notify: ["@U0WEBLEAD"]
services:
  billing: {team: payments, runbook: https://docs.example.com/billing}
  frontend: {runbook: https://docs.example.com/frontend}
  search: {team: default}
"""
OFFICE_HOURS = "Mon-Thu 17:00 – 09:00 next day; Fri 17:00 – Mon 09:00 (Europe/Berlin)"
PAYMENTS_HOURS = "Mon-Fri 20:00 – 08:00 next day; Sat 20:00 – Mon 08:00 (Europe/Berlin)"


async def check(tmp_path, text: str) -> list[str]:
    path = tmp_path / "firebell.yml"
    path.write_text(text)
    code, out, err = await run(tmp_path, "check", FIREBELL_CONFIG=str(path))
    assert code == 0, err  # warnings are advice: the config still checks out
    lines = out.splitlines()
    return lines[lines.index("coverage over the next 4 weeks (Europe/Berlin):") + 1 :]


async def test_check_reports_coverage_per_team_then_warnings(tmp_path):
    assert await check(tmp_path, CONFIG + TEAMS) == [
        "  team default (channel C0ONCALL):",
        "    SEV1: covered around the clock",  # ops, paged at once by SEV1, is 24/7
        f"    SEV2: nobody covers {OFFICE_HOURS}; outside coverage it waits until covered",
        "  team payments (channel C0PAYMENTS):",
        "    SEV1: covered around the clock",
        f"    SEV2: nobody covers {PAYMENTS_HOURS}; outside coverage it waits until covered",
        "  team web (channel C0WEB):",
        "    SEV1: covered around the clock",
        "    SEV2: no rotation in its first line, so no coverage promise",
        "warning: service frontend: no team owns it, so its incidents belong to the default team",
        "warning: service legacy: no team owns it, so its incidents belong to the default team",
        "warning: team web: its escalation names no rotation, so it pages the same people at any "
        "hour; only rotations in the severities' `page:` lists cover it",
        "warning: rotation spare: no team's escalation and no severity's `page:` names it, so it "
        "is never paged",
    ]


async def test_a_default_team_without_a_chain_is_warned_about_too(tmp_path):
    text = CONFIG.replace(
        'escalation:\n  - notify: [rotation:office]\n  - notify: ["@U0BOSS"]\n', ""
    )
    lines = await check(tmp_path, text + TEAMS)
    assert lines[:3] == [
        "  team default (channel C0ONCALL):",
        "    SEV1: covered around the clock",
        "    SEV2: no rotation in its first line, so no coverage promise",
    ]
    assert (
        "warning: team default: its escalation names no rotation, so it pages the same people "
        "at any hour; only rotations in the severities' `page:` lists cover it"
    ) in lines
    # office is now in no chain either
    assert any(line.startswith("warning: rotation office: ") for line in lines)


async def test_without_teams_check_prints_no_team_headings_and_no_warnings(tmp_path):
    # `legacy` has only a runbook and `spare` pages nobody, but with one team there is no
    # owner to miss: the output is what it was before teams
    assert await check(tmp_path, CONFIG) == [
        "  SEV1: covered around the clock",
        f"  SEV2: nobody covers {OFFICE_HOURS}; outside coverage it waits until covered",
    ]
