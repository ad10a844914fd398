"""Who is on call: config rotations, stored overrides and e-mail lookups, asked of core.

A declaration asks of a `Roster` of live overrides and resolved e-mails held in memory,
read again only when the `oncall` version counter in the database has moved (every write
to overrides or people bumps it, on any replica)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from bot.config import Config
from bot.core.coverage import Coverage, is_covered, next_covered, parse_window
from bot.core.rotation import Override, RotationSpec, Shift, on_call
from bot.core.targets import Target, in_slack, parse_target
from bot.services.models import OverrideRecord
from bot.store import overrides as store
from bot.store import people, versions

AHEAD = timedelta(days=3650)  # a roster holds every override still to come


@dataclass(frozen=True)
class Roster:
    """Live overrides and the e-mails Slack resolved, as of one version of the counter."""

    version: int
    since: datetime  # overrides that ended before this are not held
    people: Mapping[str, str]
    overrides: Mapping[str, tuple[Override, ...]]  # per rotation, oldest first: newest wins

    @classmethod
    def load(cls, conn: Connection, version: int, since: datetime) -> Roster:
        held: dict[str, list[Override]] = defaultdict(list)
        for found in load_overrides(conn, since, since + AHEAD):
            held[found.rotation].append(found)
        return cls(version, since, known_people(conn), {k: tuple(v) for k, v in held.items()})


@dataclass(frozen=True)
class Resolution:
    """Targets turned into people at one instant: `users` to DM, `on_call` per rotation,
    and `unreached`: the e-mail addresses (members or targets) no Slack user is known by,
    so nobody is paged for them."""

    users: tuple[str, ...]
    on_call: dict[str, str]
    unreached: tuple[str, ...] = ()


class Rotations:
    """The rotations of one config, converted once into core's plain data."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.specs: dict[str, RotationSpec] = {}
        self.coverage: dict[str, Coverage] = {}
        for rotation in config.rotations:
            tz = ZoneInfo(rotation.timezone or config.timezone)
            self.specs[rotation.name] = RotationSpec(
                name=rotation.name,
                members=tuple(m.value for m in rotation.members),
                shift=rotation.shift,
                start=rotation.start,
                zone=tz,
            )
            windows = tuple(parse_window(w.days, w.start, w.end) for w in rotation.coverage)
            self.coverage[rotation.name] = Coverage(windows=windows, zone=tz)
        self.held: Roster | None = None
        # per rotation, the last piece of its timeline found and the roster it was found in
        self._pieces: dict[str, tuple[Roster, Shift]] = {}

    def roster(self, conn: Connection, at: datetime) -> Roster:
        """Overrides and people as stored, read again only when the version moved or `at` is
        before what is held. One read in a transaction that bumped the version is not held:
        it may be rolled back, and the counter with it."""
        version = versions.read(conn, versions.ONCALL)
        held = self.held
        if held is not None and held.version == version and held.since <= at:
            return held
        fresh = Roster.load(conn, version, at)
        if not versions.bumped_here(conn, versions.ONCALL):
            self.held = fresh
        return fresh

    def on_call(self, roster: Roster, name: str, at: datetime) -> Shift:
        """The piece of rotation `name`'s timeline covering `at` (`at` not before the
        roster's `since`), found once per piece: every declaration asks, and a piece lasts
        until a handoff or an override's edge. Found among all the roster's overrides, so
        its bounds are those of `shifts()`."""
        known = self._pieces.get(name)
        if known is not None and known[0] is roster and known[1].starts_at <= at < known[1].ends_at:
            return known[1]
        found = on_call(self.specs[name], roster.overrides.get(name, ()), at)
        self._pieces[name] = (roster, found)
        return found

    def first_line(self, severity: str, team: str | None = None) -> list[str]:
        """Rotations that answer a severity first: level 1 of the team's chain and the
        severity's page list."""
        targets = list(self.config.policy(team).level(0).targets)
        targets += self.config.severity(severity).page
        return [t.value for t in targets if t.kind == "rotation" and t.value in self.specs]

    def response_resumes(
        self, severity: str, at: datetime, team: str | None = None
    ) -> datetime | None:
        """None when someone covers `severity` (for `team`) now; else when the first rotation
        covers it.

        Only rotations promise coverage: a severity with no rotation in its first line is
        treated as always covered (the people named directly are paged as written).
        """
        names = self.first_line(severity, team)
        if not names or any(is_covered(self.coverage[n], at) for n in names):
            return None
        starts = [next_covered(self.coverage[n], at) for n in names]
        starts = [s for s in starts if s is not None]
        if not starts or min(starts) <= at:
            return None
        return min(starts)


def load_overrides(
    conn: Connection, start: datetime, end: datetime, rotation: str | None = None
) -> list[Override]:
    """Live overrides overlapping [start, end)."""
    return [
        OverrideRecord.from_row(r).core() for r in store.overlapping(conn, start, end, rotation)
    ]


def known_people(conn: Connection) -> dict[str, str]:
    """E-mail -> Slack user id, for the addresses Slack resolved."""
    return people.known(conn)


def who(conn: Connection, rotations: Rotations, name: str, at: datetime) -> Shift:
    """The shift covering `at`, override included, members' e-mails turned into user ids."""
    found = on_call(rotations.specs[name], overrides_at(conn, at, name), at)
    emails = known_people(conn)
    return replace(found, user=emails.get(found.user.lower(), found.user))


def overrides_at(conn: Connection, at: datetime, rotation: str) -> list[Override]:
    return load_overrides(conn, at, at + timedelta(microseconds=1), rotation)


def resolve(
    conn: Connection, rotations: Rotations, targets: Iterable[str | Target], at: datetime
) -> Resolution:
    """People to notify for these targets at `at`; groups are mentioned, not resolved."""
    roster = rotations.roster(conn, at)
    emails = roster.people
    users: list[str] = []
    unreached: list[str] = []
    on_duty: dict[str, str] = {}
    for raw in targets:
        target = raw if isinstance(raw, Target) else parse_target(raw)
        if target.kind == "user":
            users.append(target.value)
        elif target.kind == "email":
            found = emails.get(target.value)
            (users if found else unreached).append(found or target.value)
        elif target.kind == "rotation" and target.value in rotations.specs:
            shift = rotations.on_call(roster, target.value, at)
            person = emails.get(shift.user.lower(), shift.user)
            on_duty[target.value] = person
            # an e-mail Slack could not resolve is named, not DMed
            (users if in_slack(person) else unreached).append(person)
    return Resolution(
        users=tuple(dict.fromkeys(users)),
        on_call=on_duty,
        unreached=tuple(dict.fromkeys(unreached)),
    )
