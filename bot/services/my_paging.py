"""My paging: what a person sets for themselves in App Home, one transaction per use case.

Their e-mail address, phone number and ntfy topic, and their rules, stored over their
`people:` entry (`paging.person` merges them for every page). A new e-mail address or phone
number waits for its 6-digit code (`bot.core.paging_codes`) and is used for pages once typed
back; until then the address before it (or the config's) keeps being paged. A test page goes
once a minute at most through every medium the person can be paged by now. Every change, code
sent, wrong code and test page is an audit row with target `paging:<user>` (phone numbers
masked, codes never), and the newest of them are what My paging shows (`view`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from bot.config_paging import Rule, contact_problem, parse_rules, phone_typed, rule_lines
from bot.core import paging_codes as codes
from bot.core.outbox import OutboxKind
from bot.core.paging import medium_name
from bot.services import audit, paging
from bot.services.context import UseCase
from bot.services.my_paging_view import MyPaging, read, target
from bot.store import outbox
from bot.store import paging_settings as store

CONTACTS = ("email", "phone", "ntfy")
CODE_KINDS = {"email": OutboxKind.PAGE_CODE_EMAIL, "phone": OutboxKind.PAGE_CODE_SMS}
CODE_CHANNELS = {"email": "email", "phone": "sms"}  # the lanes of the person's pages
TEST_KINDS = {
    "slack": OutboxKind.PAGE_TEST_DM,
    "email": OutboxKind.PAGE_TEST_EMAIL,
    "sms": OutboxKind.PAGE_TEST_SMS,
    "ntfy": OutboxKind.PAGE_TEST_NTFY,
    "apprise": OutboxKind.PAGE_TEST_APPRISE,
}
TEST_EVERY = timedelta(minutes=1)
NAMES = {"email": "e-mail address", "phone": "phone number", "ntfy": "ntfy topic"}


@dataclass(frozen=True)
class Answer:
    """What a form or a button did: `problems` by field (nothing was written) or `text` to
    tell the person."""

    problems: Mapping[str, str] = field(default_factory=dict)
    text: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def shown(medium: str, address: str | None) -> str | None:
    """An address as a record keeps it: a phone number masked."""
    return codes.mask_phone(address) if medium == "phone" else address


def _note(
    conn: Connection,
    now: datetime,
    user: str,
    action: str,
    outcome: str = "done",
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """The audit row of one change to `user`'s paging settings, by them."""
    audit.note(conn, now, user, action, target(user), outcome=outcome, before=before, after=after)


def _seconds(left: timedelta) -> int:
    return max(int(left.total_seconds() + 0.999), 1)


class MyPagingService(UseCase):
    async def view(self, user: str) -> MyPaging:
        """My paging as `user` sees it in App Home."""
        config, now = self.config, self.clock.now()
        return await self.db.read(lambda conn: read(conn, config, user, now))

    async def set_contacts(self, user: str, typed: Mapping[str, str]) -> Answer:
        """The contacts form: an empty field removes what the person set (the config's comes
        back), a new e-mail or phone waits for its code, an ntfy topic holds at once."""
        values = {
            key: (phone_typed(text) if key == "phone" else text.strip()) or None
            for key, text in ((key, typed.get(key) or "") for key in CONTACTS)
        }
        problems = {k: p for k, v in values.items() if v and (p := contact_problem(k, v))}
        if problems:
            return Answer(problems)
        now, config = self.clock.now(), self.config

        def work(conn: Connection) -> Answer:
            stored = store.load(conn, user, lock=True) or {}
            waiting = store.codes(conn, user, lock=True)
            yaml = paging.configured(config, user, paging.known(conn, config))
            yaml_ntfy = yaml.ntfy if yaml else None
            plan, problems = [], {}
            for medium in ("email", "phone"):
                new, mine = values[medium], stored.get(medium)
                pending = (waiting.get(medium) or {}).get("address")
                in_use = mine or getattr(yaml, medium, None)
                if new is None and (mine or pending):
                    plan.append(("remove", medium, mine, pending))
                elif new is not None and new == in_use and pending:
                    plan.append(("remove", medium, None, pending))  # the one in use stays
                elif new is not None and new not in (in_use, pending):
                    left = codes.wait((waiting.get(medium) or {}).get("sent_at"), now)
                    if left:
                        problems[medium] = (
                            f"A code went out less than a minute ago; try again in "
                            f"{_seconds(left)} s."
                        )
                    plan.append(("ask", medium, in_use, new))
            new, mine = values["ntfy"], stored.get("ntfy")
            if (new is None and mine) or (new is not None and new != (mine or yaml_ntfy)):
                plan.append(("ntfy", "ntfy", mine, new))
            if problems:
                return Answer(problems)
            done = [self._apply(conn, user, step, now) for step in plan]
            return Answer(text=" ".join(done) or "Nothing changed.")

        return await self.write(work)

    def _apply(self, conn: Connection, user: str, step: tuple, now: datetime) -> str:
        action, medium, old, new = step
        name = NAMES[medium]
        if action == "remove":
            if old:
                store.save(conn, user, {medium: None})
            if new:
                store.settle(conn, user, medium)
            before = (
                {"medium": medium, "address": shown(medium, old)} if old else {"medium": medium}
            )
            if new:
                before["pending"] = shown(medium, new)
            _note(conn, now, user, "paging.contact.remove", before=before)
            return f"Your {name} is removed." if old else f"The new {name} is dropped."
        if action == "ntfy":
            store.save(conn, user, {"ntfy": new})
            before, after = {"medium": medium, "address": old}, {"medium": medium, "address": new}
            verb = "paging.contact.set" if new else "paging.contact.remove"
            _note(conn, now, user, verb, before=before, after=after if new else None)
            return f"Your ntfy topic is now {new}." if new else "Your ntfy topic is removed."
        before = {"medium": medium, "address": shown(medium, old)}
        after = {"medium": medium, "pending": shown(medium, new)}
        _note(conn, now, user, "paging.contact.set", before=before, after=after)
        self._send_code(conn, user, medium, new, now)
        return f"A code is on its way to {new}: enter it under My paging."

    def _send_code(
        self, conn: Connection, user: str, medium: str, address: str, now: datetime
    ) -> None:
        """`address` waits for a code; the outbox row that sends it (the code itself is made
        when it leaves, and only its hash is kept)."""
        store.ask(conn, user, medium, address, now)
        channel = f"{CODE_CHANNELS[medium]}:{user}"
        payload = {"user": user, "medium": medium, "to": address}
        outbox.enqueue(conn, now, CODE_KINDS[medium], channel=channel, payload=payload)
        after = {"medium": medium, "to": shown(medium, address)}
        _note(conn, now, user, "paging.code.send", after=after)

    async def resend(self, user: str, medium: str) -> Answer:
        """A new code for the address waiting for one (at most one a minute)."""
        now = self.clock.now()

        def work(conn: Connection) -> Answer:
            row = store.codes(conn, user, lock=True).get(medium) or {}
            if not row.get("address"):
                return Answer(text="Nothing is waiting for a code.")
            if left := codes.wait(row["sent_at"], now):
                return Answer(
                    text=f"A code went out less than a minute ago; ask again in {_seconds(left)} s."
                )
            self._send_code(conn, user, medium, row["address"], now)
            return Answer(text=f"A new code is on its way to {row['address']}.")

        return await self.write(work)

    async def code(self, user: str, medium: str, address: str) -> str | None:
        """The code to send now to `address`, kept only as its hash (replacing any code sent
        before); None when `address` waits for no code any more (changed, verified)."""
        now = self.clock.now()

        def work(conn: Connection) -> str | None:
            row = store.codes(conn, user, lock=True).get(medium)
            if row is None or row["address"] != address:
                return None
            code, salt = codes.new_code(), codes.new_salt()
            digest = codes.digest(salt, user, medium, address, code)
            store.issue(conn, user, medium, salt, digest, now + codes.LIFETIME)
            return code

        return await self.write(work, lambda _: False)

    async def verify(self, user: str, medium: str, typed: str) -> Answer:
        """The code typed back: right, the address is used for pages from now on; wrong, one
        try fewer (the fifth voids the code)."""
        code = codes.typed(typed)
        if not (code.isdigit() and len(code) == codes.DIGITS):
            return Answer({"code": f"Type the {codes.DIGITS} digits of the code."})
        if medium not in codes.MEDIA:
            return Answer({"code": "Nothing is waiting for a code."})
        now = self.clock.now()

        def work(conn: Connection) -> Answer:
            row = store.codes(conn, user, lock=True).get(medium)
            verdict, tries = codes.verdict(row, user, medium, code, now)
            if verdict == codes.Verdict.RIGHT:
                address = row["address"]
                old = (store.load(conn, user, lock=True) or {}).get(medium)
                store.save(conn, user, {medium: address})
                store.settle(conn, user, medium)
                before = {"medium": medium, "address": shown(medium, old)}
                after = {"medium": medium, "address": shown(medium, address)}
                _note(conn, now, user, "paging.verify", before=before, after=after)
                return Answer(text=f"Verified: pages go to {address} from now on.")
            if verdict in (codes.Verdict.WRONG, codes.Verdict.VOIDED):
                store.tried(conn, user, medium, tries)
                after = {"medium": medium, "tries": tries}
                if verdict == codes.Verdict.VOIDED:
                    after["void"] = True
                _note(conn, now, user, "paging.verify", "invalid", after=after)
            return Answer({"code": _refusal(verdict, tries, row)})

        return await self.write(work)

    async def set_rules(self, user: str, text: str) -> Answer:
        """The rules form, one rule a line (`0m: slack, ntfy`); empty: the config's rules."""
        try:
            parsed = parse_rules(text)
        except ValueError as exc:
            return Answer({"rules": str(exc)})
        now, config = self.clock.now(), self.config

        def work(conn: Connection) -> Answer:
            stored = store.load(conn, user, lock=True) or {}
            waiting = store.codes(conn, user, lock=True)
            yaml = paging.configured(config, user, paging.known(conn, config))
            found = paging.merged(yaml, stored or None, user)
            for rule in parsed:
                for medium in rule.via:
                    if problem := _unreachable(medium, found, waiting):
                        return Answer({"rules": problem})
            new = [rule.model_dump(mode="json") for rule in parsed] or None
            old = stored.get("rules")
            chosen = (
                found.rules if found is not None and found.rules else config.paging.default_rules
            )
            if new == old or (old is None and rule_lines(parsed) == rule_lines(chosen)):
                return Answer(text="Your rules are as they were.")
            store.save(conn, user, {"rules": new})
            before = {"rules": rule_lines([Rule.model_validate(r) for r in old])} if old else None
            after = {"rules": rule_lines(parsed)} if new else None
            action = "paging.rules.set" if new else "paging.rules.remove"
            _note(conn, now, user, action, before=before, after=after)
            return Answer(text="Your rules are saved." if new else "The config's rules page you.")

        return await self.write(work)

    async def test(self, user: str) -> Answer:
        """A test page at once through every medium `user` can be paged by now (Slack, and
        each address in use); one a minute."""
        now, config = self.clock.now(), self.config

        def work(conn: Connection) -> Answer:
            stored = store.load(conn, user, lock=True) or {}
            last = stored.get("tested_at")
            if last is not None and (left := last + TEST_EVERY - now) > timedelta(0):
                return Answer(
                    text="You sent yourself a test page less than a minute ago; try again in "
                    f"{_seconds(left)} s."
                )
            found = paging.person(conn, config, user, paging.known(conn, config))
            media = {"slack": {}}
            if found is not None:
                addresses = (
                    ("email", "to", found.email),
                    ("sms", "phone", found.phone),
                    ("ntfy", "topic", found.ntfy),
                )
                media |= {medium: {key: value} for medium, key, value in addresses if value}
                if found.apprise:  # the URLs hold secrets: read when it leaves
                    media["apprise"] = {}
            for medium, extra in media.items():
                channel = user if medium == "slack" else f"{medium}:{user}"
                payload = {"user": user, **extra}
                outbox.enqueue(conn, now, TEST_KINDS[medium], channel=channel, payload=payload)
            store.save(conn, user, {"tested_at": now})
            _note(conn, now, user, "paging.test", after={"media": list(media)})
            names = ", ".join(medium_name(m) for m in media)
            return Answer(text=f"Test page sent by {names}: check that each one arrives.")

        return await self.write(work)


def _unreachable(medium: str, found, waiting: Mapping[str, Mapping]) -> str | None:
    """Why a rule cannot name `medium` for this person (None: it can)."""
    if medium == "slack":
        return None
    if medium == "apprise":
        if found is None or not found.apprise:
            return "apprise needs URLs under `people:` in the config (ask whoever runs Firebell)."
        return None
    contact = "phone" if medium in ("sms", "voice") else medium
    pending = (waiting.get(contact) or {}).get("address")
    if getattr(found, contact, None) or pending:
        return None
    return f"{medium} needs your {NAMES[contact]}: add it with Edit contacts first."


def _refusal(verdict: codes.Verdict, tries: int, row: Mapping | None) -> str:
    left = codes.TRIES - tries
    if verdict == codes.Verdict.WRONG:
        return f"That is not the code; {left} {'try' if left == 1 else 'tries'} left."
    if verdict in (codes.Verdict.VOIDED, codes.Verdict.VOID):
        return "Wrong 5 times: this code no longer works. Ask for a new one in My paging."
    if verdict == codes.Verdict.EXPIRED:
        return "This code has expired (codes hold 15 minutes). Ask for a new one in My paging."
    if row and row.get("address"):
        return "The code is still on its way; try again in a moment."
    return "Nothing is waiting for a code."
