"""Maintenance windows: while one covers a service, its alerts open no incident and page
nobody; they are recorded and posted quietly to the incident channel instead.

Two kinds: windows set with `/incident maintenance <duration> [service]` (rows in
`maintenance_windows`, starting at once) and `maintenance:` windows in the config (once, or
weekly; computed, not stored). The start and the end of each are posted to the incident
channel: a command window's start at once and its end by a timer; a config window's start and
end by timers planned ahead, keyed by occurrence so planning again changes nothing.

Who may set or end a command window is the access policy's (`core.access`): by default, for
every service the config's `admins` only (it silences all paging), for one service the members
of its owning team and the admins. Anyone else gets `NotAllowed`, recorded in the audit log,
and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from bot.config import Config
from bot.core import access
from bot.core.coverage import parse_window
from bot.core.durations import format_duration
from bot.core.maintenance import ConfigWindow, Maintenance, occurrences
from bot.core.outbox import OutboxKind
from bot.services import audit, permissions
from bot.services.context import Context, UseCase
from bot.services.groups import Reread
from bot.store import alerts as store
from bot.store import outbox, timers

AfterEnd = Callable[[Connection, Context, datetime, "str | None"], None]
MAX_LENGTH = timedelta(days=7)  # longer maintenance belongs in the config
PLAN_AHEAD = timedelta(days=8)
LIST_AHEAD = timedelta(days=7)


def config_windows(config: Config) -> list[ConfigWindow]:
    out = []
    for i, item in enumerate(config.maintenance):
        window = None
        if item.days is not None and item.start_time is not None and item.end_time is not None:
            window = parse_window(item.days, item.start_time, item.end_time)
        out.append(
            ConfigWindow(
                index=i,
                service=item.service,
                reason=item.reason,
                zone=config.zone,
                start=item.start,
                end=item.end,
                window=window,
            )
        )
    return out


def _from_row(row) -> Maintenance:
    return Maintenance(
        starts_at=row["starts_at"],
        ends_at=row["ended_at"] or row["ends_at"],
        service=row["service"],
        reason=row["reason"] or "",
        id=row["id"],
        created_by=row["created_by"],
    )


def windows_at(
    conn: Connection, config: Config, at: datetime, until: datetime | None = None
) -> list[Maintenance]:
    """Windows running at `at` (and, with `until`, those starting before it)."""
    found = [_from_row(r) for r in store.live_windows(conn, at, until=until)]
    if config.maintenance:
        end = until or at
        found += occurrences(config_windows(config), at, end + timedelta(microseconds=1))
    return sorted(found, key=lambda w: (w.starts_at, w.id or 0, w.key))


def _scope(service: str | None) -> str:
    """What a window covers, as the audit log names it."""
    return f"service:{service}" if service else "service:*"


def _facts(window: Maintenance) -> dict[str, Any]:
    return {
        "id": window.id,
        "key": window.key,
        "service": window.service,
        "reason": window.reason,
        "starts_at": window.starts_at.isoformat(),
        "ends_at": window.ends_at.isoformat(),
        "by": window.created_by,
    }


def _post(conn: Connection, ctx: Context, now: datetime, phase: str, facts: dict) -> None:
    outbox.enqueue(
        conn,
        now,
        OutboxKind.MAINTENANCE,
        # a service's window is the owning team's news; every service's, the default team's
        channel=ctx.config.channel_of(ctx.config.owner(facts.get("service"))),
        payload={**facts, "phase": phase},
    )


def plan(conn: Connection, ctx: Context, now: datetime) -> None:
    """Timers for the start and end of each config window's next (or current) occurrence."""
    if not ctx.config.maintenance:
        return
    for spec in config_windows(ctx.config):
        coming = occurrences([spec], now, now + PLAN_AHEAD)
        if not coming:
            continue
        window = coming[0]
        facts = _facts(window)
        for phase, due in (("start", window.starts_at), ("end", window.ends_at)):
            timers.schedule(
                conn,
                now,
                f"maintenance_{phase}",
                due,
                payload=facts,
                key=f"maintenance:{window.key}:{phase}",
            )


def fire_start(conn: Connection, ctx: Context, timer, now: datetime) -> bool:
    facts = dict(timer["payload"])
    _post(conn, ctx, now, "start", facts)
    return True


def fire_end(conn: Connection, ctx: Context, timer, now: datetime) -> bool:
    facts = dict(timer["payload"])
    if facts.get("id") is not None:
        row = store.load_window(conn, facts["id"], lock=True)
        if row is None or row["ended_at"] is not None:
            return False  # ended early: its end was posted then
    _post(conn, ctx, now, "end", facts)
    return True


# -- `/incident maintenance` ------------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    window: Maintenance
    overlaps: list[Maintenance]


@dataclass(frozen=True)
class Ended:
    window: Maintenance


@dataclass(frozen=True)
class Listed:
    at: datetime
    windows: list[Maintenance]


@dataclass(frozen=True)
class Refused:
    message: str


@dataclass(frozen=True)
class NotAllowed:
    """`actor` may not start or end a window for `service` (None: every service); `message`
    names who may."""

    service: str | None
    message: str


@dataclass(eq=False)
class MaintenanceService(UseCase):
    after_end: AfterEnd | None = None  # opens incidents for what still fires

    def _not_allowed(
        self,
        conn: Connection,
        actor: str,
        action: str,
        service: str | None,
        now: datetime,
        window: int | None = None,
    ) -> NotAllowed | Reread | None:
        """None when `actor` may start or end (`action`) a window for `service` (`window`:
        the one being ended); else the refusal, recorded (or `Reread` while a user group
        might grant it)."""
        if service is None:
            question = permissions.Asked("maintenance_all", access.Subject())
        else:
            owner = self.config.owner(service)
            question = permissions.Asked(
                "maintenance", access.Subject(service=service, teams=(owner,))
            )
        refusal = permissions.check(
            conn, self.config, self.ctx.rotations, self.ctx.groups, actor, question, now
        )
        if refusal is None:
            return None
        target = f"maintenance:{window}" if window is not None else _scope(service)
        return permissions.denied(conn, now, actor, action, target, refusal) or NotAllowed(
            service, refusal.message
        )

    async def start(
        self, actor: str, duration: timedelta, service: str | None, reason: str = ""
    ) -> Started | Refused | NotAllowed:
        if len(reason) > 300:
            return Refused(
                f"The reason is {len(reason)} characters; keep it under 300. Nothing was changed."
            )
        if duration > MAX_LENGTH:
            return Refused(
                f"A maintenance window set here lasts at most {MAX_LENGTH.days} days "
                f"(you asked for {format_duration(duration)}); put longer ones under "
                "`maintenance:` in the config. Nothing was changed."
            )
        now = self.clock.now()

        def work(conn: Connection) -> Started | NotAllowed | Reread:
            if denied := self._not_allowed(conn, actor, "maintenance.start", service, now):
                return denied
            overlaps = [
                w
                for w in windows_at(conn, self.ctx.config, now)
                if w.service is None or service is None or w.service == service
            ]
            values = {
                "service": service,
                "reason": reason or None,
                "starts_at": now,
                "ends_at": now + duration,
                "created_by": actor,
                "created_at": now,
            }
            number = store.insert_window(conn, values)
            audit.note(conn, now, actor, "maintenance.start", f"maintenance:{number}", after=values)
            window = _from_row(store.load_window(conn, number))
            facts = _facts(window)
            _post(conn, self.ctx, now, "start", facts)
            timers.schedule(
                conn,
                now,
                "maintenance_end",
                window.ends_at,
                payload=facts,
                key=f"maintenance:{number}:end",
            )
            return Started(window, overlaps)

        return await self.write_checked(work, wakes=lambda done: isinstance(done, Started))

    async def end(self, actor: str, number: int | None) -> Ended | Refused | NotAllowed:
        now = self.clock.now()

        def work(conn: Connection) -> Ended | Refused | NotAllowed | Reread:
            target = number
            if target is None:
                running = [w for w in windows_at(conn, self.ctx.config, now) if w.id is not None]
                if len(running) != 1:
                    listed = ", ".join(f"#{w.id}" for w in running)
                    return Refused(
                        "Which one? Several maintenance windows are running: "
                        f"{listed}. `/incident maintenance end <number>`."
                        if running
                        else "No maintenance window set with `/incident maintenance` is "
                        "running (config windows end on their own)."
                    )
                target = running[0].id
            row = store.load_window(conn, target, lock=True)
            if row is None:
                return Refused(
                    f"There is no maintenance window #{target}. See `/incident maintenance list`."
                )
            if denied := self._not_allowed(
                conn, actor, "maintenance.end", row["service"], now, target
            ):
                return denied
            if row["ended_at"] is not None or row["ends_at"] <= now:
                over = f"Maintenance window #{target} is already over."
                window = f"maintenance:{target}"
                audit.note(
                    conn,
                    now,
                    actor,
                    "maintenance.end",
                    window,
                    outcome="invalid",
                    after={"problem": over},
                )
                return Refused(over)
            store.end_window(conn, target, actor, now)
            audit.note(
                conn,
                now,
                actor,
                "maintenance.end",
                f"maintenance:{target}",
                before={"ends_at": row["ends_at"]},
                after={"ends_at": now, "ended_by": actor},
            )
            window = _from_row(store.load_window(conn, target))
            _post(conn, self.ctx, now, "end", {**_facts(window), "ended_by": actor})
            if self.after_end is not None:
                self.after_end(conn, self.ctx, now, window.service)
            return Ended(window)

        return await self.write_checked(work, wakes=lambda ended: isinstance(ended, Ended))

    async def list(self) -> Listed:
        now = self.clock.now()
        found = await self.db.read(
            lambda conn: windows_at(conn, self.ctx.config, now, until=now + LIST_AHEAD)
        )
        return Listed(now, found)
