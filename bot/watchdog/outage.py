"""The watchdog's decision after each check (pure): page, say it recovered, or nothing; and
the words of both messages.

An outage begins at the first failed check of a run of them; after `needed` failed checks in
a row it is paged, once. The first good check after a page ends it with one "recovered"
message saying how long it lasted. A run of failed checks too short to page is forgotten
at the next good check, and so is one broken off for longer than `stale` (the watchdog was
stopped meanwhile) before it paged. The state is what the watchdog's state file keeps, so a
restarted watchdog never pages again for an outage it already paged.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.core.durations import format_duration
from bot.watchdog.probe import Verdict


class Action(StrEnum):
    NONE = "none"
    PAGE = "page"
    RECOVER = "recover"


@dataclass(frozen=True)
class State:
    started_at: datetime | None = None  # the first failed check of the current run
    failures: int = 0  # failed checks in a row
    paged: bool = False  # the current outage was paged
    problem: str | None = None  # what the latest failed check found
    checked_at: datetime | None = None  # the latest check

    @property
    def failing(self) -> bool:
        return self.started_at is not None


def advance(
    state: State, verdict: Verdict, now: datetime, needed: int, stale: timedelta
) -> tuple[State, Action]:
    """The state after a check at `now` found `verdict`, and what to send."""
    if verdict.ok:
        return State(checked_at=now), Action.RECOVER if state.paged else Action.NONE
    broken_off = state.checked_at is None or now - state.checked_at > stale
    if not state.failing or (broken_off and not state.paged):
        state = State(started_at=now)
    failures = state.failures + 1
    action = Action.PAGE if not state.paged and failures >= needed else Action.NONE
    after = dataclasses.replace(
        state,
        failures=failures,
        paged=state.paged or action is Action.PAGE,
        problem=verdict.describe(),
        checked_at=now,
    )
    return after, action


def unsent(before: State, after: State, action: Action) -> State:
    """The state when no route took the message `action` sent: a page is tried again at the
    next failed check, a recovery at the next good one."""
    if action is Action.PAGE:
        return dataclasses.replace(after, paged=False)
    if action is Action.RECOVER:
        return dataclasses.replace(before, checked_at=after.checked_at)
    return after


def page_text(url: str, state: State, now: datetime) -> tuple[str, str]:
    """(title, body) of the page for the outage `state` holds."""
    started = state.started_at or now
    return (
        "Firebell is down",
        f"Firebell at {url}: {state.problem}. Failing since {_stamp(started)} "
        f"({state.failures} checks in a row). -- firebell watchdog",
    )


def recovery_text(url: str, before: State, now: datetime) -> tuple[str, str]:
    """(title, body) of the message that the outage `before` held is over."""
    lasted = format_duration(now - before.started_at) if before.started_at else "unknown"
    since = f" (since {_stamp(before.started_at)})" if before.started_at else ""
    return (
        "Firebell recovered",
        f"Firebell at {url} recovered: /readyz is ready again. The outage lasted "
        f"{lasted}{since}. -- firebell watchdog",
    )


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
