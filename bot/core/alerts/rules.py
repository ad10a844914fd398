"""The `alerts:` config applied to an alert group: its severity, service, tenants and title.

`Rules` is built from the config; the functions here read a `Notification` through them. A
severity comes from a label (mapped, or a severity's own name), the service and tenants from
the first configured label present, and the incident title from a template or the alerts'
own summary, description or name. A `Route` that matches an alert's labels comes first: it
names the team, the service and/or the severity outright.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.core.alert_sources import SOURCES
from bot.core.alerts.payloads import FIRING, Alert, Notification, clip

TITLE_MAX = 150  # as for incidents declared by people; alert titles are cut, not refused
DESCRIPTION_MAX = 2900
DEFAULT_CARD_LABELS = ("alertname", "instance", "job", "namespace", "cluster", "env", "region")
DEFAULT_SEVERITY_VALUES = ("critical", "error", "warning")  # -> the 1st, 2nd, 3rd severity


@dataclass(frozen=True)
class Route:
    """`alerts.routes[i]`: labels equal to `match` and fully matching `match_re` route the
    alert to `team`, `service` and/or `severity`."""

    match: Mapping[str, str] = field(default_factory=dict)
    match_re: Mapping[str, re.Pattern[str]] = field(default_factory=dict)
    team: str | None = None
    service: str | None = None
    severity: str | None = None
    private: bool = False  # its incidents open in the private channel

    @classmethod
    def of(cls, match: Mapping[str, str], match_re: Mapping[str, str], **to: Any) -> Route:
        patterns = {label: re.compile(pattern) for label, pattern in match_re.items()}
        return cls(dict(match), patterns, **to)

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match.items()) and all(
            p.fullmatch(labels.get(k, "")) for k, p in self.match_re.items()
        )


def route_of(labels: Mapping[str, str], rules: Rules) -> Route | None:
    """The first route the labels match, if any."""
    return next((r for r in rules.routes if r.matches(labels)), None)


@dataclass(frozen=True)
class Rules:
    """How alerts become incidents; built from the `alerts:` section of the config."""

    severities: tuple[str, ...]  # the config's, most severe first
    severity_label: str = "severity"
    mapping: Mapping[str, str] = field(default_factory=dict)  # label value (lower) -> severity
    default_severity: str | None = None  # None: the least severe
    service_labels: tuple[str, ...] = ("service",)
    tenant_labels: tuple[str, ...] = ("tenant",)
    title: str | None = None  # template like "{alertname} on {instance}"
    incident_severities: frozenset[str] | None = None  # None: every severity opens one
    auto_resolve: bool = False
    reopen_within: timedelta = timedelta(hours=1)
    card_labels: tuple[str, ...] = DEFAULT_CARD_LABELS
    routes: tuple[Route, ...] = ()
    sentry_projects: Mapping[str, str] = field(default_factory=dict)  # slug or id -> service
    sentry_levels: Mapping[str, str] = field(default_factory=dict)  # level (lower) -> severity

    @classmethod
    def defaults(cls, severities: Sequence[str], **given: Any) -> Rules:
        return cls(severities=tuple(severities), **given)

    def severity(self, value: str | None) -> str:
        """The severity a label value (or a generic body's `severity`) stands for.

        The mapping first (default: critical, error and warning to the first three
        severities), then a severity's own name (`SEV2`, `sev2`, `2`), else the default."""
        least = self.default_severity or self.severities[-1]
        if not value:
            return least
        wanted = value.strip().lower()
        mapping = self.mapping or {
            name: self.severities[min(i, len(self.severities) - 1)]
            for i, name in enumerate(DEFAULT_SEVERITY_VALUES)
        }
        if wanted in mapping:
            return mapping[wanted]
        for name in self.severities:
            if name.lower() == wanted or (wanted.isdigit() and re.sub(r"^\D+", "", name) == wanted):
                return name
        return least

    def rank(self, severity: str | None) -> int:
        try:
            return self.severities.index(severity or "")
        except ValueError:
            return len(self.severities)

    def opens_incident(self, severity: str) -> bool:
        return self.incident_severities is None or severity in self.incident_severities


def alert_severity(alert: Alert, rules: Rules, given: str | None = None) -> str:
    route = route_of(alert.labels, rules)
    if route is not None and route.severity:
        return route.severity
    return rules.severity(given or alert.labels.get(rules.severity_label))


def alert_name(alert: Alert) -> str:
    return alert.labels.get("alertname") or alert.annotations.get("summary") or alert.fingerprint


def most_severe(severities: Iterable[str], rules: Rules) -> str | None:
    ordered = sorted(severities, key=rules.rank)
    return ordered[0] if ordered else None


def _first(names: Sequence[str], *maps: Mapping[str, str]) -> str | None:
    for name in names:
        for values in maps:
            if values.get(name, "").strip():
                return values[name].strip()
    return None


def _group_labels(notification: Notification) -> dict[str, str]:
    """What a group's routes match: its first alert's labels under the common labels."""
    first = notification.alerts[0].labels if notification.alerts else {}
    return {**first, **notification.common_labels}


def team_of(notification: Notification, rules: Rules) -> str | None:
    """The team a route names for the group (None: its service's owner decides)."""
    route = route_of(_group_labels(notification), rules)
    return route.team if route else None


def private_of(notification: Notification, rules: Rules) -> bool:
    """Does a route make the group's incident private?"""
    route = route_of(_group_labels(notification), rules)
    return route is not None and route.private


def service_of(notification: Notification, rules: Rules) -> str | None:
    """The service a group is about (lower-case): a route's, else the generic `service`,
    else the first of the service labels in the common labels, else in the first alert's."""
    route = route_of(_group_labels(notification), rules)
    if route is not None and route.service:
        return route.service
    if notification.service:
        return notification.service
    first = notification.alerts[0].labels if notification.alerts else {}
    found = _first(rules.service_labels, notification.common_labels, first)
    return found.lower()[:64] if found else None


def tenants_of(notification: Notification, rules: Rules) -> tuple[str, ...]:
    if notification.tenants:
        return notification.tenants
    found = []
    for alert in notification.alerts:
        if alert.status == FIRING:
            value = _first(rules.tenant_labels, alert.labels)
            if value:
                found += [t.strip() for t in value.split(",") if t.strip()]
    return tuple(dict.fromkeys(found))[:20]


_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def render_title(
    template: str | None, annotations: Mapping[str, str], labels: Mapping[str, str]
) -> str:
    """A title from a template (`{name}`: that annotation, else that label, else empty), or
    by default the `summary` annotation, then `description` (its first line), then the
    `alertname` label. Whitespace is collapsed."""
    if template:
        text = _FIELD.sub(lambda m: annotations.get(m[1]) or labels.get(m[1]) or "", template)
    else:
        description = (annotations.get("description") or "").strip().splitlines()
        text = (
            annotations.get("summary")
            or (description[0] if description else "")
            or labels.get("alertname")
            or ""
        )
    return " ".join(text.split())


def title_of(notification: Notification, rules: Rules) -> str:
    """The incident title of a group: from what all its alerts share, else from its first
    firing alert, else the source's own title; cut to 150 characters."""
    firing = [a for a in notification.alerts if a.status == FIRING] or list(notification.alerts)
    first = firing[0] if firing else None
    merged_annotations = {**(first.annotations if first else {}), **notification.common_annotations}
    merged_labels = {**(first.labels if first else {}), **notification.common_labels}
    text = render_title(rules.title, merged_annotations, merged_labels)
    text = text or " ".join((notification.title or "").split())
    text = text or f"Alert from {SOURCES.get(notification.source, notification.source)}"
    return clip(text, TITLE_MAX)


def description_of(notification: Notification) -> str | None:
    firing = [a for a in notification.alerts if a.status == FIRING] or list(notification.alerts)
    text = notification.common_annotations.get("description") or (
        firing[0].annotations.get("description") if firing else None
    )
    return clip(text.strip(), DESCRIPTION_MAX) if text and text.strip() else None
