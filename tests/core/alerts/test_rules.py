"""The `alerts:` rules applied to alert groups: severity, service, tenants and title."""

from __future__ import annotations

import pytest

from bot.core.alerts.payloads import parse_alertmanager
from bot.core.alerts.rules import Rules, render_title, service_of, tenants_of, title_of
from tests.support.alerts import alertmanager, am_alert

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
RULES = Rules(severities=SEVERITIES)


# -- severity, service, title -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "severity"),
    [
        ("critical", "SEV1"),
        ("CRITICAL", "SEV1"),
        ("error", "SEV2"),
        ("warning", "SEV3"),
        ("info", "SEV4"),
        (None, "SEV4"),
        ("sev2", "SEV2"),
        ("2", "SEV2"),
    ],
)
def test_default_severity_mapping(value, severity):
    assert RULES.severity(value) == severity


def test_default_mapping_with_fewer_severities_uses_the_least_severe():
    rules = Rules(severities=("P1", "P2"))
    assert [rules.severity(v) for v in ("critical", "error", "warning", "info")] == [
        "P1",
        "P2",
        "P2",
        "P2",
    ]


def test_configured_mapping_replaces_the_default():
    rules = Rules(
        severities=SEVERITIES, mapping={"page": "SEV1", "ticket": "SEV3"}, default_severity="SEV3"
    )
    assert rules.severity("page") == "SEV1"
    assert rules.severity("critical") == "SEV3"  # no longer mapped: the default
    assert rules.severity("sev2") == "SEV2"  # names still work


def test_service_and_tenants_come_from_labels():
    rules = Rules(severities=SEVERITIES, service_labels=("team", "service"))
    body = alertmanager(
        [
            am_alert("X", "f1", labels={"tenant": "acme"}),
            am_alert("X", "f2", labels={"tenant": "globex"}),
            am_alert("X", "f3", status="resolved", labels={"tenant": "initech"}),
        ]
    )
    notification = parse_alertmanager(body)
    assert service_of(notification, rules) == "api"
    assert tenants_of(notification, rules) == ("acme", "globex")  # firing ones only


def test_title_defaults_to_summary_then_description_then_alertname():
    assert render_title(None, {"summary": "Disk  full", "description": "d"}, {}) == "Disk full"
    assert render_title(None, {"description": "First line\nsecond"}, {}) == "First line"
    assert render_title(None, {}, {"alertname": "DiskFull"}) == "DiskFull"


def test_title_template_reads_annotations_then_labels():
    text = render_title(
        "{alertname} on {instance}: {summary}{missing}",
        {"summary": "97% used"},
        {"alertname": "DiskFull", "instance": "db-1"},
    )
    assert text == "DiskFull on db-1: 97% used"


def test_group_title_prefers_what_all_alerts_share_and_is_cut_to_150():
    body = alertmanager([am_alert("X", "f1", summary="one"), am_alert("X", "f2", summary="two")])
    body["commonAnnotations"] = {"summary": "API is failing " + "x" * 300}
    title = title_of(parse_alertmanager(body), RULES)
    assert title.startswith("API is failing") and len(title) == 150 and title.endswith("…")
    body["commonAnnotations"] = {}
    assert title_of(parse_alertmanager(body), RULES) == "one"
