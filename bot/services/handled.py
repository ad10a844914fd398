"""Requests already handled, shared by every replica through the database: each request is
claimed once, in the same transaction as its first effect; a second claim of it fails.

A request is named by whatever stays the same when it comes again (a Slack signature, an
event id); the name is stored as its SHA-256, so no signature is kept. The caller passes the
times, taken from the clock it checks freshness with (Slack's timestamps are wall-clock time).

`handling(...)` opens a claim for the task that handles the request: the first write that
task makes inserts the claim in its own transaction, so the claim costs no transaction of its
own and commits with the request's effect or not at all (a crash between the two cannot leave
a request recorded but not done). When the claim is refused, that write raises
`AlreadyHandled` and its transaction rolls back. A request whose handling wrote nothing is
claimed afterwards with `settle` (one short write). Writes of other tasks (Bolt's lazy
listeners, which run after the answer) never carry the claim. At most once per `PRUNE_EVERY`
(per process), a claim also deletes a batch of expired records, in the same transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection

from bot.store import handled as store
from bot.store.db import WRITE_WRAPPER, Database, Work

PRUNE_EVERY = timedelta(seconds=10)  # with store.PRUNE_BATCH, 50 expired records a second go


def key(name: str) -> str:
    """What is stored for `name`: 64 hex digits."""
    return hashlib.sha256(name.encode()).hexdigest()


class AlreadyHandled(BaseException):  # noqa: N818 (a signal, like CancelledError, not an error)
    """The request was claimed before: raised out of its first write, whose transaction rolls
    back. A BaseException, so that listeners' `except Exception` do not take a replay for a
    failure of their own and answer it; whoever opened the claim catches it."""


@dataclass(eq=False)
class Claim:
    """One request's claim: `stored` once a transaction carrying it completed."""

    name: str
    expires_at: datetime
    now: datetime
    prune: bool
    owner: asyncio.Task | None
    stored: bool = False

    def work(self, conn: Connection) -> None:
        if not store.claim(conn, key(self.name), self.expires_at, self.now, prune=self.prune):
            raise AlreadyHandled(self.name)

    def wrap(self, work: Work) -> Work:
        """`work` preceded by the claim, for the first write of the task handling the request."""
        if self.stored or asyncio.current_task() is not self.owner:
            return work

        def claimed_then(conn: Connection):
            self.work(conn)
            result = work(conn)
            self.stored = True  # committed with `result` (a failed COMMIT: the write raises)
            return result

        return claimed_then


@dataclass(eq=False)
class HandledRequests:
    db: Database
    _prune_at: datetime | None = field(default=None, init=False)

    @contextlib.contextmanager
    def handling(self, name: str, expires_at: datetime, now: datetime) -> Iterator[Claim]:
        """Within it, the current task's first write claims `name` until `expires_at`."""
        claim = Claim(name, expires_at, now, self._prune_due(now), asyncio.current_task())
        token = WRITE_WRAPPER.set(claim.wrap)
        try:
            yield claim
        finally:
            WRITE_WRAPPER.reset(token)

    async def settle(self, claim: Claim) -> bool:
        """Claim a request whose handling wrote nothing; False when it was claimed before."""
        if claim.stored:
            return True
        token = WRITE_WRAPPER.set(None)  # this write is the claim itself
        try:
            await self.db.write(claim.work)
        except AlreadyHandled:
            return False
        finally:
            WRITE_WRAPPER.reset(token)
        claim.stored = True
        return True

    async def release(self, claim: Claim) -> None:
        """Withdraw a stored claim: the request failed, and a retry of it must act."""
        if claim.stored:
            stored = key(claim.name)
            token = WRITE_WRAPPER.set(None)
            try:
                await self.db.write(lambda conn: store.release(conn, stored))
            finally:
                WRITE_WRAPPER.reset(token)
            claim.stored = False

    def _prune_due(self, now: datetime) -> bool:
        if self._prune_at is not None and now < self._prune_at:
            return False
        self._prune_at = now + PRUNE_EVERY
        return True
