"""Reading an incident's audit record (`/incident audit INC-42`): for those the access policy's
`audit` allows (by default its responders, its team's members and admins); a refusal is
recorded like any other, a reading is not (views are not recorded).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from bot.core import access
from bot.services import permissions
from bot.services.context import UseCase
from bot.services.groups import Reread
from bot.services.models import IncidentRecord, Outcome
from bot.store import audit as store
from bot.store import incidents as incident_store

SHOWN = 40  # the newest rows shown in Slack; `firebell audit export` has them all


@dataclass(frozen=True)
class Trail:
    incident: IncidentRecord
    rows: list[dict[str, Any]]  # the newest SHOWN, oldest first
    total: int


class AuditTrailService(UseCase):
    async def of_incident(self, actor: str, number: int) -> Trail | Outcome:
        now = self.clock.now()

        def work(conn: Connection) -> Trail | Outcome | Reread:
            row = incident_store.load(conn, number)
            if row is None:
                return Outcome(False, f"There is no INC-{number}. See `/incident list`.")
            incident = IncidentRecord.from_row(row)
            question = permissions.Asked(
                "audit",
                access.Subject(ref=incident.ref, teams=(incident.owner,)),
                incident=incident,
            )
            refusal = permissions.check(
                conn, self.config, self.ctx.rotations, self.ctx.groups, actor, question, now
            )
            if refusal is not None:
                return permissions.denied(
                    conn, now, actor, "audit.view", incident.ref, refusal
                ) or Outcome(False, refusal.message, incident)
            found = list(store.rows(conn, target=incident.ref))
            return Trail(incident, found[-SHOWN:], len(found))

        return await self.write_checked(work, wakes=lambda _: False)
