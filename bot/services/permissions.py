"""Who may change what until access control lands: the config's `admins`, a rotation's members,
and the people paged first; each matched by Slack user id or, for e-mails, through the people
Slack resolved (`known_people`).

User groups (`group:S…`) are mentioned in pages but never resolved into their members, so
naming one in `admins` or in a page list grants nobody anything yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.config import Config
from bot.core.targets import Target
from bot.services.oncall import Rotations


def matches(target: Target | str, actor: str, people: Mapping[str, str]) -> bool:
    """Is `actor` (a Slack user id) the person `target` names? E-mails count once resolved."""
    value = target.value if isinstance(target, Target) else target
    return value == actor or people.get(value.lower()) == actor


def any_of(targets: Iterable[Target | str], actor: str, people: Mapping[str, str]) -> bool:
    return any(matches(t, actor, people) for t in targets)


def is_admin(config: Config, actor: str, people: Mapping[str, str]) -> bool:
    return any_of(config.admins, actor, people)


def admins(config: Config) -> list[Target]:
    """The admins who are people (user groups are not resolved, so they grant nothing)."""
    return [a for a in config.admins if a.kind in ("user", "email")]


def is_member(rotations: Rotations, rotation: str, actor: str, people: Mapping[str, str]) -> bool:
    spec = rotations.specs.get(rotation)
    return spec is not None and any_of(spec.members, actor, people)


@dataclass(frozen=True)
class FirstLine:
    """Who is paged first for an alert about a service: the rotations (name -> members) and
    the people named directly in level 1 of its owning team's chain and in the severities'
    `page` lists."""

    rotations: dict[str, tuple[str, ...]]
    people: tuple[Target, ...]

    def includes(self, actor: str, people: Mapping[str, str]) -> bool:
        members = [m for names in self.rotations.values() for m in names]
        return any_of(members, actor, people) or any_of(self.people, actor, people)


def teams_of(config: Config, rotations: Rotations, actor: str, people: Mapping[str, str]):
    """The teams `actor` belongs to: those listing them in `members` (user groups are not
    resolved yet) and those whose chain names a rotation they are a member of."""
    return [
        name
        for name in config.team_names
        if any_of(config.team(name).members, actor, people)
        or any(is_member(rotations, r, actor, people) for r in config.chain_rotations(name))
    ]


def first_line(config: Config, rotations: Rotations, team: str | None = None) -> FirstLine:
    """Who is paged first for an incident of `team` (None: the default team)."""
    targets = list(config.policy(team).level(0).targets)
    targets += [t for severity in config.severities for t in severity.page]
    named = dict.fromkeys(
        t.value for t in targets if t.kind == "rotation" and t.value in rotations.specs
    )
    return FirstLine(
        rotations={name: rotations.specs[name].members for name in named},
        people=tuple(dict.fromkeys(t for t in targets if t.kind in ("user", "email"))),
    )
