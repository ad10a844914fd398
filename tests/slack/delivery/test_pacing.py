"""The per-channel token bucket, and how a channel taken over from another replica starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.slack.delivery.pacing import Pacer

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def posts_at_once(pacer: Pacer, channel: str, now: datetime) -> int:
    sent = 0
    while pacer.ready_at(channel, now) <= now:
        pacer.take(channel, now)
        sent += 1
    return sent


def test_a_burst_then_one_a_second():
    pacer = Pacer(rate=1.0, burst=3.0)
    assert posts_at_once(pacer, "C1", T0) == 3
    assert pacer.ready_at("C1", T0) == T0 + timedelta(seconds=1)
    assert posts_at_once(pacer, "C1", T0 + timedelta(seconds=1)) == 1
    assert posts_at_once(pacer, "C2", T0) == 3  # each channel has its own bucket


def test_a_channel_taken_over_starts_with_what_recent_posts_left():
    pacer = Pacer(rate=1.0, burst=3.0)
    assert pacer.window == timedelta(seconds=3)
    pacer.seed("C1", T0, recent_posts=3)  # the other replica just spent the burst
    assert posts_at_once(pacer, "C1", T0) == 0
    assert pacer.ready_at("C1", T0) == T0 + timedelta(seconds=1)
    pacer.seed("C2", T0, recent_posts=1)
    assert posts_at_once(pacer, "C2", T0) == 2
    pacer.seed("C3", T0, recent_posts=0)  # nobody posted lately: a full burst
    assert posts_at_once(pacer, "C3", T0) == 3


def test_retry_after_blocks_the_channel_until_then():
    pacer = Pacer()
    pacer.block("C1", T0 + timedelta(seconds=30))
    assert pacer.ready_at("C1", T0) == T0 + timedelta(seconds=30)
