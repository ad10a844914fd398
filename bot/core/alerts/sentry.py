"""Sentry's webhooks read into a `Notification`: issue alerts, metric alerts, resolved issues.

Sentry's integration platform (docs.sentry.io/organization/integrations/integration-platform/
webhooks/) sends, named by the `Sentry-Hook-Resource` header:
- `event_alert`, an issue alert rule's action: `action: triggered`, the event in `data.event`
  (`title`, `level`, `project` (the numeric id), `issue_id`, `url` (the API URL, naming the
  project's slug), `web_url`, `culprit`), the rule's name in `data.triggered_rule`;
- `metric_alert`: `action` `critical`, `warning` or `resolved`, `data.metric_alert` (its
  `alert_rule` with `id`, `name` and `projects` (slugs), `date_started`),
  `data.description_title`, `data.description_text`, `data.web_url`;
- `issue`: only `action: resolved` is an alert (the issue's group resolves), with `data.issue`
  (`id`, `project` {`id`, `slug`}, `title`, `level`, `web_url`). Its other actions and the
  other resources (`installation`, `comment`, `error`, ...) are no alert: `parse` returns None.

A group is one Sentry issue (its alert and its resolve share it) or one metric alert rule. The
service comes from `alerts.sentry_projects` (a slug or a numeric id), the severity from the
level through `alerts.sentry_levels` over the defaults below; both are written as the labels
the `alerts:` rules read, so everything after parsing is as for any other source. Without the
header the resource is told by the body's shape. The signature is checked before this runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.core.alerts.payloads import (
    FIRING,
    RESOLVED,
    VALUE_MAX,
    Alert,
    Notification,
    PayloadError,
    _join,
    _kind,
    _object,
    _string,
    clip,
    parse_time,
    safe_url,
)
from bot.core.alerts.rules import DEFAULT_SEVERITY_VALUES, Rules

SOURCE = "sentry"
ID_MAX = 64  # characters of an issue, rule or project id; Sentry's are numbers
LABEL_MAX = 200
# a level's rank among the severities, most severe first; a metric alert's `critical` and
# `warning` read as levels too; anything else (info, debug, ...) is the least severe
LEVEL_RANKS = {"fatal": 0, "critical": 0, "error": 1, "warning": 2}
METRIC_ACTIONS = ("critical", "warning", "resolved")

_ISSUE_IN_URL = re.compile(r"/issues/(\d{1,20})(?:/|$)")
_PROJECT_IN_API_URL = re.compile(r"/projects/[^/]+/([^/]+)/")


def severity_of(level: str | None, rules: Rules) -> str:
    """The severity a Sentry level stands for: `alerts.sentry_levels` first, else fatal (and a
    metric alert's critical) the most severe, error the 2nd, warning the 3rd, anything else
    the least severe, clamped to the severities there are."""
    wanted = (level or "").strip().lower()
    if wanted in rules.sentry_levels:
        return rules.sentry_levels[wanted]
    severities = rules.severities
    if wanted in LEVEL_RANKS:
        return severities[min(LEVEL_RANKS[wanted], len(severities) - 1)]
    return severities[-1]


def severity_label(severity: str, rules: Rules) -> str:
    """A value of the severity label that the rules read back as `severity`: its own name,
    unless `alerts.severities` maps that name elsewhere (then a value mapped to it)."""
    digits = re.sub(r"^\D+", "", severity)
    candidates = (severity, digits, *rules.mapping, *DEFAULT_SEVERITY_VALUES)
    return next((c for c in candidates if c and rules.severity(c) == severity), severity)


def service_of(projects: Iterable[str], rules: Rules) -> str | None:
    """The service of the first of a Sentry alert's projects (slugs, then numeric ids) named
    in `sentry_projects`."""
    for project in projects:
        service = rules.sentry_projects.get(project) or rules.sentry_projects.get(project.lower())
        if service:
            return service
    return None


# -- reading ----------------------------------------------------------------------------------


def _required(data: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        raise PayloadError(_join(where, key), "is required")
    return _object(value, _join(where, key))


def _id(data: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    """An id Sentry sends as a string or a number ("1117540176" or 1)."""
    value = data.get(key)
    path = _join(where, key)
    if value is None or value == "":
        if required:
            raise PayloadError(path, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PayloadError(path, f"must be a string or a whole number, not {_kind(value)}")
    text = str(value).strip()
    if not text:
        raise PayloadError(path, "must not be empty")
    if len(text) > ID_MAX:
        raise PayloadError(path, f"is longer than {ID_MAX} characters")
    return text


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    """An optional string, whitespace collapsed ("" when absent or null)."""
    return " ".join(_string(data, key, where).split())


def _slugs(data: Mapping[str, Any], key: str, where: str) -> list[str]:
    """A list of project slugs (a metric alert's `projects`); absent or null is empty."""
    value = data.get(key)
    path = _join(where, key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(path, f"must be a list of strings, not {_kind(value)}")
    out = []
    for i, item in enumerate(value[:100]):
        if not isinstance(item, str):
            raise PayloadError(f"{path}[{i}]", f"must be a string, not {_kind(item)}")
        if item.strip():
            out.append(item.strip()[:ID_MAX])
    return out


def _projects_in_urls(*urls: str) -> tuple[list[str], list[str]]:
    """Projects named in Sentry's URLs: (slugs in API URLs, `/api/0/projects/<org>/<slug>/
    events/...`; the values of `?project=` parameters, ids in Sentry's web URLs)."""
    slugs, params = [], []
    for url in urls:
        if not url or len(url) > 2000:
            continue
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            continue
        match = _PROJECT_IN_API_URL.search(parts.path)
        if match:
            slugs.append(match[1][:ID_MAX])
        params += [p.strip()[:ID_MAX] for p in parse_qs(parts.query).get("project", []) if p]
    return slugs, params


def _labels(
    rules: Rules,
    name: str,
    projects: list[str],
    level: str | None,
    severity: str | None,
    **extra: str,
) -> dict[str, str]:
    """The labels the `alerts:` rules read: the project (its slug when known), the severity
    under `severity_label`, the service (when a project is mapped) under the first of
    `service_labels`."""
    labels = {"alertname": clip(name, LABEL_MAX)}
    if projects:
        labels["project"] = clip(projects[0], LABEL_MAX)
    if level:
        labels["level"] = clip(level, LABEL_MAX)
    labels.update({k: clip(v, LABEL_MAX) for k, v in extra.items() if v})
    if severity:
        labels[rules.severity_label] = severity_label(severity, rules)
    service = service_of(projects, rules)
    if service and rules.service_labels:
        labels[rules.service_labels[0]] = service
    return labels


def _notification(key: str, alert: Alert, title: str | None) -> Notification:
    return Notification(
        source=SOURCE, group_key=key, status=alert.status, alerts=(alert,), title=title
    )


def _issue_alert(action: str, data: dict[str, Any], rules: Rules) -> Notification:
    """An issue alert rule fired for an event of an issue."""
    if action != "triggered":
        raise PayloadError("action", f"{clip(action, 40)!r} is not an issue alert's `triggered`")
    where = "data.event"
    event = _required(data, "event", "data")
    url = _string(event, "url", where)
    web_url = _string(event, "web_url", where)
    issue_url = _string(event, "issue_url", where)
    issue = _id(event, "issue_id", where, required=False)
    if issue is None:  # older payloads: only in the issue's URL
        match = _ISSUE_IN_URL.search(issue_url) or _ISSUE_IN_URL.search(web_url)
        if match is None:
            raise PayloadError(f"{where}.issue_id", "is required")
        issue = match[1]
    title = _text(event, "title", where) or f"Sentry issue {issue}"
    level = _text(event, "level", where).lower()
    project = _id(event, "project", where, required=False)
    slugs, params = _projects_in_urls(url, web_url)
    projects = [p for p in (*slugs, project, *params) if p]  # the slug first, as issues name it
    severity = severity_of(level, rules)
    labels = _labels(
        rules, title, projects, level, severity, env=_text(event, "environment", where)
    )
    details = (
        [f"Sentry alert rule: {rule}"] if (rule := _text(data, "triggered_rule", "data")) else []
    )
    if culprit := _text(event, "culprit", where):
        details.append(f"Culprit: {culprit}")
    alert = _alert(issue, FIRING, labels, title, "\n".join(details), web_url)
    return _notification(f"issue {issue}", alert, title)


def _issue(action: str, data: dict[str, Any], rules: Rules) -> Notification | None:
    """An issue webhook: resolved resolves the issue's group; the rest is no alert."""
    if action != RESOLVED:
        return None
    where = "data.issue"
    issue = _required(data, "issue", "data")
    issue_id = _id(issue, "id", where)
    title = _text(issue, "title", where) or f"Sentry issue {issue_id}"
    level = _text(issue, "level", where).lower()
    projects: list[str] = []
    if issue.get("project") is not None:
        project = _object(issue["project"], f"{where}.project")
        slug = _text(project, "slug", f"{where}.project")
        number = _id(project, "id", f"{where}.project", required=False)
        projects = [p for p in (slug[:ID_MAX], number) if p]
    web_url = _string(issue, "web_url", where) or _string(issue, "permalink", where)
    labels = _labels(rules, title, projects, level, severity_of(level, rules))
    alert = _alert(issue_id, RESOLVED, labels, title, "", web_url)
    return _notification(f"issue {issue_id}", alert, title)


def _metric_alert(action: str, data: dict[str, Any], rules: Rules) -> Notification:
    """A metric alert rule went critical, warning or back to resolved."""
    if action not in METRIC_ACTIONS:
        raise PayloadError(
            "action", f"{clip(action, 40)!r} is not one of critical, warning and resolved"
        )
    where = "data.metric_alert"
    metric = _required(data, "metric_alert", "data")
    rule = _required(metric, "alert_rule", where)
    rule_id = _id(rule, "id", f"{where}.alert_rule")
    name = _text(rule, "name", f"{where}.alert_rule") or f"Sentry metric alert {rule_id}"
    title = _text(data, "description_title", "data") or name
    projects = _slugs(rule, "projects", f"{where}.alert_rule") or _slugs(metric, "projects", where)
    firing = action != RESOLVED
    level = action if firing else None
    labels = _labels(rules, name, projects, level, severity_of(level, rules) if firing else None)
    alert = Alert(
        fingerprint=f"metric-alert-{rule_id}",
        status=FIRING if firing else RESOLVED,
        labels=labels,
        annotations=_annotations(title, _string(data, "description_text", "data").strip()),
        starts_at=parse_time(metric.get("date_started"), f"{where}.date_started"),
        links=_links(_string(data, "web_url", "data")),
    )
    return _notification(f"metric alert {rule_id}", alert, title)


def _annotations(title: str, description: str) -> dict[str, str]:
    annotations = {"summary": clip(title, VALUE_MAX)}
    if description:
        annotations["description"] = clip(description, VALUE_MAX)
    return annotations


def _links(url: str) -> dict[str, str]:
    link = safe_url(url)
    return {"source": link} if link else {}


def _alert(
    issue: str, status: str, labels: dict[str, str], title: str, description: str, url: str
) -> Alert:
    """The one alert of an issue's group; no start time, so firing and resolved alternate
    (a repeat of the alert while the issue fires changes nothing)."""
    return Alert(
        fingerprint=f"issue-{issue}",
        status=status,
        labels=labels,
        annotations=_annotations(title, description),
        links=_links(url),
    )


READERS = {"event_alert": _issue_alert, "issue": _issue, "metric_alert": _metric_alert}


def _resource_of(body: Mapping[str, Any]) -> str:
    """The resource a body is about when no header says so, told by its shape."""
    data = _required(body, "data", "")
    for key, resource in (("event", "event_alert"), ("metric_alert", "metric_alert")):
        if key in data:
            return resource
    if "issue" in data:
        return "issue"
    raise PayloadError("data", "holds no event, metric_alert or issue: not a Sentry alert")


def parse(data: Any, rules: Rules, resource: str | None = None) -> Notification | None:
    """A Sentry webhook body (`resource`: its `Sentry-Hook-Resource` header, if sent) as a
    notification, or None for a webhook that is no alert (an issue created or assigned, an
    installation); raises `PayloadError` naming the field of a body that cannot be read."""
    body = _object(data, "body")
    kind = (resource or "").strip().lower() or _resource_of(body)
    if kind not in READERS:
        return None
    action = _string(body, "action", "", required=True).strip().lower()
    return READERS[kind](action, _required(body, "data", ""), rules)
