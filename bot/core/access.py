"""Who may do what: the roles, the default policy, and the refusal that names who may.

Roles are derived, never stored: `admins` (config `admins:`), `team` (the owning team's
members), `responders` (of one incident: who declared it, its commander and comms lead, who
acknowledged it or was paged for it), `rotation` (a rotation's members and the members of a
team whose chain pages it) and `anyone`. The config's `access:` replaces an action's roles;
admins may always do everything, so no policy can lock the break-glass out.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

DEFAULT_TEAM = "default"  # as bot.config names the team of the top-level keys
ROLES = ("anyone", "responders", "team", "rotation", "admins")

# each action's default roles (admins are always allowed besides)
DEFAULTS: dict[str, tuple[str, ...]] = {
    "declare": ("anyone",),
    "update": ("anyone",),
    "acknowledge": ("anyone",),
    "escalate": ("anyone",),
    "severity_up": ("anyone",),
    "severity_down": ("responders", "team"),
    "resolve": ("responders", "team"),
    "reopen": ("responders", "team"),
    "assign": ("responders", "team"),
    "transfer": ("responders", "team"),
    "override": ("rotation",),
    "maintenance": ("team",),
    "maintenance_all": ("admins",),
    "audit": ("responders", "team"),
}

# the roles that mean something for each kind of action (others are a config error)
_ON_INCIDENT = frozenset({"anyone", "responders", "team", "admins"})
APPLICABLE: dict[str, frozenset[str]] = {
    **{action: _ON_INCIDENT for action in DEFAULTS},
    "declare": frozenset({"anyone", "team", "admins"}),
    "override": frozenset({"anyone", "rotation", "admins"}),
    "maintenance": frozenset({"anyone", "team", "admins"}),
    "maintenance_all": frozenset({"anyone", "admins"}),
}

_DOING = {  # what the refusal says the action is
    "declare": "declare incidents for {it}",
    "update": "post updates to {it}",
    "acknowledge": "acknowledge {it}",
    "escalate": "escalate {it}",
    "severity_up": "raise {its} severity",
    "severity_down": "lower {its} severity",
    "resolve": "resolve {it}",
    "reopen": "reopen {it}",
    "assign": "assign {its} commander or comms lead",
    "transfer": "transfer {it}",
    "override": "change the overrides of {it}",
    "maintenance": "start or end maintenance windows for {it}",
    "maintenance_all": "start or end a maintenance window for every service",
    "audit": "see {its} audit record",
}


def check_policy(access: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
    """Problems with a config's `access:` as (action, message)."""
    problems = []
    for action, roles in access.items():
        if action not in DEFAULTS:
            problems.append((action, f"{action!r} is not an action; use one of {_list(DEFAULTS)}"))
            continue
        for role in roles:
            if role not in APPLICABLE[action]:
                allowed = _list(r for r in ROLES if r in APPLICABLE[action])
                problems.append((action, f"{role!r} is not a role for {action}; use {allowed}"))
        if not roles:
            problems.append((action, "needs at least one role (admins may always)"))
    return problems


def _list(names) -> str:
    return ", ".join(names)


@dataclass(frozen=True)
class Subject:
    """What an action is about, as a refusal names it: an incident (`ref`, its team(s)), a
    rotation or a service (None with `maintenance_all`)."""

    ref: str | None = None
    teams: tuple[str, ...] = ()
    rotation: str | None = None
    service: str | None = None


def private(ref: str) -> str:
    """What someone outside a private incident is told of it."""
    return (
        f"{ref} is private: only its responders, its team's members and admins see what it "
        "is about."
    )


def roles_for(action: str, access: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    return tuple(access.get(action, DEFAULTS[action]))


def allows(action: str, access: Mapping[str, Sequence[str]], held: Collection[str]) -> bool:
    """May someone holding `held` roles do `action`?"""
    wanted = roles_for(action, access)
    return "admins" in held or "anyone" in wanted or any(role in held for role in wanted)


def refusal(action: str, access: Mapping[str, Sequence[str]], subject: Subject) -> str:
    """'Only INC-42's responders, payments members or admins may resolve it.'"""
    who = [_role_name(role, subject) for role in roles_for(action, access) if role != "admins"]
    who = [*dict.fromkeys(w for w in who if w), "admins"]
    phrase = who[0] if len(who) == 1 else f"{', '.join(who[:-1])} or {who[-1]}"
    it = _it(subject)
    doing = _DOING[action].format(it=it, its=it + "'s")
    return f"Only {phrase} may {doing}."


def _it(subject: Subject) -> str:
    if subject.ref:
        return subject.ref
    if subject.rotation:
        return f"rotation {subject.rotation}"
    if subject.service:
        return f"service {subject.service}"
    if subject.teams == (DEFAULT_TEAM,):
        return "the default team"
    return f"team {_team_names(subject.teams)}" if subject.teams else "it"


def _team_names(teams: Sequence[str]) -> str:
    names = [("the default team" if t == DEFAULT_TEAM else t) for t in teams]
    return " or ".join(names)


def _role_name(role: str, subject: Subject) -> str | None:
    if role == "responders":
        return f"{subject.ref}'s responders" if subject.ref else None
    if role == "team":
        if subject.teams == (DEFAULT_TEAM,):
            return "the default team's members"
        return f"{_team_names(subject.teams)} members" if subject.teams else None
    if role == "rotation":
        if not subject.rotation:
            return None
        return f"{subject.rotation}'s members, members of the teams it pages"
    return None
