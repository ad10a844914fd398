"""On call now, overrides and one's own shifts: `/incident oncall`, `/incident override`, App Home.

Overrides are rows in `overrides`; core's rotation math lets the most recently created one win
over the schedule and over older overrides. Removal is a soft delete (removed_at/removed_by).

Who may set or remove an override of a rotation: its members and the config's `admins`, each
matched by Slack user id or, for e-mails, through the people Slack resolved (`known_people`).
Refusals come back as a `problem` code with its facts; the Slack layer words them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from bot.core import access
from bot.core.coverage import intervals, is_covered, next_covered
from bot.core.rotation import Shift, next_shifts, on_call, resolve_local, shifts
from bot.services import audit, oncall, permissions
from bot.services.context import UseCase
from bot.services.groups import Reread
from bot.services.models import OverrideRecord
from bot.store import incidents as incident_store
from bot.store import overrides as store

MAX_LENGTH = timedelta(days=90)
MAX_AHEAD = timedelta(days=366)  # the latest an override may start, from now
MY_SHIFTS = timedelta(weeks=4)  # how far App Home looks for the viewer's own shifts
LOOKAHEAD = 12  # timeline pieces searched for the next person on call
COVERAGE_LOOKAHEAD = timedelta(days=8)
LIST_LIMIT = 40
HOME_TEAM_OPEN = 5  # open incidents named per team on App Home
_FAR = timedelta(days=3650)  # "every override still to come"


@dataclass(frozen=True)
class RotationNow:
    """One rotation at one instant; users are Slack ids where Slack resolved the e-mail."""

    rotation: str
    zone: ZoneInfo
    at: datetime
    current: Shift
    until: datetime | None  # when someone else takes over; None: nobody else in sight
    next: Shift | None
    coverage: str  # "always" (no windows), "inside" or "outside"
    covered_until: datetime | None = None  # inside: the end of the covered stretch
    resumes_at: datetime | None = None  # outside, or after covered_until: coverage resumes


@dataclass(frozen=True)
class Home:
    at: datetime
    rotations: list[RotationNow]
    mine: list[Shift]  # the viewer's shifts in the next four weeks, soonest first
    teams: list[TeamNow] = field(default_factory=list)  # the viewer's teams


@dataclass(frozen=True)
class TeamNow:
    """One of the viewer's teams: its chain as it would page now, and its open incidents."""

    name: str
    levels: list[list[str]]  # each level's targets, as written (`rotation:x`, `U0…`)
    on_call: dict[str, str]  # rotation -> who is on call now
    open: list[int]  # the newest open incidents' numbers
    open_total: int


@dataclass(frozen=True)
class Refused:
    """`problem` names what is wrong; `facts` carries what the answer needs to say it."""

    problem: str
    facts: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Added:
    override: OverrideRecord
    zone: ZoneInfo
    replaces: list[str]  # who the timeline had over the span, in order, without repeats
    handoffs: list[datetime]  # scheduled handoffs inside the span
    overlaps: list[OverrideRecord]
    started_late: bool  # the start given had passed: it starts now


@dataclass(frozen=True)
class Removed:
    override: OverrideRecord
    zone: ZoneInfo
    was_active: bool
    on_call_now: str | None  # who is on call for the rotation now, after the removal


@dataclass(frozen=True)
class OverrideList:
    rotation: str | None
    at: datetime
    overrides: list[OverrideRecord]
    total: int


def _person(people: Mapping[str, str], value: str) -> str:
    return people.get(value.lower(), value)


def _refusal(
    conn: Connection, now: datetime, actor: str, action: str, target: str, refused: Refused
) -> None:
    """A refused override change in the audit log: `denied` by who may, else `invalid`."""
    outcome = "denied" if refused.problem == "not_allowed" else "invalid"
    audit.note(
        conn, now, actor, action, target, outcome=outcome, after={"problem": refused.problem}
    )


def _as_user(shift: Shift, people: Mapping[str, str]) -> Shift:
    return replace(shift, user=_person(people, shift.user))


class OverrideService(UseCase):
    @property
    def rotations(self) -> list[str]:
        return list(self.ctx.rotations.specs)

    def unknown_rotation(self, name: str | None) -> Refused | None:
        """A refusal naming the rotations when `name` is not one of them (None: all)."""
        if name is None and self.rotations:
            return None
        if name in self.ctx.rotations.specs:
            return None
        return Refused("unknown_rotation", {"name": name, "rotations": self.rotations})

    def zone(self, rotation: str) -> ZoneInfo:
        spec = self.ctx.rotations.specs.get(rotation)
        return spec.zone if spec else self.ctx.config.zone

    # -- reading --------------------------------------------------------------------------

    async def status(self, rotation: str | None = None) -> list[RotationNow] | Refused:
        """Who is on call now, until when, who is next, and the coverage, per rotation."""
        refused = self.unknown_rotation(rotation)
        if refused:
            return refused
        return await self.status_of([rotation] if rotation else self.rotations)

    async def status_of(self, names: Sequence[str]) -> list[RotationNow]:
        """The same for known rotations (a team's chain), each once, in order."""
        at = self.clock.now()
        wanted = [n for n in dict.fromkeys(names) if n in self.ctx.rotations.specs]
        return await self.db.read(lambda conn: self._status(conn, wanted, at))

    async def home(self, user: str) -> Home:
        at = self.clock.now()

        def work(conn: Connection) -> Home:
            statuses = self._status(conn, self.rotations, at)
            on_call_now = {s.rotation: s.current.user for s in statuses}
            people = oncall.known_people(conn)
            mine = permissions.teams_of(self.config, self.ctx.rotations, user, people)
            teams = [
                TeamNow(
                    name,
                    [[str(t) for t in level.notify] for level in self.config.team(name).escalation],
                    on_call_now,
                    [r["id"] for r in incident_store.list_open(conn, HOME_TEAM_OPEN, [name])],
                    incident_store.count_open(conn, [name]),
                )
                for name in (mine if self.config.teams else [])  # one team: nothing to pick
            ]
            return Home(at, statuses, self._mine(conn, user, at), teams)

        return await self.db.read(work)

    def _status(self, conn: Connection, names: Iterable[str], at: datetime) -> list[RotationNow]:
        people = oncall.known_people(conn)
        return [self._rotation_now(conn, name, at, people) for name in names]

    def _rotation_now(
        self, conn: Connection, name: str, at: datetime, people: Mapping[str, str]
    ) -> RotationNow:
        spec = self.ctx.rotations.specs[name]
        found = oncall.load_overrides(conn, at, at + _FAR, name)
        pieces = [_as_user(p, people) for p in next_shifts(spec, found, at, LOOKAHEAD)]
        current = pieces[0]
        following = next((p for p in pieces[1:] if p.user != current.user), None)
        now = RotationNow(
            rotation=name,
            zone=spec.zone,
            at=at,
            current=current,
            until=following.starts_at if following else None,
            next=following,
            coverage="always",
        )
        cov = self.ctx.rotations.coverage[name]
        if not cov.windows:
            return now
        if not is_covered(cov, at):
            return replace(now, coverage="outside", resumes_at=next_covered(cov, at))
        horizon = at + COVERAGE_LOOKAHEAD
        spans = intervals(cov, at, horizon)
        ends = spans[0][1] if spans and spans[0][1] < horizon else None
        resumes = spans[1][0] if ends and len(spans) > 1 else None
        return replace(now, coverage="inside", covered_until=ends, resumes_at=resumes)

    def _mine(self, conn: Connection, user: str, at: datetime) -> list[Shift]:
        people = oncall.known_people(conn)
        mine: list[Shift] = []
        for name, spec in self.ctx.rotations.specs.items():
            found = oncall.load_overrides(conn, at, at + _FAR, name)
            ours: list[Shift] = []
            for piece in shifts(spec, found, at, at + MY_SHIFTS):
                piece = _as_user(piece, people)
                if piece.user != user:
                    continue
                if ours and ours[-1].ends_at == piece.starts_at:  # one stretch for the reader
                    last = ours[-1]
                    override = last.override_id or piece.override_id
                    ours[-1] = replace(last, ends_at=piece.ends_at, override_id=override)
                else:
                    ours.append(piece)
            mine += ours
        return sorted(mine, key=lambda s: (s.starts_at, s.rotation))

    async def upcoming(self, rotation: str | None = None) -> OverrideList | Refused:
        """Overrides active now or still to come, soonest first."""
        if rotation is not None and (refused := self.unknown_rotation(rotation)):
            return refused
        at = self.clock.now()

        def work(conn: Connection) -> OverrideList:
            rows = store.live(conn, at, rotation, limit=LIST_LIMIT)
            total = store.count_live(conn, at, rotation)
            return OverrideList(rotation, at, [OverrideRecord.from_row(r) for r in rows], total)

        return await self.db.read(work)

    # -- changing -------------------------------------------------------------------------

    def _not_allowed(
        self, conn: Connection, actor: str, rotation: str, now: datetime
    ) -> Refused | Reread | None:
        """None when `actor` may change `rotation`'s overrides (the access policy's
        `override`); else why not, or `Reread` while a user group might grant it."""
        question = permissions.Asked(
            "override", access.Subject(rotation=rotation), rotation=rotation
        )
        refusal = permissions.check(
            conn, self.config, self.ctx.rotations, self.ctx.groups, actor, question, now
        )
        if refusal is None:
            return None
        if refusal.reread:
            return Reread(refusal.reread)
        return Refused("not_allowed", {"rotation": rotation, "message": refusal.message})

    async def add(
        self,
        actor: str,
        rotation: str,
        user: str,
        *,
        duration: timedelta | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Added | Refused:
        """`user` takes `rotation` for `duration` from now, or over local [start, end)."""
        if refused := self.unknown_rotation(rotation):
            return refused
        spec = self.ctx.rotations.specs[rotation]
        now = self.clock.now()
        if duration is not None:
            starts, ends = now, now + duration
        elif start is not None and end is not None:
            try:
                starts, ends = resolve_local(start, spec.zone), resolve_local(end, spec.zone)
            except (OverflowError, ValueError):  # e.g. year 1 or 9999 at the edge of time
                return Refused("out_of_range")
        else:
            raise ValueError("an override needs a duration or a start and an end")
        facts = {"starts_at": starts, "ends_at": ends, "zone": spec.zone, "now": now}

        def work(conn: Connection) -> Added | Refused | Reread:
            result = attempt(conn)
            if isinstance(result, Reread):
                return result
            if isinstance(result, Added):
                found = result.override
                after = {"rotation": rotation, "user": user}
                after |= {"starts_at": found.starts_at, "ends_at": found.ends_at}
                audit.note(conn, now, actor, "override.add", f"override:{found.id}", after=after)
            else:
                _refusal(conn, now, actor, "override.add", f"rotation:{rotation}", result)
            return result

        def attempt(conn: Connection) -> Added | Refused | Reread:
            if denied := self._not_allowed(conn, actor, rotation, now):
                return denied
            people = oncall.known_people(conn)
            if ends <= starts:
                return Refused("ends_before_start", facts)
            if ends <= now:
                return Refused("ends_in_past", facts)
            if ends - starts > MAX_LENGTH:
                return Refused("too_long", {**facts, "limit": MAX_LENGTH})
            if starts > now + MAX_AHEAD:
                return Refused("too_far", {**facts, "limit": MAX_AHEAD})
            begins = max(starts, now)
            existing = store.live(conn, begins, rotation, before=ends)
            before = oncall.load_overrides(conn, begins, ends, rotation)
            timeline = [_as_user(p, people) for p in shifts(spec, before, begins, ends)]
            replaces = list(dict.fromkeys(p.user for p in timeline if p.user != user))
            handoffs = [
                p.starts_at for p in shifts(spec, [], begins, ends) if begins < p.starts_at < ends
            ]
            number = store.insert(conn, rotation, user, begins, ends, actor, now)
            return Added(
                override=OverrideRecord.from_row(store.load(conn, number)),
                zone=spec.zone,
                replaces=replaces,
                handoffs=handoffs,
                overlaps=[OverrideRecord.from_row(r) for r in existing],
                started_late=starts < now,
            )

        return await self.write_checked(work, wakes=lambda _: False)

    async def remove(self, actor: str, override_id: int) -> Removed | Refused:
        now = self.clock.now()

        def work(conn: Connection) -> Removed | Refused | Reread:
            result = attempt(conn)
            target = f"override:{override_id}"
            if isinstance(result, Reread):
                return result
            if isinstance(result, Removed):
                after = {"removed_by": actor, "removed_at": now}
                audit.note(conn, now, actor, "override.remove", target, after=after)
            else:
                _refusal(conn, now, actor, "override.remove", target, result)
            return result

        def attempt(conn: Connection) -> Removed | Refused | Reread:
            row = store.load(conn, override_id, lock=True)
            if row is None:
                return Refused("unknown_override", {"id": override_id})
            found = OverrideRecord.from_row(row)
            zone = self.zone(found.rotation)
            if found.removed_at is not None:
                return Refused("already_removed", {"override": found, "zone": zone})
            if found.ends_at <= now:
                return Refused("already_over", {"override": found, "zone": zone})
            # an override of a rotation since removed from the config: its author may too
            orphan = found.rotation not in self.ctx.rotations.specs and found.created_by == actor
            if not orphan and (denied := self._not_allowed(conn, actor, found.rotation, now)):
                return denied
            people = oncall.known_people(conn)
            if not store.remove(conn, override_id, actor, now):
                return Refused("already_removed", {"override": found, "zone": zone})
            spec = self.ctx.rotations.specs.get(found.rotation)
            current = None
            if spec is not None:
                shift = on_call(spec, oncall.overrides_at(conn, now, found.rotation), now)
                current = _person(people, shift.user)
            removed = replace(found, removed_by=actor, removed_at=now)
            return Removed(removed, zone, found.active(now), current)

        return await self.write_checked(work, wakes=lambda _: False)
