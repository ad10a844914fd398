"""The YAML config: the example loads, and every mistake is named by file:line and key path."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pydantic
import pytest
import yaml

from bot.config import Config, load_config, parse_config
from bot.config_source import ConfigError
from bot.core.escalation import EMPTY, Level, Policy
from bot.core.targets import Target

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "firebell.example.yml"
SRC = "cfg.yml"

# Line numbers below refer to this text; keep the two in step.
BASE = textwrap.dedent(
    """\
    incident_channel: C0INCIDENTS
    broadcast_channel: C0STATUS
    timezone: Europe/Berlin
    severities:
      - name: SEV1
        ack_within: 15m
        update_every: 30m
        page: [rotation:platform-ops, "@product-lead@example.com"]
      - {name: SEV2, ack_within: 1h, update_every: 1h}
      - {name: SEV3, ack_within: 4h, update_every: 4h, outside_coverage: wait}
      - {name: SEV4, ack_within: 24h, update_every: 1d, outside_coverage: wait}
    rotations:
      - name: primary
        members: [U0AAA, U0BBB, alice@example.com]
        shift: 1w
        start: 2026-01-05T09:00
        timezone: Europe/Berlin
        coverage:
          - {days: mon-fri, from: "09:00", to: "17:00"}
      - name: platform-ops
        members: [U0CCC, U0DDD]
        shift: 1w
        start: 2026-01-05T09:00
    escalation:
      - notify: [rotation:primary]
      - notify: [rotation:platform-ops, "@U0LEAD"]
      - notify: ["group:S0PRODUCT"]
        after: 30m
    repeat: 1
    runbooks:
      api: https://docs.example.com/ops/api
    """
)
MINIMAL = (
    "incident_channel: C0X\nseverities:\n  - {name: SEV1, ack_within: 15m, update_every: 30m}\n"
)


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, SRC)
    error = caught.value
    assert error.problems, "a ConfigError always carries at least one problem"
    assert str(error) == "\n".join(error.problems)
    return error.problems


def line_of(text: str, needle: str) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(lines) == 1, f"{needle!r} must be on exactly one line"
    return lines[0]


# --- loading ---------------------------------------------------------------------------------


def test_example_file_loads():
    config = load_config(EXAMPLE)
    assert isinstance(config, Config)
    assert config.incident_channel.startswith("C")
    assert config.severity_names  # at least one severity
    # the example is the documented shape: every rotation referenced exists
    rotations = {r.name for r in config.rotations}
    for level in config.escalation:
        for target in level.notify:
            if target.kind == "rotation":
                assert target.value in rotations


def test_example_file_loads_from_a_str_path():
    assert load_config(str(EXAMPLE)) == load_config(EXAMPLE)


def test_base_config_values():
    config = parse_config(BASE, SRC)
    assert config.incident_channel == "C0INCIDENTS"
    assert config.broadcast_channel == "C0STATUS"
    assert config.timezone == "Europe/Berlin"
    assert config.zone == ZoneInfo("Europe/Berlin")
    assert config.severity_names == ("SEV1", "SEV2", "SEV3", "SEV4")
    sev1 = config.severities[0]
    assert sev1.ack_within == timedelta(minutes=15)
    assert sev1.update_every == timedelta(minutes=30)
    assert sev1.page == [
        Target("rotation", "platform-ops"),
        Target("email", "product-lead@example.com"),
    ]
    assert sev1.outside_coverage == "page"
    assert sev1.description == ""
    assert config.severities[3].ack_within == timedelta(hours=24)
    assert config.severities[3].update_every == timedelta(days=1)
    assert config.severities[2].outside_coverage == "wait"
    primary, ops = config.rotations
    assert primary.members == [
        Target("user", "U0AAA"),
        Target("user", "U0BBB"),
        Target("email", "alice@example.com"),
    ]
    assert primary.shift == timedelta(weeks=1)
    assert primary.start == datetime(2026, 1, 5, 9, 0)
    assert primary.timezone == "Europe/Berlin"
    assert [(w.days, w.start, w.end) for w in primary.coverage] == [("mon-fri", "09:00", "17:00")]
    assert ops.timezone is None
    assert ops.coverage == []
    assert config.escalation[2].after == timedelta(minutes=30)
    assert config.escalation[0].after is None
    assert config.repeat == 1
    assert config.runbooks == {"api": "https://docs.example.com/ops/api"}


def test_defaults_of_a_minimal_config():
    config = parse_config(MINIMAL, SRC)
    assert config.broadcast_channel is None
    assert config.timezone == "UTC"
    assert config.rotations == []
    assert config.escalation == []
    assert config.repeat == 0
    assert config.runbooks == {}
    assert config.policy() == EMPTY


def test_config_is_frozen():
    config = parse_config(MINIMAL, SRC)
    with pytest.raises(pydantic.ValidationError):
        config.repeat = 3  # type: ignore[misc]


def test_dump_and_reload_round_trips():
    config = parse_config(BASE, SRC)
    dumped = config.model_dump(mode="json", by_alias=True)
    assert dumped["severities"][0]["ack_within"] == "15m"
    assert dumped["rotations"][0]["shift"] == "7d"
    assert dumped["escalation"][1]["notify"] == ["rotation:platform-ops", "user:U0LEAD"]
    assert parse_config(yaml.safe_dump(dumped), SRC) == config


def test_missing_file(tmp_path):
    path = tmp_path / "nope" / "firebell.yml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == [
        f"{path}: no such file (copy config/firebell.example.yml there and edit it)"
    ]


def test_load_config_names_the_file_in_errors(tmp_path):
    path = tmp_path / "firebell.yml"
    path.write_text(
        edit(
            "shift: 1w\n    start: 2026-01-05T09:00\n    timezone",
            "shift: 1 week\n    start: 2026-01-05T09:00\n    timezone",
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == [
        f"{path}:15: rotations[0].shift: '1 week' is not a duration like 15m, 4h or 1d"
    ]


# --- the error forms -------------------------------------------------------------------------


def test_bad_duration_names_line_and_key_path():
    text = edit("ack_within: 4h,", "ack_within: 4 hours,")
    assert problems(text) == [
        f"{SRC}:10: severities[2].ack_within: '4 hours' is not a duration like 15m, 4h or 1d"
    ]


def test_bad_duration_in_block_mapping():
    text = edit("update_every: 30m", "update_every: 30 min")
    assert problems(text) == [
        f"{SRC}:7: severities[0].update_every: '30 min' is not a duration like 15m, 4h or 1d"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0m", "'0m' must be longer than zero"),
        ("2y", "'2y' is not a duration like 15m, 4h or 1d"),
        ("400d", "'400d' is longer than a year"),
        ("15", "15 is not a duration like 15m, 4h or 1d"),
        ("[15m]", "['15m'] is not a duration like 15m, 4h or 1d"),
    ],
)
def test_other_bad_durations(value, message):
    text = edit("    after: 30m", f"    after: {value}")
    assert problems(text) == [f"{SRC}:28: escalation[2].after: {message}"]


def test_channel_given_by_name():
    text = edit("incident_channel: C0INCIDENTS", "incident_channel: '#incidents'")
    assert problems(text) == [
        f"{SRC}:1: incident_channel: '#incidents' is not a channel id: use the id (C0...), "
        "not the name; in Slack, open the channel's details and copy the Channel ID at the bottom"
    ]


def test_unquoted_channel_name_is_a_yaml_comment_and_still_rejected():
    text = edit("incident_channel: C0INCIDENTS", "incident_channel: #incidents")
    [problem] = problems(text)
    assert problem.startswith(f"{SRC}:1: incident_channel: None is not a channel id")


def test_broadcast_channel_by_name():
    text = edit("broadcast_channel: C0STATUS", "broadcast_channel: 'status'")
    [problem] = problems(text)
    assert problem.startswith(f"{SRC}:2: broadcast_channel: 'status' is not a channel id")


@pytest.mark.parametrize("value", ["incidents", "c0incidents", "D0DIRECT", "C0"])
def test_other_bad_channels(value):
    [problem] = problems(edit("incident_channel: C0INCIDENTS", f"incident_channel: {value}"))
    assert problem.startswith(f"{SRC}:1: incident_channel: '{value}' is not a channel id")


def test_private_channel_ids_are_fine():
    config = parse_config(edit("incident_channel: C0INCIDENTS", "incident_channel: G0PRIVATE"))
    assert config.incident_channel == "G0PRIVATE"


def test_unknown_top_level_key():
    text = edit("repeat: 1\n", "repeat: 1\nrepeats: 2\n")
    assert problems(text) == [f"{SRC}:30: repeats: is not a known key (check the spelling)"]


def test_unknown_nested_key():
    text = edit("{name: SEV2, ack_within: 1h,", "{name: SEV2, ack_whithin: 2h, ack_within: 1h,")
    assert problems(text) == [
        f"{SRC}:9: severities[1].ack_whithin: is not a known key (check the spelling)"
    ]


def test_missing_required_top_level_key():
    text = edit("incident_channel: C0INCIDENTS\n", "")
    assert problems(text) == [f"{SRC}:1: incident_channel: is required"]


def test_missing_required_nested_key():
    text = edit("{name: SEV3, ack_within: 4h, ", "{name: SEV3, ")
    assert problems(text) == [f"{SRC}:10: severities[2].ack_within: is required"]


def test_missing_severities():
    assert problems("incident_channel: C0X\n") == [f"{SRC}:1: severities: is required"]


def test_empty_severities():
    [problem] = problems("incident_channel: C0X\nseverities: []\n")
    assert problem.startswith(f"{SRC}:2: severities: List should have at least 1 item")


def test_unknown_rotation_referenced_is_rejected():
    text = edit("notify: [rotation:primary]", "notify: [rotation:secondary]")
    [problem] = problems(text)
    assert problem.startswith(f"{SRC}:")
    assert problem.endswith("rotation:secondary names a rotation that is not in `rotations`")


def test_unknown_rotation_in_page_is_rejected():
    text = edit("page: [rotation:platform-ops,", "page: [rotation:platform,")
    [problem] = problems(text)
    assert problem.endswith("rotation:platform names a rotation that is not in `rotations`")


def test_unknown_rotation_names_the_key_path_and_line():
    text = edit("notify: [rotation:primary]", "notify: [rotation:secondary]")
    assert problems(text) == [
        f"{SRC}:25: escalation[0].notify[0]: rotation:secondary names a rotation "
        "that is not in `rotations`"
    ]


def test_duplicate_severity_names_are_rejected_case_insensitively():
    text = edit("{name: SEV2,", "{name: sev1,")
    [problem] = problems(text)
    assert problem.startswith(f"{SRC}:")
    assert problem.endswith("'sev1' is already the name of severities[0]")


def test_duplicate_severity_names_name_the_key_path_and_line():
    text = edit("{name: SEV2,", "{name: sev1,")
    [problem] = problems(text)
    assert problem.startswith(f"{SRC}:9: severities[1].name: ")


def test_duplicate_rotation_names_are_rejected():
    text = edit("  - name: platform-ops", "  - name: primary")
    text = text.replace("rotation:platform-ops", "rotation:primary")
    [problem] = problems(text)
    assert problem.endswith("'primary' is already the name of rotations[0]")


def test_every_unknown_rotation_is_reported():
    text = edit("notify: [rotation:primary]", "notify: [rotation:secondary]")
    text = edit("page: [rotation:platform-ops,", "page: [rotation:platform,", text)
    assert len(problems(text)) == 2


def test_duplicate_yaml_keys():
    text = edit(
        "    shift: 1w\n    start: 2026-01-05T09:00\n    timezone",
        "    shift: 1w\n    shift: 2w\n    start: 2026-01-05T09:00\n    timezone",
    )
    assert problems(text) == [f"{SRC}:16: rotations[0].shift: key given twice"]


def test_duplicate_top_level_key():
    text = edit("repeat: 1\n", "repeat: 1\nrepeat: 2\n")
    assert problems(text) == [f"{SRC}:30: repeat: key given twice"]


def test_duplicate_keys_in_flow_mapping_and_all_reported():
    text = edit("{name: SEV4, ack_within: 24h,", "{name: SEV4, ack_within: 24h, ack_within: 1h,")
    text = edit(
        "timezone: Europe/Berlin\nseverities",
        "timezone: Europe/Berlin\ntimezone: UTC\nseverities",
        text,
    )
    assert problems(text) == [
        f"{SRC}:4: timezone: key given twice",
        f"{SRC}:12: severities[3].ack_within: key given twice",
    ]


def test_invalid_yaml_names_the_line():
    text = edit(
        "  - {name: SEV2, ack_within: 1h, update_every: 1h}", "  - {name: SEV2, ack_within: 1h"
    )
    [problem] = problems(text)
    assert problem.startswith(f"{SRC}:10: not valid YAML: ")


def test_invalid_yaml_bad_indentation():
    text = "incident_channel: C0X\nseverities:\n  - name: SEV1\n   ack_within: 1h\n"
    assert problems(text) == [
        f"{SRC}:4: not valid YAML: expected <block end>, but found '<block mapping start>'"
    ]


def test_invalid_yaml_tab_indentation():
    [problem] = problems("incident_channel: C0X\nseverities:\n\t- name: SEV1\n")
    assert problem.startswith(f"{SRC}:3: not valid YAML: ")


def test_bad_time_zone():
    text = edit("timezone: Europe/Berlin\nseverities", "timezone: Mars/Olympus\nseverities")
    assert problems(text) == [
        f"{SRC}:3: timezone: 'Mars/Olympus' is not an IANA time zone like Europe/Berlin"
    ]


@pytest.mark.parametrize("zone", ["Europe", "'/etc/localtime'", "Europe/Berlin/", "'..'", "''"])
def test_odd_time_zones_are_errors_not_crashes(zone):
    [problem] = problems(
        edit("timezone: Europe/Berlin\nseverities", f"timezone: {zone}\nseverities")
    )
    assert problem.startswith(f"{SRC}:3: timezone: ")
    assert problem.endswith("is not an IANA time zone like Europe/Berlin")


def test_bad_rotation_time_zone():
    text = edit("    timezone: Europe/Berlin\n", "    timezone: Berlin\n")
    assert problems(text) == [
        f"{SRC}:17: rotations[0].timezone: 'Berlin' is not an IANA time zone like Europe/Berlin"
    ]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a\n- b\n", "hello\n", "42\n"])
def test_document_must_be_a_mapping(text):
    assert problems(text) == [f"{SRC}: the config must be a mapping of keys (see the example)"]


def test_several_errors_are_all_reported():
    text = edit("incident_channel: C0INCIDENTS", "incident_channel: '#incidents'")
    text = edit("ack_within: 4h,", "ack_within: 4 hours,", text)
    text = edit("repeat: 1\n", "repeat: 1\nrepeats: 2\n", text)
    text = edit("    timezone: Europe/Berlin\n", "    timezone: Berlin\n", text)
    found = problems(text)
    assert len(found) == 4
    assert found[0].startswith(f"{SRC}:1: incident_channel: '#incidents' is not a channel id")
    assert (
        f"{SRC}:10: severities[2].ack_within: '4 hours' is not a duration like 15m, 4h or 1d"
        in found
    )
    assert (
        f"{SRC}:17: rotations[0].timezone: 'Berlin' is not an IANA time zone like Europe/Berlin"
        in found
    )
    assert f"{SRC}:30: repeats: is not a known key (check the spelling)" in found


def test_default_source_name():
    with pytest.raises(ConfigError) as caught:
        parse_config("[]")
    assert caught.value.problems == [
        "<config>: the config must be a mapping of keys (see the example)"
    ]


# --- other validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "{name: SEV2,",
            "{name: 'SEV 2',",
            f"{SRC}:9: severities[1].name: 'SEV 2' does not have the expected form",
        ),
        (
            "outside_coverage: wait}\n  - {name: SEV4",
            "outside_coverage: never}\n  - {name: SEV4",
            f"{SRC}:10: severities[2].outside_coverage: Input should be 'page' or 'wait'",
        ),
        (
            "members: [U0CCC, U0DDD]",
            "members: [U0CCC, 'group:S0ABC']",
            f"{SRC}:21: rotations[1].members: group:S0ABC is not a person: members are user ids or e-mails",
        ),
        (
            "members: [U0CCC, U0DDD]",
            "members: [U0CCC, rotation:primary]",
            f"{SRC}:21: rotations[1].members: rotation:primary is not a person: members are user ids or e-mails",
        ),
        (
            "members: [U0CCC, U0DDD]",
            "members: [U0CCC, bob]",
            f"{SRC}:21: rotations[1].members[1]: 'bob' is not a target: use a Slack user id (U0ABC), an e-mail address, group:<user-group id> or rotation:<name>",
        ),
        (
            "members: [U0CCC, U0DDD]",
            "members: []",
            f"{SRC}:21: rotations[1].members: List should have at least 1 item after validation, not 0",
        ),
        (
            "    start: 2026-01-05T09:00\n    timezone",
            "    start: 2026-01-05T09:00:00+01:00\n    timezone",
            f"{SRC}:16: rotations[0].start: start is local time in the rotation's timezone; drop the offset",
        ),
        ("repeat: 1", "repeat: 11", f"{SRC}:29: repeat: Input should be less than or equal to 10"),
        (
            "repeat: 1",
            "repeat: -1",
            f"{SRC}:29: repeat: Input should be greater than or equal to 0",
        ),
        (
            "api: https://docs.example.com/ops/api",
            "api: docs.example.com/ops/api",
            f"{SRC}:31: runbooks.api: 'docs.example.com/ops/api' does not have the expected form",
        ),
        (
            "{days: mon-fri,",
            "{days: Mon-Fri,",
            f"{SRC}:19: rotations[0].coverage[0].days: 'Mon-Fri' does not have the expected form",
        ),
        (
            'from: "09:00"',
            'from: "9am"',
            f"{SRC}:19: rotations[0].coverage[0].from: '9am' does not have the expected form",
        ),
        (
            'to: "17:00"',
            'to: "25:00"',
            f"{SRC}:19: rotations[0].coverage[0].to: '25:00' does not have the expected form",
        ),
        (
            'notify: ["group:S0PRODUCT"]',
            "notify: []",
            f"{SRC}:27: escalation[2].notify: List should have at least 1 item after validation, not 0",
        ),
        (
            'notify: ["group:S0PRODUCT"]',
            'notify: ["group:product"]',
            f"{SRC}:27: escalation[2].notify[0]: 'group:product': a group is a Slack user-group id like S0PRODUCT",
        ),
        (
            'notify: ["group:S0PRODUCT"]',
            "notify: [42]",
            f'{SRC}:27: escalation[2].notify[0]: 42 is not a target (a quoted string like "@U0ABC")',
        ),
    ],
)
def test_field_validation(old, new, expected):
    assert problems(edit(old, new)) == [expected]


def test_coverage_until_midnight_is_allowed():
    config = parse_config(edit('to: "17:00"', 'to: "24:00"'), SRC)
    assert config.rotations[0].coverage[0].end == "24:00"


def test_coverage_past_midnight_is_rejected():
    [problem] = problems(edit('to: "17:00"', 'to: "24:30"'))
    assert "rotations[0].coverage[0].to: '24:30' does not have the expected form" in problem


def test_recursive_yaml_alias_is_a_config_error():
    found = problems("incident_channel: &a [*a]\nseverities: []\n")
    assert found[0].startswith(f"{SRC}:1: incident_channel: ")


def test_self_referencing_mapping_alias_is_a_config_error():
    found = problems("incident_channel: C0INCIDENTS\na: &x {b: *x}\n")
    assert f"{SRC}:2: a: is not a known key (check the spelling)" in found


def test_mapping_alias_reused_under_a_known_key_is_located():
    found = problems("incident_channel: &x {b: *x}\nseverities: []\n")
    assert found[0].startswith(f"{SRC}:1: incident_channel: ")


# --- lookups ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["SEV2", "sev2", "Sev2", "sEV2"])
def test_severity_lookup_is_case_insensitive(name):
    config = parse_config(BASE, SRC)
    assert config.severity(name) is config.severities[1]
    assert config.severity(name).ack_within == timedelta(hours=1)


def test_severity_lookup_of_unknown_name():
    config = parse_config(BASE, SRC)
    with pytest.raises(KeyError):
        config.severity("SEV9")


def test_policy_is_the_escalation_chain():
    config = parse_config(BASE, SRC)
    assert config.policy() == Policy(
        levels=(
            Level((Target("rotation", "primary"),)),
            Level((Target("rotation", "platform-ops"), Target("user", "U0LEAD"))),
            Level((Target("group", "S0PRODUCT"),), after=timedelta(minutes=30)),
        ),
        repeat=1,
    )
    assert config.policy().steps == 6


def test_policy_snapshot_survives_json():
    policy = parse_config(BASE, SRC).policy()
    snapshot = policy.to_json()
    assert snapshot["repeat"] == 1
    assert snapshot["levels"][2] == {"targets": ["group:S0PRODUCT"], "after": 1800}
    assert Policy.from_json(snapshot) == policy


def test_policy_snapshot_does_not_follow_a_new_config():
    old = parse_config(BASE, SRC).policy().to_json()
    parse_config(edit("repeat: 1", "repeat: 3"), SRC)  # a reload with another chain
    assert Policy.from_json(old).repeat == 1


def test_policy_without_escalation_is_empty():
    assert parse_config(MINIMAL, SRC).policy() is EMPTY


def test_example_policy_matches_design():
    policy = load_config(EXAMPLE).policy()
    assert policy.steps == len(policy.levels) * (policy.repeat + 1)
    assert Policy.from_json(policy.to_json()) == policy


def test_error_on_a_block_value_points_at_its_key():
    text = edit(
        "    members: [U0CCC, U0DDD]\n", "    members:\n      - U0CCC\n      - group:S0ABC\n"
    )
    assert problems(text) == [
        f"{SRC}:21: rotations[1].members: group:S0ABC is not a person: "
        "members are user ids or e-mails"
    ]


# --- teams and services ----------------------------------------------------------------------

TEAMS = BASE + textwrap.dedent(
    """\
    members: [U0AAA]
    teams:
      - name: payments
        members: [U0PAY, group:S0PAY]
        channel: C0PAYMENTS
        escalation:
          - notify: [rotation:primary]
    services:
      billing: {team: payments, runbook: https://docs.example.com/ops/billing}
      api: {runbook: https://docs.example.com/ops/api}
    alerts:
      routes:
        - {match: {alertname: DiskFull}, team: payments}
    """
)


def test_teams_services_and_routes_load():
    config = parse_config(TEAMS, SRC)
    assert config.team_names == ("default", "payments")
    assert config.owner("billing") == "payments" and config.owner("api") == "default"
    assert config.owner("billing", "default") == "default"  # a named team wins
    assert config.channel_of("payments") == "C0PAYMENTS"
    assert config.channel_of("default") == "C0INCIDENTS"
    assert config.runbook("billing") == "https://docs.example.com/ops/billing"
    assert config.runbook("api") == "https://docs.example.com/ops/api"  # in both, the same
    assert [str(t) for t in config.policy("payments").levels[0].targets] == ["rotation:primary"]
    assert config.policy().repeat == 1  # the default team's chain is the top-level one
    assert "user:U0PAY" in {str(t) for t in config.targets()}
    assert config.chain_rotations("payments") == ["primary"]
    assert config.unknown_team("Payments") is None
    assert config.unknown_team("finops") == "There is no team `finops`; teams: default, payments."
    assert config.team("Payments") is config.teams[0] and config.team().name == "default"
    assert config.known_team("payments") == "payments" and config.known_team(None) == "default"
    assert config.known_team("removed-since") == "default"
    with pytest.raises(KeyError):
        config.team("finops")


def test_each_team_broadcasts_to_its_own_channel_or_the_top_level_one():
    text = edit(
        "    channel: C0PAYMENTS\n",
        "    channel: C0PAYMENTS\n    broadcast_channel: C0PAYSTATUS\n",
        TEAMS,
    )
    config = parse_config(text, SRC)
    assert config.broadcast_channel_of("payments") == "C0PAYSTATUS"
    assert config.broadcast_channel_of("default") == "C0STATUS"
    assert config.broadcast_channel_of("removed-since") == "C0STATUS"  # reads as the default
    assert config.broadcast_channels == ["C0STATUS", "C0PAYSTATUS"]
    assert config.teams_broadcasting_to("C0STATUS") == ["default"]
    config = parse_config(edit("broadcast_channel: C0STATUS\n", "", text), SRC)
    assert config.broadcast_channel_of("default") is None  # no top-level one: not broadcast
    assert config.broadcast_channels == ["C0PAYSTATUS"]


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            "billing: {team: payments,",
            "billing: {team: finops,",
            "billing:",
            "services.billing.team: 'finops' is not one of the `teams`",
        ),
        (
            "      - notify: [rotation:primary]\nservices",
            "      - notify: [rotation:nightly]\nservices",
            "rotation:nightly",
            "teams[0].escalation[0].notify[0]: rotation:nightly names a rotation that is not "
            "in `rotations`",
        ),
        (
            "api: {runbook: https://docs.example.com/ops/api}",
            "api: {runbook: https://docs.example.com/ops/other}",
            "ops/other",
            "services.api.runbook: differs from runbooks.api (https://docs.example.com/ops/api): "
            "give the link in one place",
        ),
        (
            "{match: {alertname: DiskFull}, team: payments}",
            '{match_re: {instance: "db-(.*"}, team: payments}',
            "match_re",
            "alerts.routes[0].match_re.instance: is not a valid regex: missing ), unterminated "
            "subpattern at position 3",
        ),
        (
            "{match: {alertname: DiskFull}, team: payments}",
            "{match: {alertname: DiskFull}}",
            "DiskFull",
            "alerts.routes[0]: needs `team`, `service` or `severity`: where they go",
        ),
        (
            "members: [U0PAY, group:S0PAY]",
            "members: [U0PAY, rotation:primary]",
            "members: [U0PAY, rotation",
            "teams[0].members[1]: rotation:primary is a rotation; list people or user groups "
            "(`group:S…`)",
        ),
        (
            "members: [U0AAA]\nteams:",
            "members: [rotation:primary]\nteams:",
            "members: [rotation:primary]",
            "members[0]: rotation:primary is a rotation; list people or user groups (`group:S…`)",
        ),
        (
            "{match: {alertname: DiskFull}, team: payments}",
            "{match: {alertname: DiskFull}, severity: SEV9}",
            "DiskFull",
            "alerts.routes[0].severity: 'SEV9' is not one of the `severities`",
        ),
    ],
)
def test_team_and_service_mistakes_name_the_key(old, new, needle, message):
    text = edit(old, new, TEAMS)
    assert problems(text) == [f"{SRC}:{line_of(text, needle)}: {message}"]


def test_a_team_named_default_or_twice():
    text = edit("  - name: payments\n", "  - name: default\n", TEAMS)
    where = f"{SRC}:{line_of(text, '- name: default')}"
    assert f"{where}: teams[0].name: `default` is the top-level team's name; pick another" in (
        problems(text)
    )
    text = edit(
        "\nservices:\n",
        "\n  - name: payments\n    escalation: [{notify: ['@U0X']}]\nservices:\n",
        TEAMS,
    )
    second = [i for i, line in enumerate(text.splitlines(), 1) if "name: payments" in line][1]
    assert problems(text) == [
        f"{SRC}:{second}: teams[1].name: 'payments' is already the name of teams[0]"
    ]


def test_access_names_actions_and_roles_with_the_line():
    text = (
        BASE + "access:\n  resolve: team\n  reopen: [responders, rotation]\n  frobnicate: anyone\n"
    )
    found = problems(text)
    assert found == [
        f"{SRC}:{line_of(text, 'reopen:')}: access.reopen: 'rotation' is not a role for reopen; "
        "use anyone, responders, team, admins",
        f"{SRC}:{line_of(text, 'frobnicate')}: access.frobnicate: 'frobnicate' is not an action; "
        "use one of declare, update, acknowledge, escalate, severity_up, severity_down, resolve, "
        "reopen, assign, transfer, override, maintenance, maintenance_all, audit",
    ]
    assert problems(BASE + "access: {resolve: 3}\n")[0].endswith(
        "access.resolve: 3 is not a role or a list of roles"
    )
    config = parse_config(BASE + "access: {resolve: team, override: [rotation, admins]}\n", SRC)
    assert config.access == {"resolve": ["team"], "override": ["rotation", "admins"]}


def test_audit_retention_is_a_day_to_ten_years_or_off():
    assert parse_config(BASE + "audit: {keep: 400d}\n", SRC).audit.keep == timedelta(days=400)
    assert parse_config(BASE, SRC).audit.keep is None
    assert parse_config(BASE + "audit: {keep: off}\n", SRC).audit.keep is None
    assert problems(BASE + "audit: {keep: 2h}\n")[0].endswith(
        "audit.keep: the audit log keeps its rows for at least a day (e.g. 400d), or off"
    )
    assert problems(BASE + "audit: {keep: 4000d}\n")[0].endswith(
        "audit.keep: '4000d' is longer than 3650d"
    )
