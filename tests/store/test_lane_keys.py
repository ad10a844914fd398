"""Each kind of outbox lane has advisory-lock keys of its own on PostgreSQL: a person's
bundled pages, their private answers and the posts into their DM never block one another."""

from __future__ import annotations

from bot.store.db import LaneLocks


def test_lanes_of_different_kinds_for_one_person_never_share_a_key():
    lanes = [("channel", "U0BBB"), ("private", "U0BBB"), ("bundle", "U0BBB"), ("incident", 7)]
    assert len({LaneLocks.key(lane) for lane in lanes}) == len(lanes)
