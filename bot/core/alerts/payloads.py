"""Webhook bodies from monitoring read into one shape: a `Notification` of one alert group.

Three bodies are read: Alertmanager's webhook (version 4), Grafana's unified-alerting webhook
(the same shape plus `title`, `state`, `message` and per-alert dashboard, panel and silence
URLs) and a small generic body (`title`, `severity`, `dedup_key`, `status`, `service`,
`tenant`, `details`, `url`). A body that cannot be read raises `PayloadError` naming the
field; text, links and lists are cut to the limits below rather than refused. The raw bytes
are JSON first (`bodies.read_json`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

FIRING, RESOLVED = "firing", "resolved"
FINGERPRINT_MAX = 64
URL_MAX = 2000
VALUE_MAX = 1000  # a label or annotation value kept; longer ones are cut with "…"
ALERTS_MAX = 1000  # alerts in one notification


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

    @functools.cached_property  # read twice or more per notification
    def key_hash(self) -> str:
        return hashlib.sha256(f"{self.source}\n{self.group_key}".encode()).hexdigest()


_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:?\d{2})$"
)
_GO_ZERO = "0001-01-01T00:00:00Z"  # as Alertmanager sends it; other spellings are parsed
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
# whitespace (as str.isspace() has it) or a control character: never inside a link; one
# search, where a per-character scan cost every notification ~30 µs (two links an alert)
_NOT_IN_URL = re.compile(r"[\s\x00-\x1f]")


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


def clip(text: str, size: int) -> str:
    """`text` cut to `size` characters, the last one "…" when cut."""
    return text if len(text) <= size else text[: size - 1] + "…"


def _strings(data: Mapping[str, Any], key: str, where: str) -> dict[str, str]:
    """A map of strings (labels, annotations); null or absent is empty. Each name is cut to
    200 characters, each value to `VALUE_MAX` (inline: every alert has two such maps)."""
    value = data.get(key)
    if value is None:
        return {}
    _object(value, _join(where, key))
    out = {}
    for name, item in value.items():
        if not isinstance(item, str):
            raise PayloadError(
                f"{_join(where, key)}.{name}", f"must be a string, not {_kind(item)}"
            )
        if len(item) > VALUE_MAX:
            item = clip(item, VALUE_MAX)
        out[name if type(name) is str and len(name) <= 200 else str(name)[:200]] = item
    return out


def parse_time(value: Any, where: str) -> datetime | None:
    """An RFC 3339 time; Go's zero time (`0001-01-01T00:00:00Z`) and empty mean unset."""
    if value is None or value == "" or value == _GO_ZERO:  # every firing alert's endsAt
        return None
    if not isinstance(value, str):
        raise PayloadError(where, f"must be an RFC 3339 time string, not {_kind(value)}")
    match = _TIME.match(value.strip())
    if not match:
        raise PayloadError(where, f"{clip(value, 40)!r} is not an RFC 3339 time")
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
        raise PayloadError(where, f"{clip(value, 40)!r} is not a real time") from None
    return parsed.astimezone(UTC)


def safe_url(value: str | None) -> str | None:
    """An http(s) URL worth linking, else None (javascript:, relative paths, huge ones)."""
    if not value or len(value) > URL_MAX:
        return None
    text = value.strip()
    if _NOT_IN_URL.search(text):
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
        raise PayloadError(where, f"{clip(value, 40)!r} is neither firing nor resolved")
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
        return clip(value, 300)
    if isinstance(value, dict):
        parts = []
        for name, number in value.items():
            if not isinstance(number, int | float) or isinstance(number, bool):
                if number is None:
                    continue
                raise PayloadError(f"{where}.{name}", f"must be a number, not {_kind(number)}")
            try:
                parts.append(f"{name}={number:g}")
            except OverflowError:  # an integer past what a float holds
                raise PayloadError(f"{where}.{name}", "is too large a number") from None
        return clip(", ".join(parts), 300) or None
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
            raise PayloadError("version", f"{clip(version, 20)!r} is not supported; send 4")
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
        annotations["summary"] = clip(title, VALUE_MAX)
    if details:
        annotations["description"] = details
    alert = Alert(
        fingerprint=_fingerprint(dedup_key or title, {}),
        status=status,
        labels={"alertname": clip(title or dedup_key, 200)},
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
        return clip(value.strip(), VALUE_MAX)
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, dict | list):
                raise PayloadError(f"details.{key}", "must be a string, number or boolean")
            lines.append(f"{key}: {item}")
        return clip("\n".join(lines), VALUE_MAX) or None
    raise PayloadError("details", f"must be a string or an object, not {_kind(value)}")


PARSERS = {
    "alertmanager": parse_alertmanager,
    "grafana": parse_grafana,
    "generic": parse_generic,
}
