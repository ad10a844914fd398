"""config/sandbox.yml: an ordinary Firebell config plus the `sandbox:` block."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config_source import ConfigError
from bot.sandbox import config as sandbox_config

SHIPPED = Path(__file__).parents[2] / "config" / "sandbox.yml"


def test_the_shipped_sandbox_config_loads():
    loaded = sandbox_config.load(SHIPPED)
    config, spec = loaded.config, loaded.spec
    assert [r.name for r in config.rotations] == ["primary", "platform-ops"]
    assert config.rotations[0].coverage, "the sandbox shows coverage hours"
    assert len(config.escalation) >= 2
    assert {p.id for p in spec.users} >= {"U0ALICE", "U0BOB", "U0LEAD"}
    assert spec.channels[config.incident_channel] == "incidents"


def test_sandbox_time_starts_before_mondays_handover_in_the_configs_zone():
    loaded = sandbox_config.load(SHIPPED)
    wednesday = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    start = loaded.spec.start_instant(loaded.config, wednesday)
    assert start == datetime(2026, 3, 2, 7, 50, tzinfo=UTC)  # Mon 08:50 CET, this week


def test_the_block_is_blanked_so_config_errors_keep_their_lines():
    text = SHIPPED.read_text().replace("ack_within: 10m", "ack_within: ten minutes")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "ten minutes" in t)
    with pytest.raises(ConfigError) as caught:
        sandbox_config.parse(text, "sandbox.yml")
    assert caught.value.problems[0].startswith(f"sandbox.yml:{line}: severities[1].ack_within")


def test_mistakes_in_the_block_name_their_line_and_key():
    text = SHIPPED.read_text().replace("name: alice,", "name: Alice Adams,")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "Alice Adams, real" in t)
    with pytest.raises(ConfigError) as caught:
        sandbox_config.parse(text, "sandbox.yml")
    assert caught.value.problems[0].startswith(f"sandbox.yml:{line}: sandbox.users[0].name")


def test_everyone_the_config_names_must_be_in_the_workspace():
    text = SHIPPED.read_text().replace("admins: [U0LEAD]", "admins: [U0NOBODY]")
    with pytest.raises(ConfigError) as caught:
        sandbox_config.parse(text, "sandbox.yml")
    assert caught.value.problems == [
        "sandbox.yml: U0NOBODY is named in the config but not in sandbox.users"
    ]
    no_block = SHIPPED.read_text().split("\nsandbox:")[0]
    with pytest.raises(ConfigError, match="no `sandbox:` block"):
        sandbox_config.parse(no_block, "sandbox.yml")


def test_a_self_referencing_alias_in_the_block_is_a_config_error_not_a_crash():
    text = SHIPPED.read_text().replace("sandbox:\n", "sandbox:\n  extra: &x {b: *x}\n", 1)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "extra:" in t)
    with pytest.raises(ConfigError) as caught:
        sandbox_config.parse(text, "sandbox.yml")
    assert caught.value.problems == [
        f"sandbox.yml:{line}: sandbox.extra: Extra inputs are not permitted"
    ]
