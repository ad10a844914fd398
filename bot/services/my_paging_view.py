"""My paging as App Home shows it (`MyPaging`): a person's contacts, those in use and those
waiting for their code, their rules and where those come from, and their newest changes as the
audit log has them (target `paging:<user>`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from bot.config import Config
from bot.config_paging import rule_lines
from bot.core import paging_codes as codes
from bot.services import paging
from bot.store import audit
from bot.store import paging_settings as store

SHOWN_CHANGES = 5


def target(user: str) -> str:
    """The audit log's target for a person's paging settings."""
    return f"paging:{user}"


@dataclass(frozen=True)
class Contact:
    medium: str  # email | phone | ntfy
    address: str | None  # where pages go now
    mine: bool  # set in My paging; else the config's (or none)
    pending: str | None = None  # a new address waiting for its code
    code: str = ""  # that code: coming (not sent yet), sent, expired, void
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Change:
    """One audit row about the person's paging settings."""

    at: datetime
    action: str
    outcome: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(frozen=True)
class MyPaging:
    user: str
    contacts: tuple[Contact, ...]  # email, phone, ntfy
    apprise: int  # URLs under `people:` in the config
    rules: tuple[str, ...]  # as the rules form takes them: `0m: slack, ntfy`
    rules_from: str  # mine | config | default
    changes: tuple[Change, ...]  # newest first

    def contact(self, medium: str) -> Contact:
        return next(c for c in self.contacts if c.medium == medium)

    @property
    def pending(self) -> tuple[Contact, ...]:
        return tuple(c for c in self.contacts if c.pending)


def read(conn: Connection, config: Config, user: str, now: datetime) -> MyPaging:
    stored = store.load(conn, user) or {}
    waiting = store.codes(conn, user)
    yaml = paging.configured(config, user, paging.known(conn, config))
    found = paging.merged(yaml, stored or None, user)
    contacts = tuple(
        _contact(medium, getattr(found, medium, None), bool(stored.get(medium)), waiting, now)
        for medium in ("email", "phone", "ntfy")
    )
    if stored.get("rules"):
        rules_from = "mine"
    elif yaml is not None and yaml.rules:
        rules_from = "config"
    else:
        rules_from = "default"
    chosen = found.rules if found is not None and found.rules else config.paging.default_rules
    changes = tuple(
        Change(row["at"], row["action"], row["outcome"], row["before"], row["after"])
        for row in audit.latest(conn, target(user), SHOWN_CHANGES)
    )
    apprise = len(yaml.apprise) if yaml is not None else 0
    return MyPaging(user, contacts, apprise, tuple(rule_lines(chosen)), rules_from, changes)


def _contact(
    medium: str, address: str | None, mine: bool, waiting: Mapping[str, Mapping], now: datetime
) -> Contact:
    row = waiting.get(medium) or {}
    if not row.get("address"):
        return Contact(medium, address, mine)
    if not row.get("digest"):
        state = "coming"
    elif row["tries"] >= codes.TRIES:
        state = "void"
    elif now >= row["expires_at"]:
        state = "expired"
    else:
        state = "sent"
    return Contact(medium, address, mine, row["address"], state, row.get("expires_at"))
