"""Alerts from monitoring as plain data, and every decision about them. No I/O.

Three webhook bodies are read into one shape, a `Notification` of one alert group carrying
its `Alert`s: Alertmanager's webhook (version 4), Grafana's unified-alerting webhook (the same
shape plus `title`, `state`, `message` and per-alert dashboard, panel and silence URLs) and a
small generic body (`title`, `severity`, `dedup_key`, `status`, `service`, `tenant`,
`details`, `url`). A body that cannot be read raises `PayloadError` naming the field.

Grouping works on the stored state of each alert of a group (by fingerprint): `diff` says
which alerts of a notification are new or changed, so a notification delivered twice, or a
repeat carrying nothing new, changes nothing; an older notification delivered late cannot undo
a newer one (an alert's episode is ordered by its `startsAt`, and within one episode resolved
comes after firing). `decide` turns the changes, the group's incident and the rules of the
`alerts:` config into one action.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.core.coverage import Coverage as _Coverage
from bot.core.coverage import Window, intervals
from bot.core.rotation import resolve_local

FIRING, RESOLVED = "firing", "resolved"
SOURCES = {"alertmanager": "Alertmanager", "grafana": "Grafana", "generic": "Alert webhook"}
TITLE_MAX = 150  # as for incidents declared by people; alert titles are cut, not refused
DESCRIPTION_MAX = 2900
FINGERPRINT_MAX = 64
URL_MAX = 2000
VALUE_MAX = 1000  # a label or annotation value kept; longer ones are cut with "…"
ALERTS_MAX = 1000  # alerts in one notification
LINKS = ("source", "dashboard", "panel", "silence")
DEFAULT_CARD_LABELS = ("alertname", "instance", "job", "namespace", "cluster", "env", "region")
DEFAULT_SEVERITY_VALUES = ("critical", "error", "warning")  # -> the 1st, 2nd, 3rd severity


def actor_name(actor: str | None) -> str | None:
    """How an alert source that acted on an incident is named ("Alertmanager"), else None."""
    return SOURCES.get(actor or "")


class PayloadError(ValueError):
    """A body that cannot be used; `field` is the path of the offending key."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class Alert:
    fingerprint: str
    status: str  # firing | resolved
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    links: dict[str, str] = field(default_factory=dict)  # source/dashboard/panel/silence
    values: str | None = None  # Grafana's evaluated values, as text


@dataclass(frozen=True)
class Notification:
    source: str
    group_key: str
    status: str  # the group's status as the source said it
    alerts: tuple[Alert, ...]
    group_labels: dict[str, str] = field(default_factory=dict)
    common_labels: dict[str, str] = field(default_factory=dict)
    common_annotations: dict[str, str] = field(default_factory=dict)
    receiver: str = ""
    external_url: str | None = None
    title: str | None = None  # Grafana's and the generic body's own title
    truncated: int = 0  # alerts the source left out (max_alerts)
    severity: str | None = None  # generic: given outright
    service: str | None = None  # generic: given outright
    tenants: tuple[str, ...] = ()  # generic: given outright

    @property
    def key_hash(self) -> str:
        return hashlib.sha256(f"{self.source}\n{self.group_key}".encode()).hexdigest()


# -- reading bodies ---------------------------------------------------------------------------

_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:?\d{2})$"
)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(where, f"must be a JSON object, not {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _string(data: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise PayloadError(_join(where, key), "is required")
        return ""
    if not isinstance(value, str):
        raise PayloadError(_join(where, key), f"must be a string, not {_kind(value)}")
    if required and not value.strip():
        raise PayloadError(_join(where, key), "must not be empty")
    return value


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _strings(data: Mapping[str, Any], key: str, where: str) -> dict[str, str]:
    """A map of strings (labels, annotations); null or absent is empty."""
    value = data.get(key)
    path = _join(where, key)
    if value is None:
        return {}
    _object(value, path)
    out = {}
    for name, item in value.items():
        if not isinstance(item, str):
            raise PayloadError(f"{path}.{name}", f"must be a string, not {_kind(item)}")
        out[str(name)[:200]] = _clip(item, VALUE_MAX)
    return out


def parse_time(value: Any, where: str) -> datetime | None:
    """An RFC 3339 time; Go's zero time (`0001-01-01T00:00:00Z`) and empty mean unset."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PayloadError(where, f"must be an RFC 3339 time string, not {_kind(value)}")
    match = _TIME.match(value.strip())
    if not match:
        raise PayloadError(where, f"{_clip(value, 40)!r} is not an RFC 3339 time")
    day, clock, fraction, offset = match.groups()
    if day.startswith("0001-01-01"):
        return None
    micros = (fraction or "0")[:6].ljust(6, "0")
    offset = "+00:00" if offset in ("Z", "z") else offset
    if len(offset) == 5:
        offset = offset[:3] + ":" + offset[3:]
    try:
        parsed = datetime.fromisoformat(f"{day}T{clock}.{micros}{offset}")
    except ValueError:
        raise PayloadError(where, f"{_clip(value, 40)!r} is not a real time") from None
    return parsed.astimezone(UTC)


def safe_url(value: str | None) -> str | None:
    """An http(s) URL worth linking, else None (javascript:, relative paths, huge ones)."""
    if not value or len(value) > URL_MAX:
        return None
    text = value.strip()
    if any(c.isspace() or ord(c) < 32 for c in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def _status(value: str, where: str) -> str:
    lowered = value.strip().lower()
    if lowered not in (FIRING, RESOLVED):
        raise PayloadError(where, f"{_clip(value, 40)!r} is neither firing nor resolved")
    return lowered


def _fingerprint(given: str, labels: Mapping[str, str]) -> str:
    if given and len(given) <= FINGERPRINT_MAX:
        return given
    if given:
        return hashlib.sha256(given.encode()).hexdigest()[:32]
    # Alertmanager's fingerprint is a hash of the labels: the same labels, the same alert
    canonical = json.dumps(sorted(labels.items()), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _values(value: Any, where: str) -> str | None:
    """Grafana's `values` (an object of numbers) or `valueString`, as short text."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return _clip(value, 300)
    if isinstance(value, dict):
        parts = []
        for name, number in value.items():
            if not isinstance(number, int | float) or isinstance(number, bool):
                if number is None:
                    continue
                raise PayloadError(f"{where}.{name}", f"must be a number, not {_kind(number)}")
            parts.append(f"{name}={number:g}")
        return _clip(", ".join(parts), 300) or None
    raise PayloadError(where, f"must be an object of numbers, not {_kind(value)}")


def _alerts(data: Mapping[str, Any], *, grafana: bool) -> tuple[Alert, ...]:
    raw = data.get("alerts")
    if raw is None:
        raise PayloadError("alerts", "is required")
    if not isinstance(raw, list):
        raise PayloadError("alerts", f"must be a list, not {_kind(raw)}")
    if not raw:
        raise PayloadError("alerts", "must list at least one alert")
    if len(raw) > ALERTS_MAX:
        raise PayloadError("alerts", f"lists {len(raw)} alerts; at most {ALERTS_MAX} are taken")
    found: dict[str, Alert] = {}
    for i, item in enumerate(raw):
        where = f"alerts[{i}]"
        _object(item, where)
        labels = _strings(item, "labels", where)
        annotations = _strings(item, "annotations", where)
        status = _status(_string(item, "status", where, required=True), f"{where}.status")
        links = {"source": safe_url(_string(item, "generatorURL", where))}
        values = None
        if grafana:
            links["dashboard"] = safe_url(_string(item, "dashboardURL", where))
            links["panel"] = safe_url(_string(item, "panelURL", where))
            links["silence"] = safe_url(_string(item, "silenceURL", where))
            values = _values(item.get("values"), f"{where}.values")
            if values is None:
                values = _values(item.get("valueString"), f"{where}.valueString")
        alert = Alert(
            fingerprint=_fingerprint(_string(item, "fingerprint", where), labels),
            status=status,
            labels=labels,
            annotations=annotations,
            starts_at=parse_time(item.get("startsAt"), f"{where}.startsAt"),
            ends_at=parse_time(item.get("endsAt"), f"{where}.endsAt"),
            links={k: v for k, v in links.items() if v},
            values=values,
        )
        found[alert.fingerprint] = alert  # the same alert twice: the last one counts
    return tuple(found.values())


def _common(data: Mapping[str, Any], source: str, *, grafana: bool) -> Notification:
    _object(data, "body")
    status = _status(_string(data, "status", "", required=True), "status")
    group_key = _string(data, "groupKey", "", required=True)
    if grafana and isinstance(data.get("orgId"), int) and not isinstance(data["orgId"], bool):
        group_key = f"org {data['orgId']}: {group_key}"
    truncated = data.get("truncatedAlerts") or 0
    if not isinstance(truncated, int) or isinstance(truncated, bool) or truncated < 0:
        raise PayloadError("truncatedAlerts", "must be a whole number")
    return Notification(
        source=source,
        group_key=group_key,
        status=status,
        alerts=_alerts(data, grafana=grafana),
        group_labels=_strings(data, "groupLabels", ""),
        common_labels=_strings(data, "commonLabels", ""),
        common_annotations=_strings(data, "commonAnnotations", ""),
        receiver=_string(data, "receiver", ""),
        external_url=safe_url(_string(data, "externalURL", "")),
        title=_string(data, "title", "") or None if grafana else None,
        truncated=truncated,
    )


def parse_alertmanager(data: Any) -> Notification:
    """Alertmanager's webhook body, version 4; unknown keys are ignored."""
    if isinstance(data, dict) and "version" in data:
        version = data["version"]
        if not isinstance(version, str):
            raise PayloadError("version", f"must be a string, not {_kind(version)}")
        if version != "4":
            raise PayloadError("version", f"{_clip(version, 20)!r} is not supported; send 4")
    return _common(data, "alertmanager", grafana=False)


def parse_grafana(data: Any) -> Notification:
    """Grafana's unified-alerting webhook (Grafana 8 and later)."""
    if isinstance(data, dict) and "alerts" not in data and "ruleName" in data:
        raise PayloadError(
            "alerts",
            "is required: this looks like Grafana's legacy alerting webhook; "
            "use unified alerting (Grafana 8 and later)",
        )
    return _common(data, "grafana", grafana=True)


def parse_generic(data: Any) -> Notification:
    """The generic body: `{"title", "severity", "dedup_key", "status", "service", "tenant",
    "details", "url"}`. `dedup_key` names the group (default: the title)."""
    _object(data, "body")
    status = _status(_string(data, "status", "") or FIRING, "status")
    title = " ".join(_string(data, "title", "").split())
    dedup_key = _string(data, "dedup_key", "").strip()
    if not dedup_key and not title:
        raise PayloadError("title", "is required (or a dedup_key to resolve by)")
    if len(dedup_key) > 1000:
        raise PayloadError("dedup_key", "is longer than 1,000 characters")
    severity = _string(data, "severity", "").strip() or None
    service = _string(data, "service", "").strip().lower() or None
    if service and not _NAME.match(service):
        raise PayloadError(
            "service", "must be a name of letters, digits, '.', '-' and '_' (at most 64)"
        )
    tenants = _tenants(data.get("tenant"))
    details = _details(data.get("details"))
    url = _string(data, "url", "")
    link = safe_url(url) if url else None
    if url and link is None:
        raise PayloadError("url", "must be an http:// or https:// URL")
    annotations = {}
    if title:
        annotations["summary"] = _clip(title, VALUE_MAX)
    if details:
        annotations["description"] = details
    alert = Alert(
        fingerprint=_fingerprint(dedup_key or title, {}),
        status=status,
        labels={"alertname": _clip(title or dedup_key, 200)},
        annotations=annotations,
        links={"source": link} if link else {},
    )
    return Notification(
        source="generic",
        group_key=dedup_key or title,
        status=status,
        alerts=(alert,),
        title=title or None,
        severity=severity,
        service=service,
        tenants=tenants,
    )


def _tenants(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise PayloadError("tenant", f"must be a string or a list of strings, not {_kind(value)}")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise PayloadError(f"tenant[{i}]", f"must be a string, not {_kind(item)}")
        out += [t.strip()[:64] for t in item.split(",") if t.strip()]
    return tuple(dict.fromkeys(out))[:20]


def _details(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return _clip(value.strip(), VALUE_MAX)
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, dict | list):
                raise PayloadError(f"details.{key}", "must be a string, number or boolean")
            lines.append(f"{key}: {item}")
        return _clip("\n".join(lines), VALUE_MAX) or None
    raise PayloadError("details", f"must be a string or an object, not {_kind(value)}")


PARSERS = {
    "alertmanager": parse_alertmanager,
    "grafana": parse_grafana,
    "generic": parse_generic,
}


# -- the rules of the `alerts:` config ---------------------------------------------------------


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


def service_of(notification: Notification, rules: Rules) -> str | None:
    """The service a group is about (lower-case): the generic `service`, else the first of
    the service labels in the common labels, else in the first alert's."""
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
    return _clip(text, TITLE_MAX)


def description_of(notification: Notification) -> str | None:
    firing = [a for a in notification.alerts if a.status == FIRING] or list(notification.alerts)
    text = notification.common_annotations.get("description") or (
        firing[0].annotations.get("description") if firing else None
    )
    return _clip(text.strip(), DESCRIPTION_MAX) if text and text.strip() else None


# -- what a notification changes -----------------------------------------------------------


@dataclass(frozen=True)
class Known:
    """The stored state of one alert."""

    status: str
    starts_at: datetime | None


@dataclass(frozen=True)
class Change:
    """One alert of a notification that is new or changed: `kind` is `new` (first seen,
    firing), `firing` (firing again), `resolved`; `store` says whether to keep its state."""

    alert: Alert
    kind: str | None  # None: nothing to tell, but the stored state moves on
    severity: str

    @property
    def reported(self) -> bool:
        return self.kind is not None


def compare(known: Known | None, alert: Alert) -> tuple[bool, str | None]:
    """(whether the incoming alert is newer than what is stored, what to report)."""
    if known is None:
        return True, "new" if alert.status == FIRING else RESOLVED
    if alert.starts_at and known.starts_at and alert.starts_at != known.starts_at:
        if alert.starts_at < known.starts_at:
            return False, None  # an earlier episode, delivered late
        if alert.status == FIRING:  # a new episode
            return True, FIRING if known.status == RESOLVED else None
        return True, RESOLVED if known.status == FIRING else None
    if alert.status == known.status:
        return False, None  # a repeat or a duplicate delivery
    if alert.starts_at and known.starts_at and alert.status == FIRING:
        return False, None  # same episode, already resolved: this firing is older
    return True, alert.status


def diff(known: Mapping[str, Known], notification: Notification, rules: Rules) -> list[Change]:
    """The alerts of `notification` whose state moves on, in the order the source sent them."""
    out = []
    for alert in notification.alerts:
        newer, kind = compare(known.get(alert.fingerprint), alert)
        if newer:
            severity = alert_severity(alert, rules, notification.severity)
            out.append(Change(alert, kind, severity))
    return out


# -- what to do about it ----------------------------------------------------------------------

UNCHANGED = "unchanged"  # nothing new: a repeat, a duplicate, a late delivery
OPEN = "open"  # declare an incident for the group
REOPEN = "reopen"  # the group's incident was resolved a moment ago: reopen it
UPDATE = "update"  # a thread reply in the group's incident
POST = "post"  # a quiet post in the channel (a severity that opens no incident)
MAINTENANCE = "maintenance"  # a quiet post: the service is under maintenance
RECORD = "record"  # only resolved alerts of a group nobody was told about: keep, say nothing


@dataclass(frozen=True)
class Group:
    """What a decision needs to know about a group and its incident."""

    incident_id: int | None = None
    incident_status: str | None = None  # declared | acknowledged | resolved
    incident_resolved_at: datetime | None = None
    told: bool = False  # something was posted about this group before (quietly or not)


@dataclass(frozen=True)
class Decision:
    action: str
    all_resolved: bool = False  # every alert of the group is resolved now
    auto_resolve: bool = False  # and the incident resolves itself


def decide(
    group: Group,
    changes: Sequence[Change],
    firing_after: int,
    severity: str | None,
    rules: Rules,
    now: datetime,
    *,
    maintenance: bool,
) -> Decision:
    """One action for one notification.

    `firing_after`: alerts of the group still firing once the changes are stored;
    `severity`: the most severe of them (None when none fires)."""
    reported = [c for c in changes if c.reported]
    if not reported:
        return Decision(UNCHANGED)
    fired = any(c.kind in ("new", FIRING) for c in reported)
    all_resolved = firing_after == 0
    is_open = group.incident_id is not None and group.incident_status != "resolved"
    if is_open:
        auto = all_resolved and rules.auto_resolve and group.incident_status == "declared"
        return Decision(UPDATE, all_resolved, auto)
    if fired and firing_after:
        if maintenance:
            return Decision(MAINTENANCE)
        if severity is None or not rules.opens_incident(severity):
            return Decision(POST)
        resolved_at = group.incident_resolved_at
        if resolved_at is not None and now - resolved_at <= rules.reopen_within:
            return Decision(REOPEN)
        return Decision(OPEN)
    if group.incident_id is not None:  # resolved by a person while alerts still fired
        return Decision(UPDATE, all_resolved)
    if group.told:
        return Decision(MAINTENANCE if maintenance else POST, all_resolved)
    return Decision(RECORD, all_resolved)


def change_lines(changes: Sequence[Change]) -> list[dict[str, Any]]:
    """The reported changes as plain data to store and render later."""
    out = []
    for change in changes:
        if not change.reported:
            continue
        alert = change.alert
        line: dict[str, Any] = {
            "fingerprint": alert.fingerprint,
            "kind": change.kind,
            "name": _clip(alert_name(alert), 200),
            "severity": change.severity,
            "summary": _clip(
                render_title(None, alert.annotations, {}) or "", 300
            ),  # summary or description
            "labels": alert.labels,
            "links": alert.links,
        }
        if alert.values:
            line["values"] = alert.values
        out.append(line)
    return out


# -- maintenance windows ----------------------------------------------------------------------


@dataclass(frozen=True)
class Maintenance:
    """A span in which alerts for `service` (None: every service) open nothing."""

    starts_at: datetime
    ends_at: datetime
    service: str | None = None
    reason: str = ""
    id: int | None = None  # set with `/incident maintenance`; None: from the config
    key: str = ""  # a config window's occurrence: `config:<index>:<start>`
    created_by: str | None = None

    def covers(self, service: str | None, at: datetime) -> bool:
        if not self.starts_at <= at < self.ends_at:
            return False
        return self.service is None or self.service == service


@dataclass(frozen=True)
class ConfigWindow:
    """A `maintenance:` entry: once (`start`/`end`, naive local) or weekly (`window`)."""

    index: int
    service: str | None
    reason: str
    zone: ZoneInfo
    start: datetime | None = None
    end: datetime | None = None
    window: Window | None = None


def occurrences(
    windows: Iterable[ConfigWindow], start: datetime, end: datetime
) -> list[Maintenance]:
    """The config windows' occurrences that overlap [start, end), ordered by start."""
    out = []
    for spec in windows:
        spans: list[tuple[datetime, datetime]] = []
        if spec.window is not None:
            cov = _Coverage((spec.window,), spec.zone)
            # an occurrence lasts at most a day: look one back for one already running
            spans = _whole(cov, start - timedelta(days=2), end + timedelta(days=2))
        elif spec.start is not None and spec.end is not None:
            spans = [(resolve_local(spec.start, spec.zone), resolve_local(spec.end, spec.zone))]
        for s, e in spans:
            if s < end and e > start:
                out.append(
                    Maintenance(
                        s,
                        e,
                        spec.service,
                        spec.reason,
                        key=f"config:{spec.index}:{s.isoformat()}",
                    )
                )
    return sorted(out, key=lambda m: (m.starts_at, m.key))


def _whole(cov: _Coverage, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Whole occurrences of a one-window coverage within [start, end) (merged if touching)."""
    found = intervals(cov, start, end)
    return [(s, e) for s, e in found if s > start and e < end]


def under_maintenance(
    windows: Iterable[Maintenance], service: str | None, at: datetime
) -> Maintenance | None:
    """The window that covers `service` at `at` and ends last, if any."""
    found = [w for w in windows if w.covers(service, at)]
    return max(found, key=lambda w: w.ends_at) if found else None
