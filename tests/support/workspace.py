"""A config naming channels, people and user groups in each place they can be named, and the
Slack double's workspace holding all of them (or all but some), for the start-up checks
against Slack (`bot/slack/preflight.py`)."""

from __future__ import annotations

from bot.sandbox.standin.server import SlackDouble

CONFIG = """\
incident_channel: C07INCDNT01
broadcast_channel: C07STATUS01
private_channel: G07SECRET01
timezone: Europe/Berlin
severities:
  - {name: SEV1, ack_within: 15m, update_every: 30m, page: ["@lead@acme.test"]}
  - {name: SEV2, ack_within: 1h, update_every: 1h}
rotations:
  - name: primary
    members: [U07ALICE001, bob@acme.test]
    shift: 1w
    start: 2026-01-05T09:00
escalation:
  - notify: [rotation:primary]
  - notify: ["@U07LEAD0001", "group:S07ONCALL01"]
admins: [U07ADMIN001, U07ALICE001]
teams:
  - name: payments
    members: [U07PAY00001, group:S07PAYMENT1]
    channel: C07PAYMENTS
    broadcast_channel: C07PAYSTATS
    escalation:
      - notify: [rotation:primary]
"""
USERS = {  # user id -> the e-mail address of their Slack account
    "U07ALICE001": "alice@acme.test",
    "U07BOB00001": "bob@acme.test",
    "U07LEAD0001": "lead@acme.test",
    "U07ADMIN001": "admin@acme.test",
    "U07PAY00001": "pay@acme.test",
}
GROUPS = {"S07ONCALL01": ["U07ALICE001", "U07BOB00001"], "S07PAYMENT1": ["U07PAY00001"]}
PUBLIC = ["C07INCDNT01", "C07STATUS01", "C07PAYMENTS", "C07PAYSTATS"]
PRIVATE = "G07SECRET01"


def populate(
    slack: SlackDouble,
    *,
    missing: frozenset[str] = frozenset(),
    uninvited: bool = False,
) -> None:
    """Put everything CONFIG names in the double's workspace, but the ids in `missing`
    (users, e-mail addresses, groups or channels); `uninvited`: the private channel exists
    but Firebell was never invited into it."""
    for user_id, email in USERS.items():
        if user_id not in missing and email not in missing:
            slack.add_user(email, user_id)
    for group, members in GROUPS.items():
        if group not in missing:
            slack.add_usergroup(group, members)
    for channel in PUBLIC:
        if channel in missing:
            slack.missing_channels.add(channel)
        else:
            slack.add_channel(channel, channel.lower())
    slack.add_channel(PRIVATE, "security", private=True, member=not uninvited)


def write(tmp_path, text: str = CONFIG):
    path = tmp_path / "firebell.yml"
    path.write_text(text)
    return path


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line of `text` containing `needle`."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)
