"""The config's Sentry keys: `alerts.sentry_projects` and `alerts.sentry_levels`, read and
checked at start-up, each mistake named by line and key path."""

from __future__ import annotations

import pytest

from bot.config import parse_config
from bot.config_source import ConfigError
from bot.core.alerts import sentry
from bot.services.alert_rules import rules_from
from tests.support.harness import CONFIG

LINES = CONFIG.count("\n")  # the `alerts:` section below starts on the next line


def with_alerts(section: str):
    return parse_config(CONFIG + "alerts:\n" + section, "cfg.yml")


def test_sentry_keys_are_optional_and_empty_by_default():
    config = parse_config(CONFIG)
    assert config.alerts.sentry_projects == {} and config.alerts.sentry_levels == {}


def test_projects_by_slug_or_numeric_id_quoted_or_not_and_levels_in_any_case():
    config = with_alerts(
        """\
  sentry_projects:
    front-end: web
    4505281256090153: payments
    "42": api
  sentry_levels: {Info: sev3, fatal: SEV2}
"""
    )
    assert config.alerts.sentry_projects == {
        "front-end": "web",
        "4505281256090153": "payments",
        "42": "api",
    }
    rules = rules_from(config)
    assert rules.sentry_levels == {"info": "SEV3", "fatal": "SEV2"}  # as the config names them
    assert sentry.severity_of("INFO", rules) == "SEV3"
    assert sentry.severity_of("fatal", rules) == "SEV2"
    assert sentry.severity_of("error", rules) == "SEV2"
    assert sentry.service_of(["4505281256090153"], rules) == "payments"


def test_a_level_naming_no_severity_is_refused_naming_the_key():
    with pytest.raises(ConfigError) as caught:
        with_alerts("  sentry_levels:\n    fatal: SEV1\n    info: P5\n")
    assert caught.value.problems == [
        f"cfg.yml:{LINES + 4}: alerts.sentry_levels.info: 'P5' is not one of the `severities`"
    ]


def test_a_project_mapped_to_something_that_is_no_service_name_is_refused():
    with pytest.raises(ConfigError) as caught:
        with_alerts("  sentry_projects:\n    front-end: Web Frontend\n")
    [problem] = caught.value.problems
    assert problem.startswith(f"cfg.yml:{LINES + 3}: alerts.sentry_projects.front-end: ")
    assert "'Web Frontend' does not have the expected form" in problem
