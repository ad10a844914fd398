"""The record of requests already handled: a claim rides in the handling task's first write and
commits with it or not at all, a refused claim rolls that write back, other tasks' writes never
carry it, records expire and are pruned by later claims (a bounded batch now and then), and a
withdrawn claim frees its request."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.handled import PRUNE_EVERY, AlreadyHandled
from bot.store.handled import PRUNE_BATCH
from tests.support.db import count, rows

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def db(bot):
    return bot  # its database, SQLite or PostgreSQL


async def claim(bot, name: str, expires_at: datetime, now: datetime) -> bool:
    """A request that writes nothing: claimed after it was handled."""
    handled = bot.app.services.handled
    with handled.handling(name, expires_at, now) as opened:
        pass
    return await handled.settle(opened)


async def declare(bot, title: str) -> None:
    await bot.app.services.incidents.declare("U0ALICE", title, "SEV3")


async def test_the_claim_commits_with_the_first_write_or_rolls_it_back(bot):
    handled = bot.app.services.handled
    with handled.handling("signature:v0=aa", T0 + 10 * MINUTE, T0) as first:
        await declare(bot, "Once")
        assert first.stored and count(db(bot), "handled_requests") == 1
        await declare(bot, "Twice in one request")  # later writes go as they are
    assert count(db(bot), "incidents") == 2 and await handled.settle(first)
    replay = handled.handling("signature:v0=aa", T0 + 10 * MINUTE, T0 + MINUTE)
    with replay as again, pytest.raises(AlreadyHandled):
        await declare(bot, "Replayed")
    assert not again.stored
    assert count(db(bot), "incidents") == 2 and count(db(bot), "handled_requests") == 1


async def test_writes_of_other_tasks_do_not_carry_the_claim(bot):
    handled = bot.app.services.handled
    with handled.handling("event:Ev7", T0 + 60 * MINUTE, T0) as opened:
        await asyncio.create_task(declare(bot, "After the answer"))  # as Bolt's lazy listeners
        assert not opened.stored and count(db(bot), "handled_requests") == 0
    assert await handled.settle(opened) and count(db(bot), "handled_requests") == 1
    assert not await claim(bot, "event:Ev7", T0 + 60 * MINUTE, T0 + MINUTE)


async def test_a_claim_holds_until_it_expires_and_later_claims_prune_it(bot):
    assert await claim(bot, "signature:v0=aa", T0 + 10 * MINUTE, T0)
    assert not await claim(bot, "signature:v0=aa", T0 + 10 * MINUTE, T0 + 9 * MINUTE)
    assert await claim(bot, "event:Ev1", T0 + 60 * MINUTE, T0 + 9 * MINUTE)
    assert count(db(bot), "handled_requests") == 2
    # past its expiry the first record goes with the next claim; the event's stays
    assert await claim(bot, "signature:v0=bb", T0 + 21 * MINUTE, T0 + 11 * MINUTE)
    assert count(db(bot), "handled_requests") == 2
    assert not await claim(bot, "event:Ev1", T0 + 71 * MINUTE, T0 + 11 * MINUTE)
    keys = {key for (key,) in rows(db(bot), "SELECT key FROM handled_requests")}
    assert all(len(key) == 64 and "v0=" not in key for key in keys)  # hashes, not signatures


async def test_pruning_takes_a_bounded_batch_now_and_then(bot):
    for n in range(PRUNE_BATCH + 20):
        assert await claim(bot, f"signature:old{n}", T0 + MINUTE, T0)
    later = T0 + 10 * MINUTE
    assert await claim(bot, "signature:new1", later + 10 * MINUTE, later)
    assert count(db(bot), "handled_requests") == 20 + 1
    # within PRUNE_EVERY of the last pruning, a claim only inserts
    assert await claim(bot, "signature:new2", later + 10 * MINUTE, later + PRUNE_EVERY / 2)
    assert count(db(bot), "handled_requests") == 20 + 2
    assert await claim(bot, "signature:new3", later + 10 * MINUTE, later + PRUNE_EVERY)
    assert count(db(bot), "handled_requests") == 3


async def test_a_withdrawn_claim_may_be_made_again(bot):
    handled = bot.app.services.handled
    with handled.handling("event:Ev9", T0 + 60 * MINUTE, T0) as opened:
        await declare(bot, "Failed later")
    await handled.release(opened)
    assert not opened.stored and count(db(bot), "handled_requests") == 0
    assert await claim(bot, "event:Ev9", T0 + 60 * MINUTE, T0 + MINUTE)
    assert not await claim(bot, "event:Ev9", T0 + 60 * MINUTE, T0 + MINUTE)
