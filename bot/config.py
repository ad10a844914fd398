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

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    field_validator,
)

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


class Config(_Model):
    incident_channel: ChannelId
    broadcast_channel: ChannelId | None = None
    timezone: ZoneName = "UTC"
    severities: list[Severity] = Field(min_length=1)
    rotations: list[Rotation] = []
    escalation: list[EscalationLevel] = []
    repeat: int = Field(default=0, ge=0, le=10)
    runbooks: dict[str, Annotated[str, Field(pattern=r"^https?://\S+$")]] = {}
    admins: list[TargetRef] = []  # may set overrides on any rotation

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


class ConfigError(Exception):
    """A config that must not be started with; `problems` are ready to print, one a line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_config(path: Path | str) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [f"{path}: no such file (copy config/firebell.example.yml there and edit it)"]
        ) from None
    return parse_config(text, str(path))


def parse_config(text: str, source: str = "<config>") -> Config:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ConfigError([f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from None
    if not isinstance(data, dict):
        raise ConfigError([f"{source}: the config must be a mapping of keys (see the example)"])
    lines: dict[tuple[Any, ...], int] = {}
    duplicates: list[str] = []
    _index_lines(node, (), lines, duplicates)
    if duplicates:
        raise ConfigError([f"{source}:{d}" for d in duplicates])
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([_describe(err, source, lines) for err in exc.errors()]) from None
    problems = [_locate(loc, message, source, lines) for loc, message in _cross_checks(config)]
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
    for i, rotation in enumerate(config.rotations):
        problems += _rotation_checks(i, rotation)
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


def _index_lines(
    node: yaml.Node,
    path: tuple[Any, ...],
    lines: dict,
    duplicates: list[str],
    seen: set[int] | None = None,
):
    """Line of every key path; aliases are walked once (a recursive alias cannot loop)."""
    seen = set() if seen is None else seen
    lines[path] = node.start_mark.line + 1
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                duplicates.append(
                    f"{key_node.start_mark.line + 1}: {_dotted((*path, key))}: key given twice"
                )
            seen.add(key)
            _index_lines(value_node, (*path, key), lines, duplicates, seen)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, (*path, i), lines, duplicates, seen)


def _describe(err: dict[str, Any], source: str, lines: dict) -> str:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        message = "is required"
    elif err["type"] == "extra_forbidden":
        message = "is not a known key (check the spelling)"
    elif err["type"] == "string_pattern_mismatch":
        message = f"{err.get('input')!r} does not have the expected form"
    return _locate(loc, message, source, lines)


def _locate(loc: tuple[Any, ...], message: str, source: str, lines: dict) -> str:
    """`file:line: key.path: message`, the line of the deepest key that exists."""
    line = next((lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines), None)
    where = f"{source}:{line}" if line else source
    key = _dotted(loc) or "(top level)"
    return f"{where}: {key}: {message}"


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
