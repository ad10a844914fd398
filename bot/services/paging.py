"""A page runs the paged person's rules: each step's media at its time after the page.

When a change pages someone (`changes.record`), `page` sends the steps due at once and arms a
durable `page_step` timer for each later one, in the same transaction. Acknowledging or
resolving the incident cancels every pending step (`cancel`, from `changes.record`), and a step
that fires anyway finds the incident taken and does nothing. The media are outbox rows: the
Slack DM as always, and one row per page by e-mail, ntfy, SMS, voice or Apprise, each in a
lane of the person's (`lane`). How a person is paged is their `people:` entry with what they
set for themselves in My paging over it (`person`), read in the page's own transaction.

Someone named by an e-mail address no Slack user has (`oncall.resolve`'s unreached) is paged
too when their `people:` entry gives them another medium (`outside_slack`): their steps skip
`slack`, and they acknowledge through the link their page carries, as that address.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from hashlib import sha256

from sqlalchemy import Connection

from bot.config import Config
from bot.config_paging import Person, Rule
from bot.core.incident import Event
from bot.core.outbox import OutboxKind
from bot.core.paging import Step, due_steps
from bot.core.targets import in_slack
from bot.services import permissions, timeline
from bot.services.context import Context, UseCase
from bot.services.oncall import known_people
from bot.store import incidents as incident_store
from bot.store import outbox, timers
from bot.store import paging_settings as settings

STEP = "page_step"
SENT = "page_sent"  # the timeline event of a page that left by e-mail or push
TAKEN = frozenset({"acknowledged", "resolved"})  # an incident nobody needs paging for
# the longest name a person acts by that the tables hold (`acknowledged_by`, `events.actor`,
# `page_sends.user`): a longer address than this is never paged outside Slack
ACTOR_MOST = 64


def configured(config: Config, user: str, people: Mapping[str, str]) -> Person | None:
    """The `people:` entry of a Slack user (named by id, or by an e-mail Slack resolved)."""
    return next((p for p in config.people if permissions.matches(p.user, user, people)), None)


def person(conn: Connection, config: Config, user: str, people: Mapping[str, str]) -> Person | None:
    """How `user` is paged now: their `people:` entry with what they set in My paging over
    it, field by field (a verified e-mail or phone, an ntfy topic, their rules); None when
    neither has anything."""
    return merged(configured(config, user, people), settings.load(conn, user), user)


def merged(found: Person | None, stored: Mapping | None, user: str) -> Person | None:
    """`stored` (a `paging_settings` row) over `found`: each field set there replaces the
    config's; Apprise URLs stay the config's alone (they hold secrets)."""
    if stored is None:
        return found
    update: dict = {key: stored[key] for key in ("email", "phone", "ntfy") if stored[key]}
    if stored["rules"]:
        update["rules"] = [Rule.model_validate(rule) for rule in stored["rules"]]
    if not update:
        return found
    return (found or Person(user=user)).model_copy(update=update)


def rules(config: Config, found: Person | None) -> list[Step]:
    chosen = found.rules if found and found.rules else config.paging.default_rules
    return [Step(rule.after, tuple(rule.via)) for rule in chosen]


def page(
    conn: Connection,
    ctx: Context,
    number: int,
    users: Sequence[str],
    event_id: int,
    now: datetime,
) -> None:
    """`users` are paged now about incident `number` (timeline event `event_id`)."""
    people = known(conn, ctx.config)
    for user in users:
        found = person(conn, ctx.config, user, people)
        for due, media in due_steps(rules(ctx.config, found), now):
            payload = {"user": user, "event_id": event_id, "media": list(media)}
            if due <= now:
                send(conn, ctx, number, payload, now, found)
            else:
                timers.schedule(conn, now, STEP, due, incident_id=number, payload=payload)


def outside_slack(conn: Connection, config: Config, unreached: Sequence[str]) -> list[str]:
    """Those of `unreached` (addresses no Slack user has) whom a page still reaches: their
    rules name a medium their `people:` entry has the address for."""
    people = known(conn, config)
    return [user for user in unreached if media_outside_slack(conn, config, user, people)]


def media_outside_slack(
    conn: Connection, config: Config, user: str, people: Mapping[str, str]
) -> list[str]:
    """The media a page of `user`, an address no Slack user has, goes out by: those their
    rules name and their entry has the address for (none for an address too long to act by)."""
    return _media(config, user, person(conn, config, user, people))


def configured_media(config: Config, user: str) -> list[str]:
    """The same as the config alone says it, before any page (`firebell check --slack`)."""
    return _media(config, user, configured(config, user, {}))


def _media(config: Config, user: str, found: Person | None) -> list[str]:
    if len(user) > ACTOR_MOST:
        return []
    named = dict.fromkeys(medium for step in rules(config, found) for medium in step.via)
    return [medium for medium in named if reaches(found, user, medium)]


def reaches(found: Person | None, user: str, medium: str) -> bool:
    """Whether `medium` can page `user`: Slack anyone in Slack, the others an address their
    entry (`found`) gives."""
    if medium == "slack":
        return in_slack(user)
    if found is None:
        return False
    address = {
        "email": found.email,
        "sms": found.phone,
        "voice": found.phone,
        "ntfy": found.ntfy,
        "apprise": found.apprise,
    }
    return bool(address.get(medium))


def known(conn: Connection, config: Config) -> Mapping[str, str]:
    """E-mail -> Slack user, read only when `people:` may name someone by e-mail."""
    return known_people(conn) if config.people else {}


def cancel(conn: Connection, number: int) -> None:
    """The incident was taken: no step of any page of it goes out any more."""
    timers.cancel(conn, number, (STEP,))


def fire(conn: Connection, ctx: Context, timer, now: datetime) -> bool:
    """A later step falls due: send it, unless the incident was taken meanwhile."""
    row = incident_store.load(conn, timer["incident_id"], lock=True)
    if row is None or row["status"] in TAKEN:
        return False
    payload = timer["payload"]
    found = person(conn, ctx.config, payload["user"], known(conn, ctx.config))
    send(conn, ctx, row["id"], payload, now, found)
    return True


def send(
    conn: Connection,
    ctx: Context,
    number: int,
    payload: Mapping,
    now: datetime,
    found: Person | None,
) -> None:
    """One step's outbox rows: a Slack DM, an e-mail, a push, an SMS, a call, as the step
    names them and the person (`found`, their `people:` entry) has the address for."""
    user, event_id = payload["user"], payload["event_id"]
    for medium in payload["media"]:
        row = _row(conn, number, user, medium, found)
        if row is not None:
            kind, channel, extra = row
            body = {"user": user, "event_id": event_id, **extra}
            outbox.enqueue(conn, now, kind, incident_id=number, channel=channel, payload=body)


def _row(
    conn: Connection, number: int, user: str, medium: str, found: Person | None
) -> tuple[OutboxKind, str, dict] | None:
    """The outbox row of one medium for one person: its kind, channel (the person, per
    medium: a lane each) and what its payload holds besides who and which event; None when
    the medium cannot reach them (`reaches`)."""
    if not reaches(found, user, medium):
        return None
    if medium == "slack":
        return OutboxKind.DM, user, {}
    assert found is not None  # `reaches` outside Slack only through an entry's address
    channel = lane(medium, user)
    if medium == "email":
        first = not outbox.made_for(conn, number, OutboxKind.PAGE_EMAIL, channel)
        return OutboxKind.PAGE_EMAIL, channel, {"to": found.email, "first": first}
    if medium in ("sms", "voice"):
        kind = OutboxKind.PAGE_SMS if medium == "sms" else OutboxKind.PAGE_VOICE
        return kind, channel, {"phone": found.phone, "attempt": 0}
    if medium == "ntfy":
        return OutboxKind.PAGE_NTFY, channel, {"topic": found.ntfy}
    # apprise: the URLs hold tokens, read at send time
    return OutboxKind.PAGE_APPRISE, channel, {}


def lane(medium: str, user: str) -> str:
    """A person's lane for one medium: `sms:U0AAA`; an address in place of a user id is
    digested, as the outbox's channel holds 32 characters."""
    key = user if in_slack(user) else "~" + sha256(user.encode()).hexdigest()[:20]
    return f"{medium}:{key}"


class PagingService(UseCase):
    async def sent(self, number: int, user: str, medium: str) -> None:
        """A page left by `medium` (e-mail, ntfy): a line in the incident's timeline and
        thread, so the room sees whom it reached outside Slack."""
        now = self.clock.now()

        def work(conn: Connection) -> None:
            row = incident_store.load(conn, number)
            if row is not None:
                event = Event(SENT, "firebell", data={"user": user, "via": medium})
                timeline.post(conn, number, row["channel_id"], event, now)

        await self.write(work)

    async def apprise_urls(self, user: str) -> list[str]:
        """`user`'s Apprise URLs as the config says now (they stay out of the outbox)."""
        config = self.config
        found = await self.db.read(lambda conn: person(conn, config, user, known(conn, config)))
        return list(found.apprise) if found else []
