"""`config/sandbox.yml`: an ordinary Firebell config plus one `sandbox:` block.

The `sandbox:` block describes the pretend workspace (its people, user groups, channel names)
and when sandbox time starts. The bot never sees it: the block's lines are blanked before the
rest is validated by `bot.config.parse_config`, so errors there keep their line numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.config import WEEKDAYS, Config, parse_config
from bot.config_source import ConfigError, locate, read_source, read_yaml

_BLOCK = re.compile(r"^sandbox:\s*(#.*)?$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(_Model):
    id: str = Field(pattern=r"^[UW][A-Z0-9]{2,}$")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,79}$")  # the handle: @alice
    real_name: str = Field(min_length=1, max_length=80)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")
    title: str = ""


class Group(_Model):
    handle: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,79}$")
    members: list[str] = []


class SandboxSpec(_Model):
    workspace: str = "Firebell sandbox"
    # sandbox time starts here: `now`, or a weekday and local time of the current week in the
    # config's timezone, e.g. `mon 08:50` (ten minutes before Monday's 09:00 handover)
    clock_starts: str = Field(
        default="now", pattern=r"^(now|(mon|tue|wed|thu|fri|sat|sun) \d\d:\d\d)$"
    )
    users: list[Person] = Field(min_length=1)
    groups: dict[str, Group] = {}
    channels: dict[str, str] = {}

    def start_instant(self, config: Config, now: datetime | None = None) -> datetime:
        """When sandbox time begins, for a sandbox started at `now` (wall time)."""
        now = now or datetime.now(UTC)
        if self.clock_starts == "now":
            return now
        day, clock = self.clock_starts.split()
        hour, minute = (int(x) for x in clock.split(":"))
        local = now.astimezone(config.zone)
        monday = local.date() - timedelta(days=local.weekday())
        date = monday + timedelta(days=WEEKDAYS.index(day))
        wall = datetime(date.year, date.month, date.day, hour, minute, tzinfo=config.zone)
        return wall.astimezone(UTC)


@dataclass(frozen=True)
class Sandbox:
    config: Config
    spec: SandboxSpec
    source: str


def strip_block(text: str) -> tuple[str, str]:
    """(the config with the `sandbox:` block's lines blanked, the block's own text)."""
    lines = text.splitlines(keepends=True)
    kept, block = [], []
    inside = False
    for line in lines:
        if _BLOCK.match(line):
            inside = True
        elif inside and line.strip() and not line[0].isspace() and not line.startswith("#"):
            inside = False
        if inside:
            block.append(line)
            kept.append("\n" if line.endswith("\n") else "")
        else:
            kept.append(line)
    return "".join(kept), "".join(block)


def load(path: Path | str) -> Sandbox:
    text = read_source(path, "the sandbox's config is config/sandbox.yml")
    return parse(text, str(path))


def parse(text: str, source: str = "<sandbox config>") -> Sandbox:
    rest, block = strip_block(text)
    config = parse_config(rest, source)
    if not block:
        raise ConfigError([f"{source}: no `sandbox:` block naming the workspace's people"])
    data, lines = read_yaml(text, source)
    try:
        spec = SandboxSpec.model_validate(data.get("sandbox") or {})
    except ValidationError as exc:
        problems = [
            locate(("sandbox", *err["loc"]), err["msg"], source, lines) for err in exc.errors()
        ]
        raise ConfigError(problems) from None
    problems = [f"{source}: {p}" for p in _cross_checks(config, spec)]
    if problems:
        raise ConfigError(problems)
    return Sandbox(config=config, spec=spec, source=source)


def _cross_checks(config: Config, spec: SandboxSpec) -> list[str]:
    """Every person and group the config names must be in the workspace."""
    known = {p.id for p in spec.users}
    emails = {p.email.lower() for p in spec.users if p.email}
    problems = []
    seen: set[str] = set()
    for person in spec.users:
        if person.id in seen:
            problems.append(f"sandbox.users: {person.id} is listed twice")
        seen.add(person.id)
    targets = config.targets()
    for target in targets:
        if target.kind == "user" and target.value not in known:
            problems.append(f"{target.value} is named in the config but not in sandbox.users")
        if target.kind == "email" and target.value.lower() not in emails:
            problems.append(f"{target.value} is named in the config but no sandbox.users has it")
        if target.kind == "group" and target.value not in spec.groups:
            problems.append(
                f"group {target.value} is named in the config but not in sandbox.groups"
            )
    for group_id, group in spec.groups.items():
        for member in group.members:
            if member not in known:
                problems.append(f"sandbox.groups.{group_id}: {member} is not in sandbox.users")
    return problems
