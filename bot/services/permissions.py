"""Which of `core.access`'s roles someone holds, and the check every changing use case runs
in its own transaction before it changes anything.

People are matched by Slack user id or, for e-mails, through the people Slack resolved
(`known_people`); user groups through the members Slack last listed (`Groups`). A refusal
names the groups it consulted, so the use case can have them read again once and check
again before refusing (`Refusal.reread`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from bot.config import Config
from bot.core import access
from bot.core.targets import Target
from bot.services import audit
from bot.services.groups import Groups, Reread
from bot.services.models import IncidentRecord
from bot.services.oncall import Rotations, known_people
from bot.store import incidents as incident_store


def matches(
    target: Target | str, actor: str, people: Mapping[str, str], groups: Groups | None = None
) -> bool:
    """Is `actor` (a Slack user id) the person `target` names, or in the group it names?"""
    if isinstance(target, Target) and target.kind == "group":
        return groups is not None and groups.has(target.value, actor)
    value = target.value if isinstance(target, Target) else target
    return value == actor or people.get(value.lower()) == actor


def any_of(
    targets: Iterable[Target | str],
    actor: str,
    people: Mapping[str, str],
    groups: Groups | None = None,
) -> bool:
    return any(matches(t, actor, people, groups) for t in targets)


def is_admin(
    config: Config, actor: str, people: Mapping[str, str], groups: Groups | None = None
) -> bool:
    return any_of(config.admins, actor, people, groups)


def is_member(rotations: Rotations, rotation: str, actor: str, people: Mapping[str, str]) -> bool:
    spec = rotations.specs.get(rotation)
    return spec is not None and any_of(spec.members, actor, people)


def team_targets(config: Config, rotations: Rotations, team: str) -> list[Target | str]:
    """Who belongs to a team: its `members`, the members of the rotations its chain names
    and the people and groups its chain names directly (a team no longer in the config:
    nobody)."""
    try:
        spec = config.team(team)
    except KeyError:
        return []
    found: list[Target | str] = list(spec.members)
    for level in spec.escalation:
        for target in level.notify:
            if target.kind == "rotation":
                rotation = rotations.specs.get(target.value)
                found += list(rotation.members) if rotation else []
            else:
                found.append(target)
    return found


def teams_of(
    config: Config,
    rotations: Rotations,
    actor: str,
    people: Mapping[str, str],
    groups: Groups | None = None,
) -> list[str]:
    """The teams `actor` belongs to (`team_targets`), in config order."""
    return [
        name
        for name in config.team_names
        if any_of(team_targets(config, rotations, name), actor, people, groups)
    ]


def responders(conn: Connection, incident: IncidentRecord) -> set[str]:
    """An incident's responders: who declared it, its commander and comms lead, who
    acknowledged it and everyone a page of it reached."""
    named = (
        getattr(incident, name, None)
        for name in ("declared_by", "commander", "comms_lead", "acknowledged_by")
    )
    return {n for n in named if n} | incident_store.paged(conn, incident.id)


def sees(
    conn: Connection,
    config: Config,
    rotations: Rotations,
    groups: Groups,
    actor: str,
    incident: IncidentRecord,
) -> bool:
    """May `actor` see this incident's title, service and tenants? Anyone, unless it is
    private: then its responders, its team's members and admins."""
    if not incident.private:
        return True
    people = known_people(conn)
    members = team_targets(config, rotations, incident.owner)
    return (
        is_admin(config, actor, people, groups)
        or any_of(members, actor, people, groups)
        or actor in responders(conn, incident)
    )


@dataclass(frozen=True)
class Refusal:
    """Why `actor` may not: the message for them, and the user groups that, read again,
    might say otherwise."""

    message: str
    reread: tuple[str, ...] = ()


@dataclass(frozen=True)
class Asked:
    """One permission question: `action` on `subject`, with what decides the roles."""

    action: str
    subject: access.Subject
    incident: IncidentRecord | None = None  # whose responders count (read only if they do)
    rotation: str | None = None


def check(
    conn: Connection,
    config: Config,
    rotations: Rotations,
    groups: Groups,
    actor: str,
    asked: Asked,
    now: datetime,
) -> Refusal | None:
    """None when `actor` may; else the refusal (`reread` empty once groups were asked)."""
    wanted = access.roles_for(asked.action, config.access)
    if "anyone" in wanted:
        return None
    people = known_people(conn)
    consulted: list[Target | str] = list(config.admins)
    held = {"admins"} if is_admin(config, actor, people, groups) else set()
    if "responders" in wanted and asked.incident and actor in responders(conn, asked.incident):
        held.add("responders")
    for team in asked.subject.teams if "team" in wanted else ():
        members = team_targets(config, rotations, team)
        consulted += members
        if any_of(members, actor, people, groups):
            held.add("team")
    if asked.rotation is not None and "rotation" in wanted:
        users = [*_rotation_targets(config, rotations, asked.rotation)]
        consulted += users
        if any_of(users, actor, people, groups):
            held.add("rotation")
    if access.allows(asked.action, config.access, held):
        return None
    named = [t.value for t in consulted if isinstance(t, Target) and t.kind == "group"]
    message = access.refusal(asked.action, config.access, asked.subject)
    return Refusal(f"{message} Nothing was changed.", tuple(groups.stale(named, now)))


def denied(
    conn: Connection,
    now: datetime,
    actor: str,
    action: str,
    target: str,
    refusal: Refusal,
) -> Reread | None:
    """A refusal in the transaction that was refused: `Reread` (nothing written) while
    groups may say otherwise, else its `denied` row in the audit log."""
    if refusal.reread:
        return Reread(refusal.reread)
    audit.note(conn, now, actor, action, target, outcome="denied")
    return None


def _rotation_targets(config: Config, rotations: Rotations, rotation: str):
    """A rotation's members and the members of every team whose chain pages it."""
    spec = rotations.specs.get(rotation)
    yield from spec.members if spec else ()
    for team in config.team_names:
        if rotation in config.chain_rotations(team):
            yield from team_targets(config, rotations, team)
