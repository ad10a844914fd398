"""Postmortem drafts: Markdown from the timeline, posted into the thread and served by link.

`/incident postmortem INC-42` (or the button on the resolution reply) queues an outbox row
(`postmortem`); the sender renders the draft from current state and uploads it into the
incident's thread with `files.uploadV2`. The same draft is served at
`GET /incidents/INC-42/postmortem.md?token=...`. The token is per incident: HMAC-SHA256 keyed
by the link secret (the calendar secret: `FIREBELL_CALENDAR_SECRET`, else the signing secret,
else the bot token) over `postmortem:INC-42`, hex, first 32 characters. It is compared in
constant time; without any secret there are no links.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.clock import Clock
from bot.config import Config
from bot.core import access, links
from bot.core.incident import ref
from bot.core.outbox import OutboxKind
from bot.core.postmortem import Subject, markdown
from bot.services import permissions
from bot.services.context import Context, UseCase
from bot.services.models import EventRecord, IncidentRecord, Outcome
from bot.store import incidents as store
from bot.store import outbox
from bot.store.db import Database
from bot.store.timeline import timeline


def derive_token(secret: str, number: int) -> str:
    return links.derive_token(secret, f"postmortem:{ref(number)}")


def subject(incident: IncidentRecord, config: Config) -> Subject:
    try:
        severity = config.severity(incident.severity)
        description, ack, every = (
            severity.description,
            severity.ack_within,
            severity.update_every,
        )
    except KeyError:
        description, ack, every = "", None, None
    return Subject(
        number=incident.id,
        title=incident.title,
        severity=incident.severity,
        severity_description=description,
        status=incident.status,
        service=incident.service,
        tenants=tuple(incident.tenants),
        declared_by=incident.declared_by,
        commander=incident.commander,
        comms_lead=incident.comms_lead,
        summary=incident.summary,
        description=incident.description,
        ack_within=ack,
        update_every=every,
    )


class PostmortemService(UseCase):
    def __init__(
        self,
        db: Database,
        ctx: Context,
        clock: Clock,
        on_outbox: Callable[[], None],
        secret: str | None,
        public_url: str,
    ) -> None:
        super().__init__(db, ctx, clock, on_outbox)
        self._secret = secret  # derives the link tokens; None: no links
        self.public_url = public_url.rstrip("/")

    def token(self, number: int) -> str | None:
        return derive_token(self._secret, number) if self._secret else None

    def allows(self, number: int, token: str | None) -> bool:
        return links.token_matches(self.token(number), token)

    def link(self, number: int) -> str | None:
        token = self.token(number)
        if token is None:
            return None
        return f"{self.public_url}/incidents/{ref(number)}/postmortem.md?token={token}"

    async def draft(self, number: int) -> tuple[IncidentRecord, str] | None:
        """The incident and its draft as of now, or None when there is no such incident."""
        now = self.clock.now()

        def work(conn):
            row = store.load(conn, number)
            if row is None:
                return None
            return IncidentRecord.from_row(row), [
                EventRecord.from_row(e) for e in timeline(conn, number)
            ]

        found = await self.db.read(work)
        if found is None:
            return None
        incident, events = found
        return incident, markdown(subject(incident, self.config), events, self.config.zone, now)

    async def request(self, actor: str, number: int) -> Outcome:
        """Queue the draft's upload into the incident's thread."""
        now = self.clock.now()

        def work(conn) -> Outcome:
            row = store.load(conn, number)
            if row is None:
                return Outcome(False, f"There is no {ref(number)}. See `/incident list`.")
            incident = IncidentRecord.from_row(row)
            ctx = self.ctx
            if not permissions.sees(conn, self.config, ctx.rotations, ctx.groups, actor, incident):
                return Outcome(False, access.private(incident.ref))
            outbox.enqueue(
                conn,
                now,
                OutboxKind.POSTMORTEM,
                incident_id=number,
                channel=row["channel_id"],
                payload={"user": actor},
            )
            return Outcome(True, None, incident)

        return await self.write(work, wakes=lambda outcome: outcome.ok)
