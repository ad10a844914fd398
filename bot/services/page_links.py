"""Acknowledge links: the link every page carries, what it shows, and acting on it.

`link(number, user)` is `FIREBELL_PUBLIC_URL/p/<token>` (see `bot.core.page_links`; the key
is the link secret, as for calendar feeds and postmortem drafts; without one there are no
links). `view(token)` reads the incident, who was paged for it and who resolved it; `act`
acknowledges or escalates as the person the token names, through `IncidentService`, so the
access policy, the timeline, the outbox and the audit log (source `link`) are as for the same
command in Slack. A resolved incident's link shows that it is resolved and changes nothing; so
does a link issued before a resolution, should the incident have been reopened since (the
reopened incident pages again, with new links).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.core import page_links
from bot.core.paging import Page
from bot.services import audit, permissions
from bot.services.context import Context, UseCase
from bot.services.incidents import IncidentService
from bot.services.models import IncidentRecord
from bot.store import incidents as store
from bot.store.db import Database
from bot.store.timeline import timeline

ACTIONS = ("ack", "escalate")
SOURCE = "link"  # the audit log's source for what a link does


@dataclass(frozen=True)
class PageView:
    """An incident as its acknowledge link shows it to the person the link names."""

    incident: IncidentRecord  # masked when private and `user` is outside it
    user: str  # whom the link names; acting through it acts as them
    paged: tuple[str, ...]  # everyone a page of the incident reached, sorted
    stale: bool = False  # issued before a resolution of the (since reopened) incident

    @property
    def others(self) -> tuple[str, ...]:
        """Who else was paged."""
        return tuple(u for u in self.paged if u != self.user)

    @property
    def resolved(self) -> bool:
        return not self.incident.is_open

    @property
    def actionable(self) -> bool:
        """Whether the link may still acknowledge or escalate."""
        return self.incident.is_open and not self.stale


class PageLinkService(UseCase):
    def __init__(
        self,
        db: Database,
        ctx: Context,
        clock: Clock,
        on_outbox: Callable[[], None],
        incidents: IncidentService,
        secret: str | None,
        public_url: str,
    ) -> None:
        super().__init__(db, ctx, clock, on_outbox)
        self.incidents = incidents  # the use cases a link runs
        self._secret = secret  # signs the tokens; None: no links
        self.public_url = public_url.rstrip("/")

    def link(self, number: int, user: str) -> str | None:
        """The acknowledge link for `user`, paged for incident `number` (None: no secret)."""
        token = self.token(number, user)
        return f"{self.public_url}/p/{token}" if token else None

    def page(self, incident: IncidentRecord, user: str) -> Page | None:
        """What a page outside Slack says to `user` (None: no secret to sign its link)."""
        link = self.link(incident.id, user)
        if link is None:
            return None
        first = self.config.severity_names[0].upper()
        return Page(
            number=incident.id,
            severity=incident.severity,
            most_severe=incident.severity.upper() == first,
            title=incident.title,
            team=incident.owner,
            status=incident.status,
            link=link,
            user=user,
        )

    def token(self, number: int, user: str) -> str | None:
        """The signed token of that link (a voice call's keypad answers carry it too)."""
        if not self._secret:
            return None
        return page_links.issue(self._secret, number, user, self.clock.now())

    def claim(self, token: str) -> page_links.Claim | None:
        """What a token says, when it is genuine and not expired."""
        if not self._secret:
            return None
        return page_links.claim(self._secret, token, self.clock.now())

    async def view(self, token: str) -> PageView | None:
        """The page a link opens, or None when the link is not valid (or its incident is
        gone): forged, altered, expired and unknown all look alike."""
        found = self.claim(token)
        return await self._load(found) if found else None

    async def act(
        self, token: str, action: str, source: str = SOURCE
    ) -> tuple[PageView, str] | None:
        """Acknowledge (`ack`) or `escalate` as the link's person; the page afterwards and a
        line saying what happened (or why not). None when the link is not valid."""
        if action not in ACTIONS:
            raise ValueError(f"not a link action: {action!r}")
        found = self.claim(token)
        before = await self._load(found) if found else None
        if found is None or before is None:
            return None
        ref = before.incident.ref
        if before.resolved:
            return before, f"{ref} is resolved; nothing was changed."
        if before.stale:
            return before, f"This link was issued before {ref} was resolved; nothing was changed."
        with audit.origin(source):  # the link, or a phone call's keypad
            if action == "ack":
                outcome = await self.incidents.acknowledge(found.user, found.number)
            else:
                outcome = await self.incidents.escalate(found.user, found.number)
        after = await self._load(found) or before
        if not outcome.ok:
            return after, outcome.message or "Nothing was changed."
        if action == "ack":
            return after, f"You acknowledged {ref}."
        level = after.incident.escalation_level + 1
        return after, f"You escalated {ref}: level {level} is being paged."

    async def _load(self, found: page_links.Claim) -> PageView | None:
        ctx = self.ctx

        def work(conn) -> PageView | None:
            row = store.load(conn, found.number)
            if row is None:
                return None
            incident = IncidentRecord.from_row(row)
            paged = store.paged(conn, found.number)
            who = found.user
            if not permissions.sees(conn, self.config, ctx.rotations, ctx.groups, who, incident):
                incident = incident.masked()
            return PageView(incident, found.user, tuple(sorted(paged)), _stale(conn, found))

        return await self.db.read(work)


def _stale(conn, found: page_links.Claim) -> bool:
    """Whether the incident was resolved after the token was issued (it may be open again)."""
    events = timeline(conn, found.number)
    return any(e["kind"] == "resolved" and e["at"] > found.issued_at for e in events)
