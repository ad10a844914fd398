"""The record of requests already handled: a claim holds until it expires, expired records are
pruned by later claims (a bounded batch each), and a withdrawn claim frees its request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.handled import PRUNE_EVERY
from bot.store.handled import PRUNE_BATCH
from tests.support.db import count, rows

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def db(bot):
    return bot  # its database, SQLite or PostgreSQL


async def test_a_claim_holds_until_it_expires_and_later_claims_prune_it(bot):
    handled = bot.app.services.handled
    assert await handled.claim("signature:v0=aa", T0 + 10 * MINUTE, T0)
    assert not await handled.claim("signature:v0=aa", T0 + 10 * MINUTE, T0 + 9 * MINUTE)
    assert await handled.claim("event:Ev1", T0 + 60 * MINUTE, T0 + 9 * MINUTE)
    assert count(db(bot), "handled_requests") == 2
    # past its expiry the first record goes with the next claim; the event's stays
    assert await handled.claim("signature:v0=bb", T0 + 21 * MINUTE, T0 + 11 * MINUTE)
    assert count(db(bot), "handled_requests") == 2
    assert not await handled.claim("event:Ev1", T0 + 71 * MINUTE, T0 + 11 * MINUTE)
    keys = {key for (key,) in rows(db(bot), "SELECT key FROM handled_requests")}
    assert all(len(key) == 64 and "v0=" not in key for key in keys)  # hashes, not signatures


async def test_pruning_takes_a_bounded_batch_now_and_then(bot):
    handled = bot.app.services.handled
    for n in range(PRUNE_BATCH + 20):
        assert await handled.claim(f"signature:old{n}", T0 + MINUTE, T0)
    later = T0 + 10 * MINUTE
    assert await handled.claim("signature:new1", later + 10 * MINUTE, later)
    assert count(db(bot), "handled_requests") == 20 + 1
    # within PRUNE_EVERY of the last pruning, a claim only inserts
    assert await handled.claim("signature:new2", later + 10 * MINUTE, later + PRUNE_EVERY / 2)
    assert count(db(bot), "handled_requests") == 20 + 2
    assert await handled.claim("signature:new3", later + 10 * MINUTE, later + PRUNE_EVERY)
    assert count(db(bot), "handled_requests") == 3


async def test_a_withdrawn_claim_may_be_made_again(bot):
    handled = bot.app.services.handled
    assert await handled.claim("event:Ev9", T0 + 60 * MINUTE, T0)
    await handled.release("event:Ev9")
    assert await handled.claim("event:Ev9", T0 + 60 * MINUTE, T0 + MINUTE)
    assert not await handled.claim("event:Ev9", T0 + 60 * MINUTE, T0 + MINUTE)
