"""Checks of the config that span keys (names unique, references resolve, windows that
make sense), each with the key path it is about; `config.parse_config` runs them after the
models have validated each key on its own.

Functions take the validated `Config` untyped: this module is imported by `config.py`.
"""

from __future__ import annotations

import re
from itertools import combinations
from typing import Any

from bot.core.access import check_policy
from bot.core.coverage import overlapping_windows, parse_window
from bot.core.targets import Target

Problems = list[tuple[tuple[Any, ...], str]]


def cross_checks(config: Any) -> list[tuple[tuple[Any, ...], str]]:
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
    problems += _team_checks(config)
    problems += [(("access", action), why) for action, why in check_policy(config.access)]
    problems += _private_checks(config)
    problems += _people_checks(config)
    problems += _heartbeat_checks(config)
    return problems


def _people_checks(config: Any) -> Problems:
    """Each person once, named as a person, with an address for every medium their own rules
    use (`paging.default_rules` reach each person by the media they have an address for)."""
    problems: Problems = []
    seen: dict[str, int] = {}
    for i, person in enumerate(config.people):
        key = str(person.user).lower()
        if person.user.kind not in ("user", "email"):
            problems.append((("people", i, "user"), f"{person.user} is not a person"))
        elif key in seen:
            problems.append(
                (("people", i, "user"), f"{person.user.value} is already people[{seen[key]}]")
            )
        seen.setdefault(key, i)
        for j, rule in enumerate(person.rules or []):
            for medium in rule.via:
                address = "phone" if medium in ("sms", "voice") else medium
                if medium != "slack" and not getattr(person, address):  # None, or no URL
                    problems.append(
                        (
                            ("people", i, "rules", j, "via"),
                            f"{medium} needs `{address}:` for this person",
                        )
                    )
    return problems


def _private_checks(config: Any) -> Problems:
    """`private: true` on a team or an alert route needs somewhere private to open."""
    if config.private_channel is not None:
        return []
    why = "private incidents need `private_channel:` (a private channel's id) in the config"
    found: Problems = [
        (("teams", i, "private"), why) for i, t in enumerate(config.teams) if t.private
    ]
    routes = enumerate(config.alerts.routes)
    found += [(("alerts", "routes", i, "private"), why) for i, r in routes if r.private]
    return found


def _people_only(key: tuple, members: Any) -> Problems:
    """A team's members are people and user groups; a rotation's members belong to the
    teams whose chains name it, so listing the rotation itself is refused."""
    return [
        ((*key, k), f"{target} is a rotation; list people or user groups (`group:S…`)")
        for k, target in enumerate(members)
        if target.kind == "rotation"
    ]


def _team_checks(config: Any) -> Problems:
    """Teams named once (and not `default`), chains naming known rotations, services owned
    by known teams, runbooks given once, alert routes that can match and resolve."""
    problems: Problems = _people_only(("members",), config.members)
    rotations = {r.name for r in config.rotations}
    seen: dict[str, int] = {}
    for i, team in enumerate(config.teams):
        if team.name == "default":
            problems.append(
                (("teams", i, "name"), "`default` is the top-level team's name; pick another")
            )
        elif team.name in seen:
            problems.append(
                (
                    ("teams", i, "name"),
                    f"{team.name!r} is already the name of teams[{seen[team.name]}]",
                )
            )
        seen.setdefault(team.name, i)
        problems += _people_only(("teams", i, "members"), team.members)
        for j, level in enumerate(team.escalation):
            for k, target in enumerate(level.notify):
                if target.kind == "rotation" and target.value not in rotations:
                    problems.append(
                        (
                            ("teams", i, "escalation", j, "notify", k),
                            f"{target} names a rotation that is not in `rotations`",
                        )
                    )
    teams = set(config.team_names)
    for name, service in config.services.items():
        if service.team is not None and service.team not in teams:
            problems.append(
                (("services", name, "team"), f"{service.team!r} is not one of the `teams`")
            )
        given = config.runbooks.get(name)
        if service.runbook and given and given != service.runbook:
            problems.append(
                (
                    ("services", name, "runbook"),
                    f"differs from runbooks.{name} ({given}): give the link in one place",
                )
            )
    severities = {s.name.upper() for s in config.severities}
    for i, route in enumerate(config.alerts.routes):
        where = ("alerts", "routes", i)
        if not route.match and not route.match_re:
            problems.append((where, "needs `match` or `match_re`: which alerts it routes"))
        if route.team is None and route.service is None and route.severity is None:
            problems.append((where, "needs `team`, `service` or `severity`: where they go"))
        if route.team is not None and route.team not in teams:
            problems.append(((*where, "team"), f"{route.team!r} is not one of the `teams`"))
        if route.severity is not None and route.severity.upper() not in severities:
            problems.append(
                ((*where, "severity"), f"{route.severity!r} is not one of the `severities`")
            )
        for label, pattern in route.match_re.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                problems.append(((*where, "match_re", label), f"is not a valid regex: {exc}"))
    return problems


def _alert_checks(config: Any) -> list[tuple[tuple[Any, ...], str]]:
    """`alerts:` names only configured severities; `maintenance:` windows that make sense."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    names = {s.name.upper() for s in config.severities}
    alerts = config.alerts
    named = [(("alerts", "severities", k), v) for k, v in alerts.severities.items()]
    named += [
        (("alerts", "open_incidents", i), v) for i, v in enumerate(alerts.open_incidents or [])
    ]
    named += [(("alerts", "sentry_levels", k), v) for k, v in alerts.sentry_levels.items()]
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


def _rotation_checks(i: int, rotation: Any) -> list[tuple[tuple[Any, ...], str]]:
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


def _heartbeat_checks(config: Any) -> Problems:
    """Names and Alertmanager alert names unique; team and severity configured."""
    problems: Problems = []
    names: dict[str, int] = {}
    alertnames: dict[str, int] = {}
    severities = {s.name.upper() for s in config.severities}
    for i, beat in enumerate(config.heartbeats):
        if beat.name in names:
            problems.append(
                (
                    ("heartbeats", i, "name"),
                    f"{beat.name!r} is already heartbeats[{names[beat.name]}]",
                )
            )
        names.setdefault(beat.name, i)
        if beat.alertmanager is not None:
            if beat.alertmanager in alertnames:
                other = alertnames[beat.alertmanager]
                problems.append(
                    (("heartbeats", i, "alertmanager"), f"heartbeats[{other}] already counts it")
                )
            alertnames.setdefault(beat.alertmanager, i)
        if beat.team is not None and config.unknown_team(beat.team):
            problems.append((("heartbeats", i, "team"), config.unknown_team(beat.team)))
        if beat.severity is not None and beat.severity.upper() not in severities:
            problems.append(
                (("heartbeats", i, "severity"), f"{beat.severity!r} is not one of the `severities`")
            )
    return problems
