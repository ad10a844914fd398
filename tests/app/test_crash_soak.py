"""The crash soak (tests/support/soak.py): at least ten SIGKILLs at random moments while
requests keep coming and Slack answers a random mix of success, 429, 5xx and late answers.
Afterwards every outbox row is in Slack exactly once, every incident has one card that shows
its stored state, and every acknowledged request's effect is there exactly once."""

from __future__ import annotations

import pytest

from tests.support import database
from tests.support.soak import Soak

KILLS = 10


def check(report) -> None:
    assert report.kills == KILLS
    assert not report.problems(), report.problems()
    assert report.acked.declared and report.acked.acknowledged and report.acked.updates
    assert report.calls["http"] and report.calls["delay late"], report.calls  # it stormed
    print(
        f"\nsoak: {report.kills} kills, {report.requests} requests "
        f"({report.acked.cut_off} cut off), {report.incidents} incidents, "
        f"{report.messages} messages; outbox backlog at the kills {report.backlog_at_kills}; "
        f"drained {report.drained_after:.1f}s after the last restart; calls {dict(report.calls)}"
    )


async def test_ten_kills_in_a_storm_nothing_lost_nothing_twice_on_one_process(tmp_path, double):
    if database.on_postgres():
        pytest.skip("the SQLite soak; the PostgreSQL run soaks two replicas instead")
    url = f"sqlite+aiosqlite:///{tmp_path / 'firebell.db'}"
    check(await Soak(double, tmp_path, url, kills=KILLS, seed=11).run())


@pytest.mark.skipif(
    not database.on_postgres(),
    reason=f"two replicas need PostgreSQL: set {database.ENV} (the PostgreSQL run of `make test`)",
)
async def test_ten_kills_in_a_storm_nothing_lost_nothing_twice_on_two_replicas(tmp_path, double):
    url = database.fresh_url(tmp_path)
    try:
        check(await Soak(double, tmp_path, url, replicas=2, kills=KILLS, seed=12).run())
    finally:
        database.drop(url)
