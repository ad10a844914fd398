"""Requests already handled, shared by every replica through the database: a request is claimed
once before it is acted on; a second claim of the same request fails until the record expires.

A request is named by whatever stays the same when it comes again (a Slack signature, an
event id); the name is stored as its SHA-256, so no signature is kept. The caller passes the
times, taken from the clock it checks freshness with (Slack's timestamps are wall-clock time).
A claim is one short write; at most once per `PRUNE_EVERY` (per process) it also deletes a
batch of expired records, in the same transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.store import handled as store
from bot.store.db import Database

PRUNE_EVERY = timedelta(seconds=10)  # with store.PRUNE_BATCH, 50 expired records a second go


def key(name: str) -> str:
    """What is stored for `name`: 64 hex digits."""
    return hashlib.sha256(name.encode()).hexdigest()


@dataclass(eq=False)
class HandledRequests:
    db: Database
    _prune_at: datetime | None = field(default=None, init=False)

    async def claim(self, name: str, expires_at: datetime, now: datetime) -> bool:
        """True the first time `name` is claimed; False while an earlier claim of it stands."""
        stored = key(name)
        prune = self._prune_at is None or now >= self._prune_at
        if prune:
            self._prune_at = now + PRUNE_EVERY
        return await self.db.write(
            lambda conn: store.claim(conn, stored, expires_at, now, prune=prune)
        )

    async def release(self, name: str) -> None:
        """Withdraw a claim: the request failed, and a retry of it must act."""
        stored = key(name)
        await self.db.write(lambda conn: store.release(conn, stored))
