"""Incident use cases: declare, acknowledge, escalate, update, resolve, reopen, assign.

Each runs one transaction: load (row-locked on PostgreSQL), ask core, write the change, its
timeline event and the outbox rows that tell Slack about it. Slack is never called here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import access
from bot.core import incident as core
from bot.core.incident import Change, Denied, Role
from bot.core.outbox import OutboxKind
from bot.services import audit, changes, permissions
from bot.services.context import Context, UseCase
from bot.services.groups import Reread
from bot.services.models import EventRecord, IncidentRecord, Outcome
from bot.store import incidents as store
from bot.store import outbox, timers

Decide = Callable[[core.Incident, datetime], Change | Denied]
NO_PRIVATE_CHANNEL = (
    "Private incidents open in a private channel: add `private_channel:` (the channel's id, "
    "with Firebell invited) to the config. Nothing was declared."
)
_AUDITED = {"severity_up": "severity", "severity_down": "severity"}  # access -> audit action


class IncidentService(UseCase):
    @property
    def zone(self) -> ZoneInfo:
        return self.config.zone

    async def declare(
        self,
        actor: str,
        title: str,
        severity: str | None = None,
        *,
        service: str | None = None,
        tenants: Sequence[str] = (),
        description: str | None = None,
        source: str = "slack",
        team: str | None = None,
        private: bool = False,
    ) -> Outcome:
        title = " ".join(title.split())
        problem = core.check_title(title) or core.check_text(description or "", "The description")
        if team and not problem:
            problem = self.config.unknown_team(team)
        if private and not problem and self.config.private_channel is None:
            problem = NO_PRIVATE_CHANNEL
        if problem:
            return Outcome(False, problem)
        now = self.clock.now()

        def work(conn) -> Outcome | Reread:
            owner = self.config.owner(service, team)
            question = permissions.Asked("declare", access.Subject(teams=(owner,)))
            if refusal := self._check(conn, actor, question, now):
                target = f"team:{owner}"
                return permissions.denied(conn, now, actor, "declare", target, refusal) or Outcome(
                    False, refusal.message
                )
            declared = declare_in(
                conn,
                self.ctx,
                now,
                actor,
                title,
                severity,
                service=service,
                tenants=tenants,
                description=description,
                source=source,
                team=team,
                private=private,
            )
            return Outcome(True, None, declared)

        return await self.write_checked(work, wakes=lambda outcome: outcome.ok)

    async def acknowledge(self, actor: str, number: int) -> Outcome:
        return await self._transition(
            actor,
            number,
            lambda inc, now: core.acknowledge(inc, actor, now, self.zone),
            "acknowledge",
        )

    async def transfer(self, actor: str, number: int, team: str) -> Outcome:
        """Hand an open incident to another team (see `core.transfer`); its new channel gets
        a line that links to the thread, which stays where it is."""
        if problem := self.config.unknown_team(team):
            return Outcome(False, problem)
        policy = self.config.policy(team)
        channel = self.config.channel_of(team)

        def decide(inc: core.Incident, now: datetime) -> Change | Denied:
            return core.transfer(inc, actor, now, team, policy, self._ack_within(inc.severity))

        def announce(conn, before: IncidentRecord, now: datetime) -> None:
            if channel != before.channel_id and not before.private:  # a private one stays quiet
                outbox.enqueue(
                    conn, now, OutboxKind.TRANSFERRED, incident_id=number, channel=channel
                )

        return await self._transition(actor, number, decide, "transfer", then=announce, to=team)

    async def resolve(self, actor: str, number: int, summary: str = "") -> Outcome:
        if problem := core.check_text(summary, "The summary"):
            return Outcome(False, problem)
        return await self._transition(
            actor,
            number,
            lambda inc, now: core.resolve(inc, actor, now, self.zone, summary),
            "resolve",
        )

    async def reopen(self, actor: str, number: int, reason: str = "") -> Outcome:
        if problem := core.check_text(reason, "The reason"):
            return Outcome(False, problem)
        return await self._transition(
            actor,
            number,
            lambda inc, now: core.reopen(inc, actor, now, self._ack_within(inc.severity), reason),
            "reopen",
        )

    async def escalate(self, actor: str, number: int, reason: str = "") -> Outcome:
        if problem := core.check_text(reason, "The reason"):
            return Outcome(False, problem)
        return await self._transition(
            actor,
            number,
            lambda inc, now: core.escalate(inc, actor, now, self._ack_within(inc.severity), reason),
            "escalate",
        )

    async def change_severity(self, actor: str, number: int, severity: str) -> Outcome:
        try:
            level = self.config.severity(severity)
        except KeyError:
            names = ", ".join(self.config.severity_names)
            return Outcome(False, f"There is no severity by that name; use one of {names}.")
        return await self._transition(
            actor,
            number,
            lambda inc, now: core.change_severity(inc, actor, level.name, level.ack_within),
            lambda before: (
                "severity_down" if self._less_severe(level.name, before) else "severity_up"
            ),
        )

    async def assign(self, actor: str, number: int, role: Role, user: str) -> Outcome:
        return await self._transition(
            actor, number, lambda inc, now: core.assign(inc, actor, role, user), "assign"
        )

    async def post_update(
        self,
        actor: str,
        number: int,
        text: str,
        eta: timedelta | None = None,
        *,
        share: bool = False,
    ) -> Outcome:
        text = text.strip()
        if not text:
            return Outcome(False, "An update needs some text: what changed?")
        if problem := core.check_text(text, "The update"):
            return Outcome(False, problem)
        return await self._transition(
            actor,
            number,
            lambda inc, now: core.post_update(inc, actor, now, text, eta, share),
            "update",
        )

    async def get(self, number: int) -> IncidentRecord | None:
        row = await self.db.read(lambda conn: store.load(conn, number), short=True)
        return IncidentRecord.from_row(row) if row else None

    async def list_open(
        self,
        limit: int = 50,
        teams: Collection[str] | None = None,
        *,
        viewer: str | None = None,
    ) -> tuple[list[IncidentRecord], int]:
        """The newest open incidents (of some teams, or all) and how many are open in all.
        For a `viewer`, private incidents they are outside of are masked; without one (a
        broadcast channel's digest), private incidents are left out."""
        public = viewer is None

        def work(conn):
            found = [
                IncidentRecord.from_row(r) for r in store.list_open(conn, limit, teams, public)
            ]
            if viewer is not None:
                found = [self._as_seen(conn, viewer, i) for i in found]
            return found, store.count_open(conn, teams, public)

        return await self.db.read(work)

    async def seen_by(self, viewer: str, number: int) -> IncidentRecord | None:
        """An incident as `viewer` may see it (masked when private and they are outside)."""

        def work(conn):
            row = store.load(conn, number)
            return self._as_seen(conn, viewer, IncidentRecord.from_row(row)) if row else None

        return await self.db.read(work)

    def _as_seen(self, conn, viewer: str, incident: IncidentRecord) -> IncidentRecord:
        ctx = self.ctx
        if permissions.sees(conn, self.config, ctx.rotations, ctx.groups, viewer, incident):
            return incident
        return incident.masked()

    async def timeline(self, number: int, limit: int = 10) -> list[EventRecord]:
        rows = await self.db.read(lambda conn: store.recent_events(conn, number, limit))
        return [EventRecord.from_row(r) for r in rows]

    async def event(self, event_id: int) -> EventRecord | None:
        row = await self.db.read(lambda conn: store.get_event(conn, event_id), short=True)
        return EventRecord.from_row(row) if row else None

    def unknown(self, number: int) -> Outcome:
        return Outcome(False, f"There is no {core.ref(number)}. See `/incident list`.")

    def _ack_within(self, severity: str) -> timedelta:
        return self.ctx.level(severity).ack_within

    def _less_severe(self, severity: str, incident: IncidentRecord) -> bool:
        names = [n.upper() for n in self.config.severity_names]
        was = incident.severity.upper()
        return was in names and names.index(severity.upper()) > names.index(was)

    async def _transition(
        self,
        actor: str,
        number: int,
        decide: Decide,
        action: str | Callable[[IncidentRecord], str],
        then: Callable[[Any, IncidentRecord, datetime], None] | None = None,
        to: str | None = None,
    ) -> Outcome:
        """Lock, check `actor` may (`action`, a `core.access` action), decide, write the
        change (and `then` what else it causes), in one transaction. `to`: the team an
        incident is transferred to (its members may transfer it too)."""
        now = self.clock.now()

        def work(conn) -> Outcome | Reread:
            row = store.load(conn, number, lock=True)
            if row is None:
                return self.unknown(number)
            before = IncidentRecord.from_row(row)
            asked = action(before) if callable(action) else action
            action_name = _AUDITED.get(asked, asked)  # as the audit log names it
            teams = tuple(dict.fromkeys([before.owner, *([to] if to else [])]))
            question = permissions.Asked(
                asked,
                access.Subject(ref=before.ref, teams=teams),
                incident=before,
            )
            if refusal := self._check(conn, actor, question, now):
                return permissions.denied(
                    conn, now, actor, action_name, before.ref, refusal
                ) or Outcome(False, refusal.message, before)
            result = decide(before.core(), now)
            if isinstance(result, Denied):  # e.g. already resolved: refused, and recorded
                problem = {"problem": result.message}
                audit.note(
                    conn, now, actor, action_name, before.ref, outcome="invalid", after=problem
                )
                return Outcome(False, result.message, before)
            after = changes.apply(conn, self.ctx, before, result.fields, result.event, now)
            if then is not None:
                then(conn, before, now)
                after = store.load(conn, number)
            return Outcome(True, None, IncidentRecord.from_row(after))

        return await self.write_checked(work, wakes=lambda outcome: outcome.ok)

    def _check(
        self, conn, actor: str, question: permissions.Asked, now: datetime
    ) -> permissions.Refusal | None:
        return permissions.check(
            conn, self.config, self.ctx.rotations, self.ctx.groups, actor, question, now
        )


def declare_in(
    conn,
    ctx: Context,
    now: datetime,
    actor: str,
    title: str,
    severity: str | None = None,
    *,
    service: str | None = None,
    tenants: Sequence[str] = (),
    description: str | None = None,
    source: str = "slack",
    team: str | None = None,
    private: bool = False,
) -> IncidentRecord:
    """Declare inside the caller's transaction (alerts group and declare atomically): the
    incident, its timeline event, its escalation timers and the outbox rows, in the channel
    and with the chain of the team that owns it (`team`, else the service's owner). The
    title and description must already be checked; wake the sender once committed. A private
    incident (asked for, or of a team that is private) opens in `private_channel`, which the
    caller has made sure exists."""
    config = ctx.config
    owner = config.owner(service, team)
    private = private or config.team(owner).private
    channel = config.private_channel if private else config.channel_of(owner)
    level = config.severity(severity or config.severities[-1].name)
    resumes = ctx.rotations.response_resumes(level.name, now, owner)
    waits = resumes if resumes and level.outside_coverage == "wait" else None
    fields, event = core.declare(
        actor, now, level.name, level.ack_within, config.policy(owner), level.page, waits
    )
    row = store.insert(
        conn,
        {
            **fields,
            "title": title,
            "description": description or None,
            "service": service.lower() if service else None,
            "team": owner,
            "tenants": list(dict.fromkeys(t.strip() for t in tenants if t.strip())),
            "source": source,
            "channel_id": channel,
            "escalation_fence": 1,
            "private": private,
        },
    )
    with timers.together(conn):  # the escalation and reminder timers: one statement
        changes.arm(conn, row["id"], 1, fields, now)
        changes.record(conn, ctx, row["id"], channel, event, now, row=row)
    return IncidentRecord.from_row(row)
