"""A rotation's coming shifts, for its calendar feed, for `firebell oncall` and for App Home's
two-week grid, and feed tokens.

The feed of a rotation is secret-by-URL: `/calendar/<rotation>.ics?token=...`. The token is
the rotation's `calendar_token` from the config when set (then only that one works); else it
is derived: HMAC-SHA256 keyed by the calendar secret (see `Settings.calendar_secret`) over
`calendar:<rotation>`, in hex, its first 32 characters. Derived tokens survive restarts and
change only when the secret does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from bot.core.calendar_days import Day, days, touched
from bot.core.links import derive_token, token_matches
from bot.core.rotation import Override, Shift, shift_at, shifts
from bot.services.context import UseCase
from bot.services.oncall import Rotations, known_people, load_overrides

HORIZON = timedelta(weeks=8)
GRID_DAYS = 14  # the days App Home's on-call calendar shows


@dataclass(frozen=True)
class Entry:
    """One piece of a rotation's timeline, with the person as users know them.

    `user` is the member or override user as configured, an e-mail replaced by the Slack user
    id it resolved to; `email` keeps the address then. `uid` is stable across fetches and
    restarts: a scheduled piece is named by its rotation, shift number and start, an override
    by its id (and its start, when a newer override split it).
    """

    shift: Shift
    user: str
    email: str | None
    uid: str

    @property
    def starts_at(self) -> datetime:
        return self.shift.starts_at

    @property
    def ends_at(self) -> datetime:
        return self.shift.ends_at


def timeline(
    conn: Connection, rotations: Rotations, name: str, start: datetime, end: datetime
) -> list[Entry]:
    """The pieces of `name`'s timeline over [start, end), whole (the first one is the one in
    force at `start`, begun when it began; the last ends when it ends), overrides included,
    e-mails resolved."""
    spec = rotations.specs[name]
    lower = shift_at(spec, start).starts_at
    found = _overrides(conn, name, start, end, lower)
    pieces = shifts(spec, found, start, end)
    if pieces and pieces[-1].ends_at > end:  # an override beginning later may cut it short
        found = _overrides(conn, name, start, pieces[-1].ends_at, lower)
        pieces = shifts(spec, found, start, end)
    by_id = {o.id: o for o in found}
    known = known_people(conn)
    out = []
    for piece in pieces:
        user, email = piece.user, None
        if "@" in user:
            email = user.lower()
            user = known.get(email) or user
        out.append(Entry(piece, user, email, _uid(piece, by_id)))
    return out


def _overrides(
    conn: Connection, name: str, start: datetime, end: datetime, scheduled_start: datetime
) -> list[Override]:
    """Overrides that can shape [start, end), the first piece's beginning included.

    The piece in force at `start` may begin where an earlier override ended, so overrides are
    read from the earliest beginning that piece can have: its scheduled shift's start, or the
    start of an override already in force.
    """
    live = load_overrides(conn, start, end, name)
    lower = min([scheduled_start, *(o.starts_at for o in live)])
    return load_overrides(conn, lower, end, name) if lower < start else live


def _stamp(at: datetime) -> str:
    return at.strftime("%Y%m%dT%H%M%SZ")


def _uid(piece: Shift, overrides: dict[int, Override]) -> str:
    if piece.override_id is None:
        return f"{piece.rotation}-{piece.index}-{_stamp(piece.starts_at)}@firebell"
    override = overrides.get(piece.override_id)
    if override is not None and override.starts_at == piece.starts_at:
        return f"{piece.rotation}-override-{piece.override_id}@firebell"
    return f"{piece.rotation}-override-{piece.override_id}-{_stamp(piece.starts_at)}@firebell"


def _joined(entries: list[Entry]) -> list[Entry]:
    """Neighbouring pieces with the same person from the same source (consecutive shifts of
    one member, as with a single member) as one stretch: one row of the grid each."""
    out: list[Entry] = []
    for entry in entries:
        last = out[-1] if out else None
        if last and last.user == entry.user and last.shift.override_id == entry.shift.override_id:
            out[-1] = replace(last, shift=replace(last.shift, ends_at=entry.ends_at))
        else:
            out.append(entry)
    return out


@dataclass(frozen=True)
class Row:
    """A stretch of one person on call, and which of the grid's days it touches."""

    entry: Entry
    touches: tuple[bool, ...]


@dataclass(frozen=True)
class Grid:
    """One rotation's next days, as App Home draws them: its local days (in its own zone) and
    each stretch of its timeline over them, overrides included, from the one in force now."""

    rotation: str
    zone: ZoneInfo
    at: datetime
    days: list[Day]
    rows: list[Row]


@dataclass(frozen=True)
class Feed:
    rotation: str
    generated_at: datetime
    entries: list[Entry]


@dataclass(eq=False)
class CalendarService(UseCase):
    secret: str | None = None  # derives the feed tokens; None: only configured tokens

    @property
    def rotations(self) -> Rotations:
        return self.ctx.rotations

    def exists(self, name: str) -> bool:
        return name in self.rotations.specs

    def token(self, name: str) -> str | None:
        """The token of `name`'s feed (None: no secret to derive one from, no feed)."""
        for rotation in self.config.rotations:
            if rotation.name == name and rotation.calendar_token:
                return rotation.calendar_token
        return derive_token(self.secret, f"calendar:{name}") if self.secret else None

    def allows(self, name: str, given: str | None) -> bool:
        """Whether `given` opens `name`'s feed; compared in constant time."""
        return token_matches(self.token(name), given)

    async def feed(self, name: str, horizon: timedelta = HORIZON) -> Feed:
        """The shift in force now and every one beginning in the next `horizon`."""
        now = self.clock.now()
        entries = await self.db.read(
            lambda conn: timeline(conn, self.rotations, name, now, now + horizon)
        )
        return Feed(name, now, entries)

    async def grids(self, count: int = GRID_DAYS) -> list[Grid]:
        """Every rotation over the `count` local days from today, in one read."""
        now = self.clock.now()

        def work(conn: Connection) -> list[Grid]:
            return [self._grid(conn, name, now, count) for name in self.rotations.specs]

        return await self.db.read(work)

    def _grid(self, conn: Connection, name: str, now: datetime, count: int) -> Grid:
        zone = self.rotations.specs[name].zone
        columns = days(now, count, zone)
        entries = _joined(timeline(conn, self.rotations, name, now, columns[-1].ends_at))
        rows = [Row(entry, touched(entry.shift, columns)) for entry in entries]
        return Grid(name, zone, now, columns, rows)

    async def now_and_next(self, name: str) -> tuple[Entry, Entry]:
        """Who is on call now (until when), and who takes over then."""
        now = self.clock.now()
        instant = timedelta(microseconds=1)

        def work(conn: Connection) -> tuple[Entry, Entry]:
            [current] = timeline(conn, self.rotations, name, now, now + instant)
            after = current.ends_at
            [upcoming] = timeline(conn, self.rotations, name, after, after + instant)
            return current, upcoming

        return await self.db.read(work)
