"""One check of Firebell's `/readyz`: `look` fetches it (the I/O), `judge` decides what it
says (pure): ok, or the problems a page names.

Problems, most basic first: unreachable (no connection, or no answer within the timeout),
not ready (any answer but a 200 with `ok`: the database, the schema), Slack failing, and the
outbox's oldest undelivered row older than the threshold. Slack counts as failing when the
last `SLACK_FAILURES` Slack deliveries in a row failed and none succeeded for as long as the
outbox may wait (`outbox_age`), or none has since Firebell started: a blip of a few refused
calls between successes is no outage, and a long one shows in the outbox's age anyway.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from bot.core.durations import format_duration

SLACK_FAILURES = 5  # Slack deliveries failed in a row before Slack counts as failing


@dataclass(frozen=True)
class Seen:
    """What one request to /readyz brought back."""

    status: int | None = None  # the HTTP status; None: no answer at all
    body: Any = None  # the JSON answer, None when it was not JSON
    error: str | None = None  # why there was no answer (connection refused, timeout)


@dataclass(frozen=True)
class Limits:
    outbox_age: timedelta = timedelta(minutes=10)
    slack_failures: int = SLACK_FAILURES


@dataclass(frozen=True)
class Verdict:
    problems: tuple[str, ...] = ()  # each in words fit for a page; none: Firebell is fine

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        return "; ".join(self.problems) if self.problems else "ready"


async def look(session: aiohttp.ClientSession, base_url: str, timeout: float) -> Seen:  # noqa: ASYNC109 - the whole request's
    """GET `<base_url>/readyz`, all of it (connecting, the answer, its body) within `timeout`
    seconds: a Firebell that accepts and never answers is as down as one that refuses."""
    url = base_url.rstrip("/") + "/readyz"
    try:
        async with asyncio.timeout(timeout):
            async with session.get(url, allow_redirects=False) as response:
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = None
                return Seen(response.status, body)
    except TimeoutError:
        return Seen(error=f"no answer within {timeout:g}s")
    except aiohttp.ClientConnectorError as exc:
        return Seen(error=f"cannot connect ({exc.os_error.strerror or exc.os_error})")
    except (aiohttp.ClientError, OSError) as exc:
        return Seen(error=f"{type(exc).__name__}: {exc}".rstrip(": "))


def judge(seen: Seen, now: datetime, limits: Limits) -> Verdict:
    """What an answer means (pure)."""
    if seen.status is None:
        return Verdict((f"unreachable: {seen.error or 'no answer'}",))
    body = seen.body if isinstance(seen.body, dict) else {}
    if seen.status != 200 or body.get("ok") is not True:
        return Verdict((f"not ready: {_unready(seen.status, body)}",))
    problems = []
    if failing := _slack_failing(body.get("slack"), now, limits):
        problems.append(failing)
    outbox = body.get("outbox") if isinstance(body.get("outbox"), dict) else {}
    age = _number(outbox.get("oldest_age_s"))
    if age is not None and age > limits.outbox_age.total_seconds():
        backlog = outbox.get("backlog")
        waiting = f" ({backlog} undelivered)" if isinstance(backlog, int) else ""
        problems.append(
            f"outbox stuck: the oldest undelivered message has waited {_span(age)}{waiting}, "
            f"over {format_duration(limits.outbox_age)}"
        )
    return Verdict(tuple(problems))


def _unready(status: int, body: dict) -> str:
    database = body.get("database")
    if isinstance(database, str) and database != "ok":
        return f"database {database}"
    migrations = body.get("migrations")
    if isinstance(migrations, dict) and migrations.get("current") != migrations.get("head"):
        return (
            f"database schema at {migrations.get('current')}, the code needs "
            f"{migrations.get('head')} (run firebell migrate)"
        )
    return f"/readyz answered HTTP {status}" + ("" if body else " without Firebell's JSON")


def _slack_failing(slack: Any, now: datetime, limits: Limits) -> str | None:
    if not isinstance(slack, dict):
        return None
    failures = slack.get("consecutive_failures")
    if not isinstance(failures, int) or failures < limits.slack_failures:
        return None
    last = _instant(slack.get("last_success_at"))
    if last is not None and now - last < limits.outbox_age:
        return None
    since = "none since Firebell started" if last is None else f"last one {_ago(now - last)}"
    return f"Slack delivery failing: {failures} Slack deliveries failed in a row ({since})"


def _instant(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _span(seconds: float) -> str:
    return format_duration(timedelta(seconds=round(seconds)))


def _ago(delta: timedelta) -> str:
    return f"{_span(delta.total_seconds())} ago"
