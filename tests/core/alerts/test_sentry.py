"""Sentry's webhooks read into notifications the `alerts:` rules route like any other source:
issue alerts, metric alerts and resolved issues; projects by slug or id; levels to severities;
and what is refused, naming the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.alerts import sentry
from bot.core.alerts.bodies import read_json
from bot.core.alerts.grouping import diff
from bot.core.alerts.payloads import VALUE_MAX, Notification, PayloadError
from bot.core.alerts.rules import (
    TITLE_MAX,
    Route,
    Rules,
    alert_severity,
    description_of,
    service_of,
    team_of,
    title_of,
)
from tests.support.sentry import issue, issue_alert, metric_alert

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")


def rules(severities=SEVERITIES, **given: Any) -> Rules:
    given.setdefault("sentry_projects", {"front-end": "web", "42": "api"})
    return Rules.defaults(severities, **given)


def read(body: Any, resource: str | None = None, **given: Any) -> Notification:
    found = sentry.parse(body, rules(**given), resource)
    assert found is not None
    return found


def severity(notification: Notification, given_rules: Rules) -> str:
    """The severity the existing rules give the notification's alert."""
    [change] = diff({}, notification, given_rules)
    assert change.severity == alert_severity(notification.alerts[0], given_rules)
    return change.severity


def error_of(body: Any, resource: str | None = None) -> PayloadError:
    with pytest.raises(PayloadError) as caught:
        sentry.parse(body, rules(), resource)
    return caught.value


# -- issue alerts -----------------------------------------------------------------------------


def test_an_issue_alert_is_a_firing_alert_of_its_issue():
    found = read(issue_alert(), "event_alert")
    used = rules()
    assert (found.source, found.status, found.group_key) == ("sentry", "firing", "issue 1117540176")
    [alert] = found.alerts
    assert alert.fingerprint == "issue-1117540176" and alert.status == "firing"
    assert alert.starts_at is None  # a repeat of the alert while the issue fires changes nothing
    assert alert.labels == {
        "alertname": "ReferenceError: heck is not defined",
        "project": "front-end",
        "level": "error",
        "severity": "SEV2",
        "service": "web",  # the slug in the event's API URL is mapped
    }
    assert title_of(found, used) == "ReferenceError: heck is not defined"
    assert description_of(found) == (
        "Sentry alert rule: Very Important Alert Rule!\nCulprit: ?(<anonymous>)"
    )
    assert alert.links == {
        "source": "https://sentry.io/organizations/test-org/issues/1117540176/events/"
        "e4874d664c3540c1a32eab185f12c5ab/"
    }
    assert service_of(found, used) == "web"
    assert severity(found, used) == "SEV2"


def test_the_project_is_found_by_its_numeric_id_or_by_its_slug():
    by_id = read(issue_alert(project=42, slug="unmapped"))
    assert service_of(by_id, rules()) == "api"
    by_slug = read(issue_alert(project=7, slug="front-end"))
    assert service_of(by_slug, rules()) == "web"
    unmapped = read(issue_alert(project=7, slug="back-office"))
    assert service_of(unmapped, rules()) is None
    assert "service" not in unmapped.alerts[0].labels
    # the slug wins when both are mapped, and is the `project` label, as issues name it
    both = read(issue_alert(project=42, slug="front-end"))
    assert service_of(both, rules()) == "web"
    assert both.alerts[0].labels["project"] == "front-end"
    without_slug = issue_alert(project=42)
    del without_slug["data"]["event"]["url"]
    assert read(without_slug).alerts[0].labels["project"] == "42"


def test_the_project_parameter_of_a_web_url_names_the_project_too():
    body = issue_alert(project=7, slug="x")
    event = body["data"]["event"]
    del event["project"], event["url"]
    event["web_url"] = "https://test-org.sentry.io/issues/1117540176/events/e48/?project=42"
    found = read(body)
    assert service_of(found, rules()) == "api"
    assert found.alerts[0].links["source"] == event["web_url"]


def test_the_service_goes_under_the_first_service_label_and_the_severity_under_its_label():
    used = rules(service_labels=("app", "service"), severity_label="priority")
    found = sentry.parse(issue_alert(level="fatal"), used)
    labels = found.alerts[0].labels
    assert labels["app"] == "web" and "service" not in labels
    assert labels["priority"] == "SEV1" and "severity" not in labels
    assert service_of(found, used) == "web"
    assert severity(found, used) == "SEV1"


def test_alert_routes_match_the_labels_of_sentry_alerts():
    route = Route.of({"project": "bar"}, {"level": "crit.*"}, team="payments", severity="SEV2")
    used = rules(routes=(route,), sentry_projects={"bar": "billing"})
    critical = sentry.parse(metric_alert("critical"), used)
    assert (team_of(critical, used), service_of(critical, used)) == ("payments", "billing")
    assert severity(critical, used) == "SEV2"  # the route's severity comes first
    warning = sentry.parse(metric_alert("warning"), used)
    assert team_of(warning, used) is None and severity(warning, used) == "SEV3"


def test_the_issue_id_is_taken_from_the_issue_url_when_the_event_has_none():
    body = issue_alert(issue_id="98765")
    del body["data"]["event"]["issue_id"]
    assert read(body).group_key == "issue 98765"
    del body["data"]["event"]["issue_url"], body["data"]["event"]["web_url"]
    assert error_of(body).field == "data.event.issue_id"


def test_missing_optional_fields_are_tolerated():
    body = {"action": "triggered", "data": {"event": {"issue_id": 5}}}
    found = read(body)
    [alert] = found.alerts
    assert found.group_key == "issue 5" and alert.fingerprint == "issue-5"
    assert title_of(found, rules()) == "Sentry issue 5"
    assert alert.labels == {"alertname": "Sentry issue 5", "severity": "SEV4"}
    assert alert.links == {} and description_of(found) is None


# -- levels -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("fatal", "SEV1"),
        ("error", "SEV2"),
        ("warning", "SEV3"),
        ("info", "SEV4"),
        ("debug", "SEV4"),
        ("", "SEV4"),
        ("Error", "SEV2"),
        ("something-new", "SEV4"),
    ],
)
def test_levels_map_to_severities_by_default(level, expected):
    used = rules()
    found = sentry.parse(issue_alert(level=level), used)
    assert sentry.severity_of(level, used) == expected
    assert severity(found, used) == expected


@pytest.mark.parametrize(
    ("severities", "expected"),
    [
        (("P1", "P2"), {"fatal": "P1", "error": "P2", "warning": "P2", "info": "P2"}),
        (("ONLY",), {"fatal": "ONLY", "error": "ONLY", "warning": "ONLY", "info": "ONLY"}),
    ],
)
def test_fewer_severities_clamp(severities, expected):
    used = rules(severities)
    for level, wanted in expected.items():
        assert severity(sentry.parse(issue_alert(level=level), used), used) == wanted


def test_sentry_levels_override_the_defaults():
    used = rules(sentry_levels={"info": "SEV3", "fatal": "SEV2"})
    for level, wanted in (
        ("info", "SEV3"),
        ("fatal", "SEV2"),
        ("error", "SEV2"),
        ("debug", "SEV4"),
    ):
        assert severity(sentry.parse(issue_alert(level=level), used), used) == wanted


def test_the_severity_survives_an_alerts_severities_mapping_that_reuses_its_name():
    # `alerts.severities` maps a label value "sev1" elsewhere and "page" to SEV1: the label
    # written is one the rules read back as the severity Sentry's level stands for
    used = rules(mapping={"sev1": "SEV3", "1": "SEV3", "page": "SEV1"})
    found = sentry.parse(issue_alert(level="fatal"), used)
    assert found.alerts[0].labels["severity"] == "page"
    assert severity(found, used) == "SEV1"


# -- metric alerts ----------------------------------------------------------------------------


def test_a_metric_alert_fires_by_its_rule_and_resolves():
    used = rules(sentry_projects={"bar": "billing"})
    critical = sentry.parse(metric_alert("critical"), used, "metric_alert")
    warning = sentry.parse(metric_alert("warning"), used, "metric_alert")
    resolved = sentry.parse(metric_alert("resolved"), used, "metric_alert")
    assert {n.key_hash for n in (critical, warning, resolved)} == {critical.key_hash}
    assert critical.group_key == "metric alert 7"
    assert [n.status for n in (critical, warning, resolved)] == ["firing", "firing", "resolved"]
    [alert] = critical.alerts
    assert alert.fingerprint == "metric-alert-7"
    assert alert.starts_at == datetime(2020, 9, 13, 12, 26, 40, tzinfo=UTC)
    assert alert.labels == {
        "alertname": "Too many errors",
        "project": "bar",
        "level": "critical",
        "severity": "SEV1",
        "service": "billing",
    }
    assert alert.links == {"source": "https://sentry.io/organizations/baz/alerts/1/"}
    assert title_of(critical, used) == "Critical: Too many errors"
    assert description_of(critical) == "1000 events in the last 10 minutes\nFilter: level:error"
    assert severity(critical, used) == "SEV1"
    assert severity(warning, used) == "SEV3"
    assert resolved.alerts[0].status == "resolved" and "level" not in resolved.alerts[0].labels
    assert service_of(resolved, used) == "billing"


def test_metric_alert_levels_can_be_overridden():
    used = rules(sentry_levels={"critical": "SEV2", "warning": "SEV4"})
    assert severity(sentry.parse(metric_alert("critical"), used), used) == "SEV2"
    assert severity(sentry.parse(metric_alert("warning"), used), used) == "SEV4"


def test_a_metric_alert_without_a_title_is_named_by_its_rule():
    body = metric_alert()
    del body["data"]["description_title"], body["data"]["description_text"]
    del body["data"]["web_url"], body["data"]["metric_alert"]["date_started"]
    found = read(body)
    assert title_of(found, rules()) == "Too many errors"
    assert found.alerts[0].starts_at is None and found.alerts[0].links == {}


# -- issues -----------------------------------------------------------------------------------


def test_a_resolved_issue_resolves_the_group_of_its_alert():
    fired = read(issue_alert(), "event_alert")
    done = read(issue(), "issue")
    assert done.key_hash == fired.key_hash
    [alert] = done.alerts
    assert (done.status, alert.status) == ("resolved", "resolved")
    assert alert.fingerprint == fired.alerts[0].fingerprint
    assert alert.labels["project"] == "front-end" and alert.labels["service"] == "web"
    assert alert.links == {"source": "https://sentry.io/organizations/test-org/issues/1117540176/"}


def test_a_resolved_issue_finds_its_project_by_id_too():
    done = read(issue(project_id="42", slug="unmapped"))
    assert service_of(done, rules()) == "api"


@pytest.mark.parametrize("action", ["created", "assigned", "archived", "unresolved", "ignored"])
def test_other_issue_actions_are_no_alert(action):
    assert sentry.parse(issue(action), rules(), "issue") is None
    assert sentry.parse(issue(action), rules()) is None  # told by the shape, no header


@pytest.mark.parametrize("resource", ["installation", "comment", "error", "seer", "Installation"])
def test_other_resources_are_no_alert(resource):
    body = {"action": "created", "data": {"installation": {"uuid": "x"}}, "installation": {}}
    assert sentry.parse(body, rules(), resource) is None


def test_the_resource_header_wins_over_the_shape_and_is_read_in_any_case():
    assert sentry.parse(issue_alert(), rules(), "Event_Alert") is not None
    assert sentry.parse(issue_alert(), rules(), "installation") is None


# -- refused ----------------------------------------------------------------------------------


def event_with(**changes: Any) -> dict:
    body = issue_alert()
    body["data"]["event"].update(changes)
    return body


@pytest.mark.parametrize(
    ("body", "resource", "field", "reason"),
    [
        ([], None, "body", "must be a JSON object"),
        ({"action": "triggered"}, None, "data", "is required"),
        ({"action": "triggered", "data": []}, None, "data", "must be a JSON object"),
        ({"action": "created", "data": {"x": 1}}, None, "data", "not a Sentry alert"),
        ({"data": {"event": {"issue_id": "1"}}}, None, "action", "is required"),
        ({"action": 3, "data": {"event": {"issue_id": "1"}}}, None, "action", "must be a string"),
        ({"action": "triggered"}, "event_alert", "data", "is required"),
        (
            {"action": "triggered", "data": {"triggered_rule": "x"}},
            "event_alert",
            "data.event",
            "is required",
        ),
        ({"action": "triggered", "data": {"event": "x"}}, None, "data.event", "must be a JSON"),
        (
            {**issue_alert(), "action": "fired"},
            None,
            "action",
            "is not an issue alert's `triggered`",
        ),
        (event_with(title=["x"]), None, "data.event.title", "must be a string, not a list"),
        (event_with(level=40), None, "data.event.level", "must be a string, not a number"),
        (event_with(project={"id": 1}), None, "data.event.project", "must be a string or a whole"),
        (event_with(project=True), None, "data.event.project", "not a boolean"),
        (event_with(issue_id=[1]), None, "data.event.issue_id", "must be a string or a whole"),
        (event_with(issue_id=1.5), None, "data.event.issue_id", "not a number"),
        (event_with(issue_id="9" * 65), None, "data.event.issue_id", "longer than 64"),
        (event_with(issue_id="  "), None, "data.event.issue_id", "must not be empty"),
        (event_with(web_url={"u": 1}), None, "data.event.web_url", "must be a string"),
        (
            {**issue_alert(), "data": {**issue_alert()["data"], "triggered_rule": 1}},
            None,
            "data.triggered_rule",
            "must be a string",
        ),
        ({**metric_alert(), "action": "open"}, None, "action", "critical, warning and resolved"),
        (
            {"action": "critical", "data": {"metric_alert": {}}},
            None,
            "data.metric_alert.alert_rule",
            "is required",
        ),
        (
            {"action": "critical", "data": {"metric_alert": {"alert_rule": {"name": "x"}}}},
            None,
            "data.metric_alert.alert_rule.id",
            "is required",
        ),
        (
            {
                "action": "critical",
                "data": {"metric_alert": {"alert_rule": {"id": 7, "projects": "bar"}}},
            },
            None,
            "data.metric_alert.alert_rule.projects",
            "must be a list of strings",
        ),
        (
            {
                "action": "critical",
                "data": {"metric_alert": {"alert_rule": {"id": 7, "projects": ["a", 2]}}},
            },
            None,
            "data.metric_alert.alert_rule.projects[1]",
            "must be a string",
        ),
        (
            {
                "action": "critical",
                "data": {"metric_alert": {"alert_rule": {"id": 7}, "date_started": "yesterday"}},
            },
            None,
            "data.metric_alert.date_started",
            "is not an RFC 3339 time",
        ),
        ({"action": "resolved", "data": {"issue": None}}, "issue", "data.issue", "is required"),
        (
            {"action": "resolved", "data": {"issue": {"title": "x"}}},
            None,
            "data.issue.id",
            "is required",
        ),
        (
            {"action": "resolved", "data": {"issue": {"id": "1", "project": "front-end"}}},
            None,
            "data.issue.project",
            "must be a JSON object",
        ),
        (
            {"action": "resolved", "data": {"issue": {"id": "1", "project": {"slug": 5}}}},
            None,
            "data.issue.project.slug",
            "must be a string",
        ),
    ],
)
def test_bodies_that_cannot_be_understood_are_refused_naming_the_field(
    body, resource, field, reason
):
    error = error_of(body, resource)
    assert error.field == field, error
    assert reason in error.problem, error
    assert str(error).startswith(f"{field}: ")


def test_huge_strings_are_cut_not_refused():
    huge = "x" * 300_000
    body = issue_alert(title=huge, level="warning" + huge, rule=huge)
    body["data"]["event"]["culprit"] = huge
    body["data"]["event"]["web_url"] = "https://sentry.io/" + huge
    body["data"]["event"]["url"] = "https://sentry.io/api/0/projects/o/" + huge + "/events/1/"
    found = read(body)
    [alert] = found.alerts
    assert len(title_of(found, rules())) == TITLE_MAX
    assert all(len(v) <= 200 for v in alert.labels.values())
    assert all(len(v) <= VALUE_MAX for v in alert.annotations.values())
    assert alert.links == {}  # a link that long is dropped
    assert sentry.severity_of(alert.labels["level"], rules()) == "SEV4"
    metric = metric_alert(name=huge, projects=[huge] * 10_000)
    metric["data"]["description_text"] = huge
    found = read(metric)
    assert len(title_of(found, rules())) == TITLE_MAX
    assert len(found.alerts[0].labels["project"]) <= 200


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(["event", "issue", "metric_alert", "alert_rule", "project", "id"])


@settings(max_examples=300, deadline=None)
@given(
    action=st.sampled_from(["triggered", "critical", "warning", "resolved", "created"]) | JSON,
    data=st.dictionaries(KEYS, JSON | st.dictionaries(KEYS | st.text(max_size=8), JSON)),
    resource=st.sampled_from([None, "event_alert", "metric_alert", "issue", "installation"]),
)
def test_any_body_is_read_or_refused_naming_a_field(action, data, resource):
    body = {"action": action, "data": data}
    try:
        found = sentry.parse(read_json(json.dumps(body).encode()), rules(), resource)
    except PayloadError as exc:
        assert exc.field and exc.problem
        return
    if found is not None:
        assert found.source == "sentry" and len(found.alerts) == 1
        title_of(found, rules())
        service_of(found, rules())
