"""The checks against Slack before Firebell serves: does the workspace have what the config
names?

Every channel id the config names (found through its models, `bot.config_keys`) is asked of
`conversations.info`: it must exist, not be archived, and a private one must have Firebell in
it (Slack hides a private channel from an app until someone types `/invite @Firebell` there,
so it answers `channel_not_found` for it). Every user id is asked of `users.info`, every
e-mail address of `users.lookupByEmail` (the lookup `directory.py` resolves them with), and
the user groups are listed once with `usergroups.list`.

Each id is asked once however many keys name it, and each key naming a missing thing is a
problem of its own, in the config's order; what fails for every id of a method (a scope the
app lacks, a plan without user groups, Slack out of reach) is one problem with no key. At
most `LIMIT` calls are in flight; a 429 waits its Retry-After and a 5xx or a network error is
retried with backoff (`retries.py`), at most `ATTEMPTS` calls each. `firebell serve` refuses
to start when the incident channel is not there (`Problem.stops_start`) and logs the rest;
`firebell check --slack` prints them all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot import config_keys
from bot.config import Config
from bot.config_source import KeyPath
from bot.services import paging
from bot.slack.errors import Category, Failure, classify
from bot.slack.retries import Sleep, retry_handlers

LIMIT = 8  # calls in flight at once
ATTEMPTS = 3  # calls per id, the first included
MAX_WAIT = 30.0  # the longest single wait, Retry-After included
TIMEOUT = 10  # seconds for one call
INCIDENT_CHANNEL: KeyPath = ("incident_channel",)

INVITE = "type `/invite @Firebell` in the channel"
NOT_FOUND = {  # (method, error): the id is not there
    (
        "conversations.info",
        "channel_not_found",
    ): "Slack has no channel with this id that Firebell can see: copy the "
    "Channel ID from the channel's details (click its name; the id is at the bottom); if the "
    f"channel is private, {INVITE} first",
    (
        "users.info",
        "user_not_found",
    ): "Slack has no user with this id in the workspace: in Slack, open the "
    "person's profile, click ⋮ (More) and Copy member ID",
    (
        "users.info",
        "user_not_visible",
    ): "this user is not visible to Firebell (in another organization?): "
    "name someone in this workspace",
    (
        "users.lookupByEmail",
        "users_not_found",
    ): "nobody in the workspace has a Slack account with this e-mail address: "
    "write the address of their account, or their user id",
}
SCOPES = {  # what each call needs, for when Slack's `missing_scope` does not say
    "conversations.info": "channels:read (groups:read for a private channel)",
    "users.info": "users:read",
    "users.lookupByEmail": "users:read.email",
    "usergroups.list": "usergroups:read",
}
ALL_FAIL = {
    "missing_scope": "the app lacks the {needed} scope: add it (manifest.yml lists every "
    "scope Firebell uses) and reinstall the app to the workspace",
    "plan_upgrade_required": "the workspace's Slack plan has no user groups, so the groups "
    "the config names page nobody",
}


@dataclass(frozen=True)
class Problem:
    """Something the config names that the workspace lacks (`key`: where the config names it;
    None when it is about the app or Slack, not one key)."""

    key: KeyPath | None
    text: str
    stops_start: bool = False  # serve refuses to start (no incident channel to open in)


@dataclass(frozen=True)
class _Refusal:
    method: str
    failure: Failure
    needed: str  # for missing_scope: the scope Slack says the call needs


Answer = Any  # Slack's answer (an AsyncSlackResponse) or a _Refusal


async def check(
    api_url: str,
    token: str,
    config: Config,
    *,
    sleep: Sleep = asyncio.sleep,
    attempts: int = ATTEMPTS,
    max_wait: float = MAX_WAIT,
    limit: int = LIMIT,
) -> list[Problem]:
    """Ask Slack about everything `config` names; the problems found (none: all there)."""
    client = AsyncWebClient(
        base_url=api_url.rstrip("/") + "/",
        token=token,
        timeout=TIMEOUT,
        retry_handlers=retry_handlers(attempts - 1, max_wait, sleep, "slack_preflight"),
    )
    gate = asyncio.Semaphore(limit)

    async def ask(method: str, call: Callable[[], Awaitable[Any]]) -> Answer:
        async with gate:
            try:
                return await call()
            except Exception as exc:
                failure = classify(exc)
                if failure is None:
                    raise
                answer = getattr(getattr(exc, "response", None), "data", None)
                needed = answer.get("needed") if isinstance(answer, dict) else None
                return _Refusal(method, failure, str(needed or SCOPES[method]))

    async def each(method: str, ids: list[str], call: Callable[[str], Awaitable[Any]]):
        answers = await asyncio.gather(*(ask(method, lambda i=i: call(i)) for i in ids))
        return dict(zip(ids, answers, strict=True))

    channels = config_keys.channels(config)
    named = [(key, t) for key, t in config_keys.targets(config) if t.kind != "rotation"]
    ids = {kind: _unique(t.value for _, t in named if t.kind == kind) for kind in KINDS}
    found_channels, users, emails, groups = await asyncio.gather(
        each(
            "conversations.info",
            _unique(c for _, c in channels),
            lambda channel: client.conversations_info(channel=channel),
        ),
        each("users.info", ids["user"], lambda user: client.users_info(user=user)),
        each("users.lookupByEmail", ids["email"], lambda e: client.users_lookupByEmail(email=e)),
        ask("usergroups.list", lambda: client.usergroups_list()) if ids["group"] else _nothing(),
    )
    people = {**users, **emails}
    problems: dict[Any, Problem] = {}
    for key, channel in channels:
        _add(problems, key, channel, found_channels[channel], channel_problem)
    for key, target in named:
        if target.kind == "group":
            _add(problems, key, str(target), groups, _group_problem(target.value))
        else:
            _add(problems, key, target.value, people[target.value], _person_problem)
            if key in problems and _unknown_address(people[target.value]):
                problems[key] = _paged_anyway(problems[key], config, target.value)
    return list(problems.values())


def _unknown_address(answer: Answer) -> bool:
    return isinstance(answer, _Refusal) and answer.failure.error == "users_not_found"


def _paged_anyway(problem: Problem, config: Config, address: str) -> Problem:
    """An address Slack does not know is still paged by its `people:` entry's other media
    (`paging`): the problem says by which, or that nothing reaches them."""
    media = paging.configured_media(config, address)
    if media:
        said = f"; until then pages reach them by {', '.join(media)} only (their `people:` entry)"
    else:
        said = "; until then no page reaches them (no `people:` entry gives them another medium)"
    return replace(problem, text=problem.text + said)


Judge = Callable[[Answer], str | None]
KINDS = ("user", "email", "group")


def _add(problems: dict, key: KeyPath, value: str, answer: Answer, judge: Judge) -> None:
    """The problem with `value` at `key`, if any; a refusal of a whole method once."""
    if isinstance(answer, _Refusal):
        why = NOT_FOUND.get((answer.method, answer.failure.error))
        if why is None:
            text = _refused(answer)
            problems.setdefault(text, Problem(None, text))
            return
    else:
        why = judge(answer)
    if why is not None:
        problems[key] = Problem(key, f"{value}: {why}", stops_start=key == INCIDENT_CHANNEL)


def channel_problem(answer: Answer) -> str | None:
    """What keeps Firebell from posting in a channel, as `conversations.info` describes it
    (None: nothing). A private channel Firebell is not in is hidden from it, so Slack
    answers `channel_not_found`; one it shows without `is_member` is said the same way."""
    channel = answer.get("channel") or {}
    if channel.get("is_archived"):
        return "the channel is archived: unarchive it, or name another channel"
    if channel.get("is_private") and not channel.get("is_member"):
        return f"Firebell is not in this private channel: {INVITE}"
    return None


def _person_problem(answer: Answer) -> str | None:
    user = answer.get("user") or {}
    if user.get("deleted"):
        return "this account is deactivated in Slack: name someone active"
    return None


def _group_problem(group: str) -> Judge:
    def judge(answer: Answer) -> str | None:
        if any(g.get("id") == group for g in answer.get("usergroups") or ()):
            return None
        return (
            "Slack has no enabled user group with this id: copy the id of a group the "
            "workspace has (a disabled group pages nobody)"
        )

    return judge


def _refused(refusal: _Refusal) -> str:
    failure = refusal.failure
    if failure.error in ALL_FAIL:
        why = ALL_FAIL[failure.error].format(needed=refusal.needed)
    elif failure.category in (Category.RATE_LIMITED, Category.TRANSIENT):
        why = f"Slack did not answer ({failure.describe()}), so nothing it names was checked"
    else:
        why = f"Slack refused the call ({failure.error}), so nothing it names was checked"
    return f"{refusal.method}: {why}"


async def _nothing() -> None:
    return None


def _unique(values) -> list[str]:
    return list(dict.fromkeys(values))
