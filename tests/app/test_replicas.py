"""Three `python -m bot serve` replicas on one PostgreSQL database and one Slack double.

200 incidents are declared through all three with signed `/incident declare` requests; their
escalation deadlines (3 s and 4 s, a three-level chain, no repeat) fall due while one replica
is SIGKILLed and a replacement starts on the same database. When everything has settled:
every escalation fired exactly once, every outbox row went to Slack exactly once, and every
incident's thread replies arrived in order.

The kill is timed so the test is deterministic: Slack first answers 503 to everything, and
the victim is killed only once each post Slack accepted from it has been recorded as sent
(it logged `slack_delivered`). A post Slack accepts in the instant before a crash, before
the row is marked sent, is sent again by the replica that takes the lane over: that
at-least-once window is real (see docs/operations.md, "Running replicas") and is not what this test
measures.

PostgreSQL only: runs when FIREBELL_TEST_DATABASE_URL names a server (the PostgreSQL run of
`make test`), on a fresh database of its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import time
from collections import Counter, defaultdict
from pathlib import Path

import aiohttp
import pytest

from bot.sandbox.standin.server import SlackDouble
from bot.sandbox.standin.web_api import Call
from tests.support import database, signing
from tests.support.db import rows
from tests.support.serve import Serve

pytestmark = pytest.mark.skipif(
    not database.on_postgres(),
    reason=f"several replicas need PostgreSQL: set {database.ENV} "
    "(the PostgreSQL run of `make test` does)",
)

SECRET = "3c1d5e0f9a8b7c6d5e4f3a2b1c0d9e8f"
CHANNEL = "C0INCIDENTS"
LEVELS = ("U0LEVEL1", "U0LEVEL2", "U0LEVEL3")  # one person per level: their DMs are told apart
CONFIG = f"""
incident_channel: {CHANNEL}
timezone: Europe/Berlin
severities:
  - {{name: SEV1, description: Outage, ack_within: 3s, update_every: 1d}}
  - {{name: SEV2, description: Major, ack_within: 4s, update_every: 1d}}
rotations:
  - name: primary
    members: [{LEVELS[0]}]
    shift: 1w
    start: 2026-01-05T09:00
escalation:
  - notify: [rotation:primary]
  - notify: ["@{LEVELS[1]}"]
  - notify: ["@{LEVELS[2]}"]
repeat: 0
"""

INCIDENTS = 200
IN_FLIGHT = 24  # declare requests in flight at once, spread over the replicas
RATE = "50"  # Slack posts per second per channel per replica
FIRED_BEFORE_KILL = 60  # escalations already fired (of 600) when the kill starts
SETTLE_WITHIN = 60.0

# What each incident must leave behind.
EVENTS = ["declared:0", "escalated:1", "escalated:2", "exhausted"]
REPLIES = [
    r":rotating_light: .* declared (INC-\d+) \(SEV\d\)\. Paging level 1",
    r":arrow_double_up: .* escalated (INC-\d+) to level 2: ",
    r":arrow_double_up: .* escalated (INC-\d+) to level 3: ",
    r":rotating_light: Nobody acknowledged (INC-\d+) after all 3 escalation levels\.",
]
POSTS = INCIDENTS * (1 + len(REPLIES))  # card and thread replies (the DMs bundle their pages)
DELIVERIES = ("chat.postMessage", "chat.update", "chat.postEphemeral")


class Replica(Serve):
    """One `python -m bot serve` with its own bot token, so the double can tell who called.

    Every log line it prints wakes the double's waiters, so one `double.wait_until` can wait
    on Slack calls and on log lines from every replica alike."""

    def __init__(self, name: str, env: dict[str, str], directory: Path, double: SlackDouble):
        self.name = name
        self.token = f"xoxb-replica-{name}"
        super().__init__(
            {**env, "SLACK_BOT_TOKEN": self.token}, directory, directory / f"{name}.stderr"
        )
        self._changed = double._changed
        self.ready: dict = {}

    def fired(self) -> int:
        return sum(1 for r in self.events("timer_fired") if r.get("kind") == "escalate")

    def delivered(self) -> int:
        return len(self.events("slack_delivered"))


def replica_env(directory: Path, double: SlackDouble, url: str) -> dict[str, str]:
    config = directory / "firebell.yml"
    config.write_text(CONFIG)
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "FIREBELL_", "DATABASE_URL"))
    }
    return {
        **clean,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": double.url,
        "DATABASE_URL": url,
        "FIREBELL_CONFIG": str(config),
        "FIREBELL_CHANNEL_RATE": RATE,
        "PORT": "0",
        "FIREBELL_HOST": "127.0.0.1",
    }


async def declare_all(http: aiohttp.ClientSession, replicas: list[Replica]) -> dict[str, str]:
    """Declare INCIDENTS incidents round-robin over the replicas; {INC-n: severity}."""
    slots = asyncio.Semaphore(IN_FLIGHT)
    declared: dict[str, str] = {}

    async def one(n: int) -> None:
        severity = "SEV1" if n % 2 else "SEV2"
        body = signing.slash_command_body(f"declare {severity.lower()} Replica outage {n}")
        base = replicas[n % len(replicas)].base
        async with slots:
            headers = signing.sign(SECRET, body, int(time.time()))
            async with http.post(f"{base}/slack/events", data=body, headers=headers) as response:
                text = await response.text()
        assert response.status == 200, (response.status, text)
        answer = json.loads(text)["text"]
        found = re.search(r"Declared (INC-\d+) \((SEV\d)\)", answer)
        assert found and found[2] == severity, f"{answer}\n{logged_errors(replicas)}"
        declared[found[1]] = severity

    await asyncio.gather(*(one(n) for n in range(INCIDENTS)))
    return declared


def last_words(record: dict) -> str:
    """The line of a logged exception that says what went wrong."""
    lines = [
        line
        for line in str(record.get("exception") or "").strip().splitlines()
        if line.strip() and not line.startswith("(Background on this error")
    ]
    return lines[-1] if lines else json.dumps(record)


def logged_errors(replicas: list[Replica]) -> str:
    """What the replicas logged as errors (the last ones) and warnings (counted), for a
    failure message."""
    found = [
        f"{r.name}: {record.get('event')}: {last_words(record)}"
        for r in replicas
        for record in r.records
        if record.get("level") in ("error", "critical")
    ]
    warnings = Counter(
        (r.name, record.get("event"))
        for r in replicas
        for record in r.records
        if record.get("level") == "warning"
    )
    return "\n".join([*found[-10:], f"warnings: {dict(warnings)}"])


def delivered_twice(replicas: list[Replica]) -> dict[int, list[str]]:
    """Outbox rows more than one delivery was logged for: {row id: [replica, ...]}."""
    by_row: dict[int, list[str]] = defaultdict(list)
    for replica in replicas:
        for record in replica.events("slack_delivered"):
            by_row[record["row"]].append(replica.name)
    return {row: names for row, names in by_row.items() if len(names) > 1}


def accepted(double: SlackDouble, method: str, token: str | None = None) -> list[Call]:
    """Calls Slack accepted (no injected fault), optionally from one replica only."""
    return [
        c
        for c in double.calls_to(method)
        if c.fault is None and (token is None or c.token == token)
    ]


class Progress:
    """Counts accepted chat.postMessage calls as they come, without rescanning every call."""

    def __init__(self, double: SlackDouble) -> None:
        self.double = double
        self.seen = 0
        self.posts = 0

    def posts_accepted(self) -> int:
        calls = self.double.calls
        for call in calls[self.seen :]:
            self.posts += call.method == "chat.postMessage" and call.fault is None
        self.seen = len(calls)
        return self.posts


def paged_in(call: Call) -> list[int]:
    """The incidents a page DM lists (one `page:<id>` block each)."""
    blocks = call.params.get("blocks") or []
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    ids = (str(b.get("block_id", "")) for b in blocks)
    return [int(i.split(":")[1]) for i in ids if i.startswith("page:")]


def unfinished(url: str) -> tuple[int, int]:
    """(outbox rows still pending, escalation timers still pending)."""
    [(outbox, timers)] = rows(
        url,
        "SELECT (SELECT COUNT(*) FROM outbox WHERE status = 'pending'), "
        "(SELECT COUNT(*) FROM timers WHERE kind = 'escalate' AND status = 'pending')",
    )
    return outbox, timers


async def test_three_replicas_one_killed_mid_escalation_nothing_twice_nothing_lost(
    tmp_path, double
):
    url = database.fresh_url(tmp_path)
    env = replica_env(tmp_path, double, url)
    replicas = [Replica(name, env, tmp_path, double) for name in ("a", "b", "c")]
    replacement = Replica("d", env, tmp_path, double)
    victim = replicas[0]
    everyone = [*replicas, replacement]
    try:
        await asyncio.gather(*(r.start() for r in replicas))
        connector = aiohttp.TCPConnector(limit=IN_FLIGHT)
        async with aiohttp.ClientSession(connector=connector) as http:
            declared = await declare_all(http, replicas)
        assert len(declared) == INCIDENTS

        # Escalation deadlines are falling due, on every replica.
        await double.wait_until(
            lambda: sum(r.fired() for r in replicas) >= FIRED_BEFORE_KILL and victim.fired() > 0,
            within=30,
            what=f"{FIRED_BEFORE_KILL} escalations fired, some by the victim",
        )

        # Slack refuses everything for a moment; once every post it accepted from the victim
        # is recorded as sent, nothing the victim sent can be unrecorded: kill it there.
        double.inject("*", status=503, times=1_000_000)
        await double.wait_until(
            lambda: (
                victim.delivered()
                == sum(len(accepted(double, m, victim.token)) for m in DELIVERIES)
            ),
            within=30,
            what="every post Slack accepted from the victim recorded as sent",
        )
        fired_by_victim = victim.fired()
        killed_after = len(double.calls)
        assert await victim.kill() == -signal.SIGKILL
        assert not victim.events("firebell_stopped")
        double.clear_faults()
        left_at_kill = unfinished(url)
        await replacement.start()

        progress = Progress(double)
        try:
            await double.wait_until(
                lambda: progress.posts_accepted() >= POSTS and unfinished(url) == (0, 0),
                within=SETTLE_WITHIN,
                what="settled",
            )
        except AssertionError:
            outbox, timers = unfinished(url)
            raise AssertionError(
                f"not settled within {SETTLE_WITHIN}s: {progress.posts_accepted()} of {POSTS} "
                f"posts accepted, {outbox} outbox rows and {timers} escalation timers pending; "
                f"outbox: {rows(url, 'SELECT kind, status, COUNT(*) FROM outbox GROUP BY 1, 2')}"
                f"\n{logged_errors(everyone)}"
            ) from None
        live = [r for r in everyone if r is not victim]
        async with aiohttp.ClientSession() as http:
            for replica in live:
                async with http.get(f"{replica.base}/readyz") as response:
                    ready = await response.json()
                assert response.status == 200, ready
                assert ready["outbox"]["backlog"] == 0, ready
                replica.ready = ready
        assert len({r.ready["replica"] for r in live}) == len(live)
        assert await asyncio.gather(*(r.terminate() for r in live)) == [0] * len(live)

        # Every escalation fired exactly once: the timeline of every incident, in order.
        timelines: dict[int, list[str]] = defaultdict(list)
        for incident, kind, level in rows(
            url, "SELECT incident_id, kind, data->>'level' FROM events ORDER BY id"
        ):
            timelines[incident].append(kind if level is None else f"{kind}:{level}")
        wrong = {n: t for n, t in timelines.items() if t != EVENTS}
        assert len(timelines) == INCIDENTS and not wrong, wrong
        timers = rows(
            url,
            "SELECT incident_id, status, COUNT(*) FROM timers WHERE kind = 'escalate' "
            "GROUP BY incident_id, status",
        )
        assert sorted({(status, n) for _, status, n in timers}) == [("fired", len(EVENTS) - 1)]
        assert len(timers) == INCIDENTS

        # Every outbox row was settled once: sent, or a card render covered by a later one.
        outbox = {
            (kind, status): n
            for kind, status, n in rows(
                url, "SELECT kind, status, COUNT(*) FROM outbox GROUP BY kind, status"
            )
        }
        assert {status for _, status in outbox} <= {"sent", "superseded"}, outbox
        assert outbox[("reply", "sent")] == INCIDENTS * len(REPLIES), outbox
        assert outbox[("dm", "sent")] == INCIDENTS * len(LEVELS), outbox
        cards_sent = outbox[("card", "sent")]
        assert cards_sent + outbox.get(("card", "superseded"), 0) == INCIDENTS * len(EVENTS)

        # ... and Slack got each exactly once: one accepted call per sent row, no repeats.
        posts = accepted(double, "chat.postMessage")
        updates = accepted(double, "chat.update")
        by_content: dict[tuple, list[Call]] = defaultdict(list)
        for call in posts:
            by_content[
                (call.params.get("channel"), call.params.get("thread_ts"), call.params.get("text"))
            ].append(call)
        names = {r.token: r.name for r in everyone}
        repeated = [
            f"{key}: sent by {', '.join(f'{names[c.token]} (call {c.seq})' for c in calls)}"
            for key, calls in by_content.items()
            if len(calls) > 1
        ]
        assert not repeated, (
            f"{len(repeated)} of {len(by_content)} posts sent more than once (replica "
            f"{victim.name} was SIGKILLed after call {killed_after}):\n"
            + "\n".join(repeated)
            + f"\noutbox rows delivered more than once: {delivered_twice(everyone)}\n"
            + logged_errors(everyone)
        )
        dms = [c for c in posts if c.params.get("channel") in LEVELS]
        assert len(posts) == POSTS + len(dms)
        assert len(updates) == cards_sent - INCIDENTS  # the first render of a card is its post
        [(messages,)] = rows(url, "SELECT COUNT(DISTINCT sent_ts) FROM outbox WHERE kind = 'dm'")
        assert len(dms) == messages
        for user in LEVELS:  # each incident paged once to each level, in one DM or another
            listed = [n for c in dms if c.params["channel"] == user for n in paged_in(c)]
            assert sorted(listed) == list(range(1, INCIDENTS + 1)), (user, listed)

        # One card per incident, and its thread in order: declared, level 2, level 3, exhausted.
        cards = {
            m["text"].split(" ", 1)[0]: m["ts"]
            for m in double.messages(CHANNEL, top_level_only=True)
        }
        assert sorted(cards) == sorted(declared)
        threads: dict[str, list[Call]] = defaultdict(list)
        for call in sorted(posts, key=lambda c: c.seq):
            if call.params.get("thread_ts"):
                threads[str(call.params["thread_ts"])].append(call)
        for ref, ts in cards.items():
            texts = [str(c.params.get("text")) for c in threads[ts]]
            assert len(texts) == len(REPLIES), (ref, texts)
            for text, pattern in zip(texts, REPLIES, strict=True):
                found = re.match(pattern, text)
                assert found and found[1] == ref, (ref, texts)

        delivered_by = Counter(c.token for c in [*posts, *updates])
        print(
            f"\nreplicas: declared {INCIDENTS} over {len(replicas)}; victim fired "
            f"{fired_by_victim} escalations before SIGKILL; left at the kill: "
            f"{left_at_kill[0]} outbox rows, {left_at_kill[1]} escalation timers; "
            f"accepted posts/updates by replica: "
            f"{ {r.name: delivered_by[r.token] for r in everyone} }; "
            f"refused during the fault window: {sum(1 for c in double.calls if c.fault)}"
        )
    finally:
        for replica in everyone:
            await replica.cleanup()
        database.drop(url)
