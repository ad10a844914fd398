"""The watchdog's loop on an injected clock and sleep: pages once per outage after
`--failures` failed checks, says "recovered" once with how long it lasted, remembers an
outage across its own restart (the state file), and says nothing at its start."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.clock import ManualClock
from bot.watchdog import state as memory
from bot.watchdog.notify import Route
from bot.watchdog.outage import Action, State
from bot.watchdog.probe import Seen
from bot.watchdog.run import Options, Watchdog

OK = Seen(200, {"ok": True, "outbox": {"backlog": 0, "oldest_age_s": 0}})
DOWN = Seen(error="cannot connect (Connection refused)")


class Routes:
    """A notifier that records what it was given; `refuse` makes every route fail."""

    def __init__(self) -> None:
        self.routes = [Route("email", "ops@example.com"), Route("sms", "+4915112345678")]
        self.sent: list[tuple[str, str]] = []
        self.refuse = False
        self.closed = False

    async def send(self, title: str, body: str) -> int:
        if self.refuse:
            return 0
        self.sent.append((title, body))
        return len(self.routes)

    async def close(self) -> None:
        self.closed = True


class Firebell:
    """What /readyz answers next."""

    def __init__(self) -> None:
        self.answer = OK

    async def __call__(self) -> Seen:
        return self.answer


def watchdog(tmp_path, clock, routes, firebell, **options) -> Watchdog:
    chosen = Options(url="http://firebell:3000", state=tmp_path / "state.json", **options)
    return Watchdog(chosen, routes, clock, probe=firebell, sleep=clock_sleep(clock))


def clock_sleep(clock: ManualClock):
    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    return sleep


async def checks(dog: Watchdog, clock: ManualClock, count: int) -> list[Action]:
    done = []
    for _ in range(count):
        done.append(await dog.check())
        clock.advance(dog.options.every)
    return done


async def test_one_page_per_outage_and_one_recovery(tmp_path):
    clock, routes, firebell = ManualClock(), Routes(), Firebell()
    dog = watchdog(tmp_path, clock, routes, firebell)
    assert await checks(dog, clock, 3) == [Action.NONE] * 3 and routes.sent == []
    firebell.answer = DOWN
    started = clock.now()
    assert await checks(dog, clock, 2) == [Action.NONE] * 2  # --failures 3
    assert await checks(dog, clock, 1) == [Action.PAGE]
    assert await checks(dog, clock, 10) == [Action.NONE] * 10
    [(title, body)] = routes.sent
    assert title == "Firebell is down"
    assert body == (
        "Firebell at http://firebell:3000: unreachable: cannot connect (Connection refused). "
        "Failing since 2026-03-02 09:01:30 UTC (3 checks in a row). -- firebell watchdog"
    )
    firebell.answer = OK
    recovered_at = clock.now()
    assert await checks(dog, clock, 3) == [Action.RECOVER, Action.NONE, Action.NONE]
    title, body = routes.sent[1]
    assert title == "Firebell recovered" and len(routes.sent) == 2
    lasted = recovered_at - started
    assert lasted == timedelta(minutes=6, seconds=30)
    assert "The outage lasted 6m30s (since 2026-03-02 09:01:30 UTC)" in body


async def test_a_run_too_short_to_page_is_forgotten(tmp_path):
    clock, routes, firebell = ManualClock(), Routes(), Firebell()
    dog = watchdog(tmp_path, clock, routes, firebell)
    firebell.answer = DOWN
    await checks(dog, clock, 2)
    firebell.answer = OK
    assert await checks(dog, clock, 1) == [Action.NONE]
    firebell.answer = DOWN
    assert await checks(dog, clock, 3) == [Action.NONE, Action.NONE, Action.PAGE]
    assert "(3 checks in a row)" in routes.sent[0][1]


async def test_a_restarted_watchdog_does_not_page_the_same_outage_again(tmp_path):
    clock, routes, firebell = ManualClock(), Routes(), Firebell()
    firebell.answer = DOWN
    first = watchdog(tmp_path, clock, routes, firebell)
    assert await checks(first, clock, 3) == [Action.NONE, Action.NONE, Action.PAGE]
    await first.close()
    clock.advance(timedelta(hours=2))  # the watchdog was down a long while
    second = watchdog(tmp_path, clock, routes, firebell)
    assert second.state.paged and second.state.failing
    assert await checks(second, clock, 5) == [Action.NONE] * 5
    firebell.answer = OK
    assert await checks(second, clock, 1) == [Action.RECOVER]
    assert [title for title, _ in routes.sent] == ["Firebell is down", "Firebell recovered"]
    assert "The outage lasted 2h4m (since 2026-03-02 09:00:00 UTC)" in routes.sent[1][1]


async def test_an_outage_that_ended_while_the_watchdog_was_down_is_said_to_be_over(tmp_path):
    clock, routes, firebell = ManualClock(), Routes(), Firebell()
    firebell.answer = DOWN
    await checks(watchdog(tmp_path, clock, routes, firebell), clock, 3)
    firebell.answer = OK
    restarted = watchdog(tmp_path, clock, routes, firebell)
    assert await checks(restarted, clock, 2) == [Action.RECOVER, Action.NONE]


async def test_a_run_broken_off_by_a_watchdog_restart_counts_again_from_one(tmp_path):
    clock, routes, firebell = ManualClock(), Routes(), Firebell()
    firebell.answer = DOWN
    await checks(watchdog(tmp_path, clock, routes, firebell), clock, 2)
    clock.advance(timedelta(hours=1))
    restarted = watchdog(tmp_path, clock, routes, firebell)
    assert await checks(restarted, clock, 3) == [Action.NONE, Action.NONE, Action.PAGE]
    # ... but a quick restart carries the run on
    clock2, routes2 = ManualClock(), Routes()
    other = tmp_path / "quick"
    other.mkdir()
    await checks(watchdog(other, clock2, routes2, firebell), clock2, 2)
    quick = watchdog(other, clock2, routes2, firebell)
    assert await checks(quick, clock2, 1) == [Action.PAGE]


async def test_a_page_no_route_took_is_tried_again(tmp_path):
    clock, routes, firebell = ManualClock(), Routes(), Firebell()
    firebell.answer = DOWN
    dog = watchdog(tmp_path, clock, routes, firebell, failures=1)
    routes.refuse = True
    assert await checks(dog, clock, 2) == [Action.NONE, Action.NONE]
    assert not dog.state.paged
    routes.refuse = False
    assert await checks(dog, clock, 2) == [Action.PAGE, Action.NONE]
    firebell.answer = OK
    routes.refuse = True
    assert await checks(dog, clock, 1) == [Action.NONE]
    assert dog.state.paged  # the recovery is still owed
    routes.refuse = False
    assert await checks(dog, clock, 1) == [Action.RECOVER]
    assert len(routes.sent) == 2


async def test_the_state_file_is_small_json_and_survives_corruption(tmp_path):
    clock, routes, firebell = ManualClock(), Routes(), Firebell()
    firebell.answer = DOWN
    dog = watchdog(tmp_path, clock, routes, firebell)
    await checks(dog, clock, 3)
    saved = json.loads((tmp_path / "state.json").read_text())
    assert saved["paged"] is True and saved["failures"] == 3
    assert saved["started_at"] == "2026-03-02T09:00:00+00:00"
    assert memory.load(tmp_path / "state.json") == dog.state
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary file left
    (tmp_path / "state.json").write_text("{not json")
    assert memory.load(tmp_path / "state.json") == State()
    (tmp_path / "state.json").write_text('["a list"]')
    assert memory.load(tmp_path / "state.json") == State()


async def test_run_checks_every_interval_until_stopped(tmp_path):
    clock, routes, firebell = ManualClock(), Routes(), Firebell()
    firebell.answer = DOWN
    seen = []

    async def probe() -> Seen:
        seen.append(clock.now())
        if len(seen) == 5:
            dog.stop()
        return firebell.answer

    options = Options(url="http://firebell:3000", state=tmp_path / "state.json")
    dog = Watchdog(options, routes, clock, probe=probe, sleep=clock_sleep(clock))
    await dog.run()
    assert [(at - seen[0]).total_seconds() for at in seen] == [0, 30, 60, 90, 120]
    assert len(routes.sent) == 1 and routes.closed
