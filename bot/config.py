"""The YAML config (`config/firebell.yml`), validated at start-up.

Errors name the file, the line, the key path and what was expected, e.g.
`config/firebell.yml:14: severities[2].ack_within: '4 hours' is not a duration like 15m, 4h or 1d`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    Field,
    ValidationError,
    field_validator,
)

from bot.config_checks import cross_checks
from bot.config_heartbeats import Heartbeat
from bot.config_paging import Paging, Person
from bot.config_source import ConfigError, KeyPath, locate, read_source, read_yaml, substitute
from bot.config_values import (
    SERVICE,
    WEEKDAYS,
    ChannelId,
    Duration,
    Model,
    OptionalDuration,
    Retention,
    Roles,
    TargetRef,
    Weekly,
    ZoneName,
)
from bot.core.escalation import EMPTY, Level, Policy
from bot.core.targets import Target


class Severity(Model):
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,15}$")
    description: str = ""
    ack_within: Duration
    update_every: Duration
    page: list[TargetRef] = []
    outside_coverage: Literal["page", "wait"] = "page"


class CoverageWindow(Model):
    days: str = Field(pattern=r"^[a-z]{3}(-[a-z]{3})?(,[a-z]{3}(-[a-z]{3})?)*$")
    start: str = Field(alias="from", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(alias="to", pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")


class Rotation(Model):
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


class EscalationLevel(Model):
    notify: list[TargetRef] = Field(min_length=1)
    after: Duration | None = None


class Broadcast(Model):
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


class AuditLog(Model):
    """How long the audit log keeps its rows (`off`, the default: forever)."""

    keep: Retention = None

    @field_validator("keep")
    @classmethod
    def _at_least_a_day(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value < timedelta(days=1):
            raise ValueError("the audit log keeps its rows for at least a day (e.g. 400d), or off")
        return value


NAME = r"^[a-z0-9][a-z0-9_-]{0,31}$"  # team names: lowercase letters, digits, - and _
Url = Annotated[str, Field(pattern=r"^https?://\S+$")]
DEFAULT_TEAM = "default"  # the team of the top-level `incident_channel` and `escalation`


class AlertRoute(Model):
    """Labels -> team, service and/or severity; the first route that matches wins.
    `match`: label equality; `match_re`: a regex over the whole label value (as Alertmanager
    anchors it)."""

    match: dict[str, str] = {}
    match_re: dict[str, str] = {}
    team: str | None = None
    service: str | None = Field(default=None, pattern=SERVICE)
    severity: str | None = None
    private: bool = False  # its incidents open in `private_channel`


class Alerts(Model):
    """How alerts from Alertmanager, Grafana, Sentry and the generic webhook become incidents."""

    routes: list[AlertRoute] = []  # tried in order before the labels

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
    # Sentry project slug or numeric id -> service; Sentry level -> severity (default: fatal,
    # error, warning -> the 1st, 2nd, 3rd severity, anything else the least severe)
    sentry_projects: dict[str, Annotated[str, Field(pattern=SERVICE)]] = {}
    sentry_levels: dict[str, str] = {}

    @field_validator("sentry_projects", mode="before")
    @classmethod
    def _project_ids(cls, value: Any) -> Any:
        """A numeric project id may be written unquoted (YAML reads it as a number)."""
        if not isinstance(value, dict):
            return value
        return {str(k) if type(k) is int else k: v for k, v in value.items()}


class MaintenanceWindow(Model):
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


class Team(Model):
    """A team: who belongs, where its incidents open, and whom they page."""

    name: str = Field(pattern=NAME)
    members: list[TargetRef] = []  # users or user groups (`group:S0...`)
    channel: ChannelId | None = None  # default: the top-level `incident_channel`
    broadcast_channel: ChannelId | None = None  # default: the top-level one
    escalation: list[EscalationLevel] = Field(min_length=1)
    repeat: int = Field(default=0, ge=0, le=10)
    private: bool = False  # its incidents open in `private_channel`


class Service(Model):
    """Who owns a service (omitted: the default team) and where its runbook is."""

    team: str | None = None
    runbook: Url | None = None


class Config(Model):
    incident_channel: ChannelId
    broadcast_channel: ChannelId | None = None
    private_channel: ChannelId | None = None  # where private incidents open (a private channel)
    timezone: ZoneName = "UTC"
    severities: list[Severity] = Field(min_length=1)
    rotations: list[Rotation] = []
    escalation: list[EscalationLevel] = []
    repeat: int = Field(default=0, ge=0, le=10)
    runbooks: dict[str, Url] = {}
    admins: list[TargetRef] = []  # may set overrides on any rotation and maintenance for all
    members: list[TargetRef] = []  # the default team's members
    teams: list[Team] = []
    services: dict[Annotated[str, Field(pattern=SERVICE)], Service] = {}
    alerts: Alerts = Alerts()
    maintenance: list[MaintenanceWindow] = []
    broadcast: Broadcast = Broadcast()
    audit: AuditLog = AuditLog()
    # who may do what, per action (bot.core.access.DEFAULTS); admins may always
    access: dict[str, Roles] = {}
    people: list[Person] = []  # how each person is reached outside Slack, and their rules
    paging: Paging = Paging()
    heartbeats: list[Heartbeat] = []  # pipelines that must check in (dead man's switches)
    # reacting with this emoji to a message in an incident thread adds it to the timeline
    timeline_emoji: str = Field(default="pushpin", pattern=r"^:?[a-z0-9_+'-]{1,64}:?$")

    @functools.cached_property
    def announced(self) -> tuple[str, ...]:
        """Severities announced in `broadcast_channel` at declaration (default: the top two)."""
        if self.broadcast.declare is None:
            return self.severity_names[:2]
        return tuple(self.severity(name).name for name in self.broadcast.declare)

    @property
    def reaction(self) -> str:
        """The timeline emoji as Slack names it in events (no colons)."""
        return self.timeline_emoji.strip(":")

    def severity(self, name: str) -> Severity:
        """A severity by name, any case; KeyError when unknown."""
        return self._severities[name.upper()]

    @functools.cached_property
    def _severities(self) -> dict[str, Severity]:
        """Severities by upper-cased name, built once (the config is frozen; every
        declaration, card and broadcast asks)."""
        return {s.name.upper(): s for s in self.severities}

    @functools.cached_property
    def severity_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.severities)

    def policy(self, team: str | None = None) -> Policy:
        """A team's escalation chain as core sees it (snapshotted onto each incident)."""
        return self._policies[self.team(team).name]

    @functools.cached_property
    def _policies(self) -> dict[str, Policy]:
        """Every team's chain, built once (the config is frozen; every declaration asks)."""
        found = {}
        for name in self.team_names:
            chosen = self.team(name)
            levels = tuple(Level(tuple(lv.notify), lv.after) for lv in chosen.escalation)
            found[name] = Policy(levels=levels, repeat=chosen.repeat) if levels else EMPTY
        return found

    @functools.cached_property
    def _default_team(self) -> Team:
        """The top-level settings as a team, built once (the config is frozen)."""
        return Team.model_construct(
            name=DEFAULT_TEAM,
            members=self.members,
            channel=self.incident_channel,
            broadcast_channel=self.broadcast_channel,
            escalation=self.escalation,
            repeat=self.repeat,
        )

    def team(self, name: str | None = None) -> Team:
        """A team by name (None or `default`: the top-level one); KeyError when unknown."""
        if name is None or name == DEFAULT_TEAM:
            return self._default_team
        return self._teams[name.lower()]

    @functools.cached_property
    def _teams(self) -> dict[str, Team]:
        """The named teams by name, built once (the config is frozen)."""
        return {t.name: t for t in self.teams}

    @functools.cached_property
    def team_names(self) -> tuple[str, ...]:
        return (DEFAULT_TEAM, *(t.name for t in self.teams))

    def channel_of(self, team: str | None) -> str:
        """Where a team's incident threads open."""
        return self.team(team).channel or self.incident_channel

    def unknown_team(self, name: str) -> str | None:
        """What to tell someone who named a team: None when it exists."""
        if name.lower() in self.team_names:
            return None
        return f"There is no team `{name}`; teams: {', '.join(self.team_names)}."

    def known_team(self, name: str | None) -> str:
        """A stored incident's team as the config knows it now: a team removed from the
        config since, or none stored (before teams existed), reads as the default team."""
        return name if name is not None and name in self._teams else DEFAULT_TEAM

    def broadcast_channel_of(self, team: str | None) -> str | None:
        """Where a team's stakeholder broadcasts go: its own channel, else the top-level
        one; None when neither is set (that team's incidents are not broadcast)."""
        return self._broadcast_channels[self.known_team(team)]

    @functools.cached_property
    def _broadcast_channels(self) -> dict[str, str | None]:
        """Each team's broadcast channel, found once (the config is frozen)."""
        return {
            t: self.team(t).broadcast_channel or self.broadcast_channel for t in self.team_names
        }

    @property
    def broadcast_channels(self) -> list[str]:
        """Every channel some team broadcasts to, each once, the top-level one first."""
        found = (self.broadcast_channel_of(t) for t in self.team_names)
        return list(dict.fromkeys(c for c in found if c))

    def teams_broadcasting_to(self, channel: str) -> list[str]:
        """The teams whose incidents `channel` hears about (its digest lists theirs)."""
        return [t for t in self.team_names if self.broadcast_channel_of(t) == channel]

    def chain_rotations(self, team: str | None) -> list[str]:
        """The rotations a team's chain names, each once, in chain order."""
        named = (t for level in self.team(team).escalation for t in level.notify)
        return list(dict.fromkeys(t.value for t in named if t.kind == "rotation"))

    def channels_using(self, rotation: str) -> list[str]:
        """The incident channels of the teams whose chains name `rotation` (a rotation no
        chain names: the default team's), each once."""
        wanted = f"rotation:{rotation}"
        teams = [
            name
            for name in self.team_names
            if any(wanted == str(t) for lv in self.team(name).escalation for t in lv.notify)
        ]
        return list(dict.fromkeys(self.channel_of(t) for t in teams or [DEFAULT_TEAM]))

    def owner(self, service: str | None, team: str | None = None) -> str:
        """The team an incident belongs to: the one named, else the service's owner, else
        the default team."""
        if team:
            return self.team(team).name
        found = self.services.get(service.lower()) if service else None
        return found.team if found and found.team else DEFAULT_TEAM

    def runbook(self, service: str | None) -> str | None:
        if not service:
            return None
        found = self.services.get(service)
        return (found.runbook if found else None) or self.runbooks.get(service)

    def targets(self) -> list[Target]:
        """Every person, group and rotation the config names, in the order written."""
        found = [m for r in self.rotations for m in r.members]
        found += [t for s in self.severities for t in s.page]
        for name in self.team_names:
            found += [t for level in self.team(name).escalation for t in level.notify]
        found += [*self.admins, *self.members, *(m for t in self.teams for m in t.members)]
        return found

    @property
    def service_names(self) -> list[str]:
        return sorted({*self.runbooks, *self.services})

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


MISSING_FILE = "copy config/firebell.example.yml there and edit it"  # what a missing file needs


def load_config(path: Path | str) -> Config:
    text = read_source(path, MISSING_FILE)
    return parse_config(text, str(path))


def parse_config(
    text: str, source: str = "<config>", environ: Mapping[str, str] | None = None
) -> Config:
    """The config in `text`; `${NAME}` is read from `environ` (default: the process's)."""
    data, lines = read_yaml(text, source)
    data = substitute(data, os.environ if environ is None else environ, source, lines)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([_describe(err, source, lines) for err in exc.errors()]) from None
    problems = [locate(loc, message, source, lines) for loc, message in cross_checks(config)]
    if problems:
        raise ConfigError(problems)
    return config


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
