"""The YAML config (`config/firebell.yml`), validated at start-up.

Errors name the file, the line, the key path and what was expected, e.g.
`config/firebell.yml:14: severities[2].ack_within: '4 hours' is not a duration like 15m, 4h or 1d`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    field_validator,
)

from bot.config_source import ConfigError, KeyPath, locate, read_source, read_yaml
from bot.core.coverage import overlapping_windows, parse_window
from bot.core.durations import format_duration, parse_duration
from bot.core.escalation import EMPTY, Level, Policy
from bot.core.targets import Target, parse_target


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a duration like 15m, 4h or 1d")
    return parse_duration(value)


def _target(value: Any) -> Target:
    if isinstance(value, Target):
        return value
    if not isinstance(value, str):
        raise ValueError(f'{value!r} is not a target (a quoted string like "@U0ABC")')
    return parse_target(value)


def _channel(value: Any) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"[CG][A-Z0-9]{2,}", text):
        raise ValueError(
            f"{value!r} is not a channel id: use the id (C0...), not the name; in Slack, "
            "open the channel's details and copy the Channel ID at the bottom"
        )
    return text


def _zone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a tzdata directory
        raise ValueError(f"{value!r} is not an IANA time zone like Europe/Berlin") from None
    return str(value)


Duration = Annotated[timedelta, PlainValidator(_duration), PlainSerializer(format_duration)]
TargetRef = Annotated[Target, PlainValidator(_target), PlainSerializer(str)]
ChannelId = Annotated[str, PlainValidator(_channel)]
ZoneName = Annotated[str, PlainValidator(_zone)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Severity(_Model):
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,15}$")
    description: str = ""
    ack_within: Duration
    update_every: Duration
    page: list[TargetRef] = []
    outside_coverage: Literal["page", "wait"] = "page"


class CoverageWindow(_Model):
    days: str = Field(pattern=r"^[a-z]{3}(-[a-z]{3})?(,[a-z]{3}(-[a-z]{3})?)*$")
    start: str = Field(alias="from", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(alias="to", pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")


class Rotation(_Model):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    members: list[TargetRef] = Field(min_length=1)
    shift: Duration
    start: datetime
    timezone: ZoneName | None = None
    coverage: list[CoverageWindow] = []
    # the secret in this rotation's calendar URL; without it one is derived (see settings)
    calendar_token: str | None = Field(default=None, min_length=16, pattern=r"^[A-Za-z0-9_-]+$")

    @field_validator("members")
    @classmethod
    def _people_only(cls, members: list[Target]) -> list[Target]:
        for member in members:
            if member.kind not in ("user", "email"):
                raise ValueError(f"{member} is not a person: members are user ids or e-mails")
        return members

    @field_validator("start")
    @classmethod
    def _local(cls, start: datetime) -> datetime:
        if start.tzinfo is not None:
            raise ValueError("start is local time in the rotation's timezone; drop the offset")
        return start


class EscalationLevel(_Model):
    notify: list[TargetRef] = Field(min_length=1)
    after: Duration | None = None


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _optional_duration(value: Any) -> timedelta | None:
    """A duration, or `off` (YAML reads a bare `off` as false) to turn the thing off."""
    if value is None or value is False or (isinstance(value, str) and value.lower() == "off"):
        return None
    return _duration(value)


def _weekly(value: Any) -> str | None:
    """`mon 09:00`: a weekday and a local time; `off` turns it off."""
    if value is None or value is False or (isinstance(value, str) and value.lower() == "off"):
        return None
    text = " ".join(str(value).lower().split())
    if not re.fullmatch(r"(mon|tue|wed|thu|fri|sat|sun) ([01]\d|2[0-3]):[0-5]\d", text):
        raise ValueError(f"{value!r} is not a weekday and time like `mon 09:00`, or `off`")
    return text


OptionalDuration = Annotated[
    timedelta | None,
    PlainValidator(_optional_duration),
    PlainSerializer(lambda v: format_duration(v) if v else "off"),
]
Weekly = Annotated[str | None, PlainValidator(_weekly)]


class Broadcast(_Model):
    """What goes to `broadcast_channel`, written for support and customers."""

    # severities announced when declared; None: the two most severe
    declare: list[str] | None = None
    # a digest of all open incidents this often while an announced severity is open
    digest_every: OptionalDuration = timedelta(hours=2)
    # the weekly report: weekday and local time in `timezone`
    weekly_report: Weekly = "mon 09:00"

    def weekly_at(self) -> tuple[int, int, int] | None:
        """(weekday 0=Monday, hour, minute) of the weekly report, None when off."""
        if not self.weekly_report:
            return None
        day, clock = self.weekly_report.split()
        hour, minute = clock.split(":")
        return WEEKDAYS.index(day), int(hour), int(minute)


class Alerts(_Model):
    """How alerts from Alertmanager, Grafana and the generic webhook become incidents."""

    severity_label: str = Field(default="severity", min_length=1)  # the label naming severity
    # label value -> severity; default: critical, error, warning -> the 1st, 2nd, 3rd severity
    severities: dict[str, str] = {}
    default_severity: str | None = None  # for values not mapped; default: the least severe
    service_labels: list[str] = ["service"]  # the first one present gives the service
    tenant_labels: list[str] = ["tenant"]  # tenants, from every firing alert
    title: str | None = Field(default=None, min_length=1, max_length=300)  # "{alertname}: ..."
    open_incidents: list[str] | None = None  # severities that open incidents; None: all
    auto_resolve: bool = False  # an unacknowledged incident resolves with its alerts
    reopen_within: Duration = timedelta(hours=1)  # firing again this soon reopens it
    card_labels: list[str] = [
        "alertname",
        "instance",
        "job",
        "namespace",
        "cluster",
        "env",
        "region",
    ]


class MaintenanceWindow(_Model):
    """Alerts for `service` (omitted: every service) open no incident: once from `start` to
    `end`, or every week on `days` `from`-`to`; local times in `timezone`."""

    service: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    reason: str = Field(default="", max_length=300)
    start: datetime | None = None
    end: datetime | None = None
    days: str | None = None
    start_time: str | None = Field(default=None, alias="from")
    end_time: str | None = Field(default=None, alias="to")

    @field_validator("start", "end")
    @classmethod
    def _local(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            raise ValueError("local time in the config's timezone; drop the offset")
        return value


class Config(_Model):
    incident_channel: ChannelId
    broadcast_channel: ChannelId | None = None
    timezone: ZoneName = "UTC"
    severities: list[Severity] = Field(min_length=1)
    rotations: list[Rotation] = []
    escalation: list[EscalationLevel] = []
    repeat: int = Field(default=0, ge=0, le=10)
    runbooks: dict[str, Annotated[str, Field(pattern=r"^https?://\S+$")]] = {}
    admins: list[TargetRef] = []  # may set overrides on any rotation and maintenance for all
    alerts: Alerts = Alerts()
    maintenance: list[MaintenanceWindow] = []
    broadcast: Broadcast = Broadcast()
    # reacting with this emoji to a message in an incident thread adds it to the timeline
    timeline_emoji: str = Field(default="pushpin", pattern=r"^:?[a-z0-9_+'-]{1,64}:?$")

    @property
    def announced(self) -> tuple[str, ...]:
        """Severities announced in `broadcast_channel` at declaration (default: the top two)."""
        if self.broadcast.declare is None:
            return tuple(self.severity_names[:2])
        return tuple(self.severity(name).name for name in self.broadcast.declare)

    @property
    def reaction(self) -> str:
        """The timeline emoji as Slack names it in events (no colons)."""
        return self.timeline_emoji.strip(":")

    def severity(self, name: str) -> Severity:
        for severity in self.severities:
            if severity.name.upper() == name.upper():
                return severity
        raise KeyError(name)

    @property
    def severity_names(self) -> list[str]:
        return [s.name for s in self.severities]

    def policy(self) -> Policy:
        """The escalation chain as core sees it (snapshotted onto each incident)."""
        if not self.escalation:
            return EMPTY
        return Policy(
            levels=tuple(Level(tuple(lv.notify), lv.after) for lv in self.escalation),
            repeat=self.repeat,
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_config(path: Path | str) -> Config:
    text = read_source(path, "copy config/firebell.example.yml there and edit it")
    return parse_config(text, str(path))


def parse_config(text: str, source: str = "<config>") -> Config:
    data, lines = read_yaml(text, source)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([_describe(err, source, lines) for err in exc.errors()]) from None
    problems = [locate(loc, message, source, lines) for loc, message in _cross_checks(config)]
    if problems:
        raise ConfigError(problems)
    return config


def _cross_checks(config: Config) -> list[tuple[tuple[Any, ...], str]]:
    """Problems that span keys (names unique, references resolve), each with its key path."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    for kind, items in (("severities", config.severities), ("rotations", config.rotations)):
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            key = item.name.upper()
            if key in seen:
                problems.append(
                    ((kind, i, "name"), f"{item.name!r} is already the name of {kind}[{seen[key]}]")
                )
            seen.setdefault(key, i)
    rotations = {r.name for r in config.rotations}
    places = [
        (("severities", i, "page", j), t)
        for i, s in enumerate(config.severities)
        for j, t in enumerate(s.page)
    ]
    places += [
        (("escalation", i, "notify", j), t)
        for i, level in enumerate(config.escalation)
        for j, t in enumerate(level.notify)
    ]
    for loc, target in places:
        if target.kind == "rotation" and target.value not in rotations:
            problems.append((loc, f"{target} names a rotation that is not in `rotations`"))
    names = {s.name.upper() for s in config.severities}
    for i, name in enumerate(config.broadcast.declare or []):
        if name.upper() not in names:
            problems.append(
                (("broadcast", "declare", i), f"{name!r} is not one of the `severities`")
            )
    for i, rotation in enumerate(config.rotations):
        problems += _rotation_checks(i, rotation)
    problems += _alert_checks(config)
    return problems


def _alert_checks(config: Config) -> list[tuple[tuple[Any, ...], str]]:
    """`alerts:` names only configured severities; `maintenance:` windows that make sense."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    names = {s.name.upper() for s in config.severities}
    alerts = config.alerts
    named = [(("alerts", "severities", k), v) for k, v in alerts.severities.items()]
    named += [
        (("alerts", "open_incidents", i), v) for i, v in enumerate(alerts.open_incidents or [])
    ]
    if alerts.default_severity is not None:
        named.append((("alerts", "default_severity"), alerts.default_severity))
    for loc, name in named:
        if name.upper() not in names:
            problems.append((loc, f"{name!r} is not one of the `severities`"))
    for i, window in enumerate(config.maintenance):
        once = window.start is not None or window.end is not None
        weekly = any(v is not None for v in (window.days, window.start_time, window.end_time))
        if once == weekly:
            problems.append(
                (
                    ("maintenance", i),
                    "give either `start` and `end` (once) or `days`, `from` and `to` (weekly)",
                )
            )
        elif once:
            if window.start is None or window.end is None:
                key = "end" if window.end is None else "start"
                problems.append((("maintenance", i, key), "is required with a one-off window"))
            elif window.end <= window.start:
                problems.append((("maintenance", i, "end"), "must be after `start`"))
        else:
            missing = [
                k
                for k, v in (
                    ("days", window.days),
                    ("from", window.start_time),
                    ("to", window.end_time),
                )
                if v is None
            ]
            if missing:
                problems.append(
                    (("maintenance", i, missing[0]), "is required with a weekly window")
                )
            else:
                try:
                    parse_window(window.days, window.start_time, window.end_time)
                except ValueError as exc:
                    problems.append((("maintenance", i), str(exc)))
    return problems


def _rotation_checks(i: int, rotation: Rotation) -> list[tuple[tuple[Any, ...], str]]:
    """Members listed once; coverage windows that parse and do not overlap each other."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    first: dict[Target, int] = {}
    for j, member in enumerate(rotation.members):
        if member in first:
            problems.append(
                (
                    ("rotations", i, "members", j),
                    f"{member.value} is already rotations[{i}].members[{first[member]}]: "
                    "list each member once (a longer turn is a longer `shift`)",
                )
            )
        first.setdefault(member, j)
    windows = []
    for j, window in enumerate(rotation.coverage):
        try:
            windows.append((j, parse_window(window.days, window.start, window.end)))
        except ValueError as exc:
            problems.append((("rotations", i, "coverage", j), str(exc)))
    for (j, a), (k, b) in combinations(windows, 2):
        for overlap in overlapping_windows([a, b]):
            problems.append(
                (
                    ("rotations", i, "coverage", k),
                    f"overlaps rotations[{i}].coverage[{j}]: {overlap}",
                )
            )
    return problems


def _describe(err: dict[str, Any], source: str, lines: dict[KeyPath, int]) -> str:
    """A pydantic error as `file:line: key.path: message`, in the config's words."""
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        message = "is required"
    elif err["type"] == "extra_forbidden":
        message = "is not a known key (check the spelling)"
    elif err["type"] == "string_pattern_mismatch":
        message = f"{err.get('input')!r} does not have the expected form"
    return locate(loc, message, source, lines)
