"""The config's `heartbeats:`: durations in Firebell's format (seconds allowed), defaults, and
each mistake named by its key path."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import parse_config
from bot.config_source import ConfigError
from tests.support.harness import CONFIG


def with_heartbeats(section: str):
    return parse_config(CONFIG + "heartbeats:\n" + section, "cfg.yml")


def problems(section: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        with_heartbeats(section)
    return [problem.split(": ", 1)[1] for problem in caught.value.problems]


def test_none_by_default_and_seconds_allowed():
    assert parse_config(CONFIG).heartbeats == []
    [beat] = with_heartbeats("  - {name: cron_backup-1, every: 30s}\n").heartbeats
    assert (beat.every, beat.grace, beat.allowed) == (
        timedelta(seconds=30),
        timedelta(minutes=1),
        timedelta(seconds=90),
    )
    assert beat.severity is None and beat.team is None and beat.alertmanager is None


def test_a_name_that_is_not_lowercase_letters_digits_dash_or_underscore_is_refused():
    found = problems("  - {name: Nightly Backup, every: 5m}\n")
    assert len(found) == 1 and found[0].startswith("heartbeats[0].name:")


def test_names_and_watched_alerts_are_unique_and_references_resolve():
    found = problems(
        "  - {name: a, every: 5m, alertmanager: Watchdog}\n"
        "  - {name: a, every: 5m, alertmanager: Watchdog, team: nope, severity: P9}\n"
    )
    assert found == [
        "heartbeats[1].name: 'a' is already heartbeats[0]",
        "heartbeats[1].alertmanager: heartbeats[0] already counts it",
        "heartbeats[1].team: There is no team `nope`; teams: default.",
        "heartbeats[1].severity: 'P9' is not one of the `severities`",
    ]


def test_every_must_be_a_duration():
    found = problems("  - {name: a, every: 0m}\n")
    assert len(found) == 1 and found[0].startswith("heartbeats[0].every:")
