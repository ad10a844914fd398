"""A real crash: `python -m bot serve` is SIGKILLed while Slack is down, then restarted on
the same database. Every acknowledged command's card and thread reply must arrive exactly once:
the outbox loses nothing and sends nothing twice."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from bot.sandbox.standin.server import SlackDouble
from tests.support import database, signing
from tests.support.db import rows
from tests.support.harness import CHANNEL, CONFIG, SECRET

INCIDENTS = 5
START_WITHIN = 60.0
DELIVER_WITHIN = 90.0  # backoff left over from the outage, then ~1 message/s per channel


class Serve:
    """One `python -m bot serve` process; its JSON log lines are collected as they come."""

    def __init__(self, env: dict[str, str], cwd: Path, stderr_path: Path) -> None:
        self.env = env
        self.cwd = cwd
        self.stderr_path = stderr_path
        self.process: asyncio.subprocess.Process | None = None
        self.records: list[dict[str, Any]] = []
        self.port: int | None = None
        self._changed = asyncio.Condition()
        self._reader: asyncio.Task | None = None
        self._stderr = None

    async def start(self) -> Serve:
        self._stderr = self.stderr_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "serve",
            env=self.env,
            cwd=self.cwd,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._stderr,
        )
        self._reader = asyncio.create_task(self._read())
        [started] = await self.wait_for_event("firebell_started", within=START_WITHIN)
        self.port = started["port"]
        return self

    async def _read(self) -> None:
        """Drain stdout for the process's whole life, so a full pipe never blocks it."""
        assert self.process and self.process.stdout
        while line := await self.process.stdout.readline():
            try:
                record = json.loads(line)
            except ValueError:
                record = {"raw": line.decode(errors="replace")}
            async with self._changed:
                self.records.append(record if isinstance(record, dict) else {"raw": record})
                self._changed.notify_all()
        async with self._changed:
            self._changed.notify_all()  # end of output: waiters re-check and can fail fast

    def events(self, name: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("event") == name]

    async def wait_for_event(
        self, name: str, count: int = 1, *, within: float
    ) -> list[dict[str, Any]]:
        def ready() -> bool:
            return len(self.events(name)) >= count or self._reader.done()

        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(ready)
        except TimeoutError:
            raise AssertionError(
                f"{count} {name!r} log line(s) expected within {within}s; "
                f"got {len(self.events(name))}\n{self.diagnostics()}"
            ) from None
        found = self.events(name)
        assert len(found) >= count, f"the process ended early\n{self.diagnostics()}"
        return found

    def diagnostics(self) -> str:
        tail = [json.dumps(r) for r in self.records[-20:]]
        stderr = self.stderr_path.read_text(errors="replace")[-4000:]
        return "stdout tail:\n" + "\n".join(tail) + "\nstderr tail:\n" + stderr

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def kill(self) -> int:
        """SIGKILL: no shutdown code runs, exactly like a crash or an OOM kill."""
        assert self.process
        if self.process.returncode is None:
            self.process.kill()
        return await self._reap()

    async def terminate(self, within: float = 30.0) -> int:
        assert self.process
        self.process.send_signal(signal.SIGTERM)
        return await self._reap(within)

    async def _reap(self, within: float = 30.0) -> int:
        assert self.process
        code = await asyncio.wait_for(self.process.wait(), timeout=within)
        if self._reader:
            await asyncio.wait_for(self._reader, timeout=within)
        return code

    async def cleanup(self) -> None:
        """For `finally`: never leave a process behind, whatever happened."""
        if self.process and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        if self._reader and not self._reader.done():
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._stderr:
            self._stderr.close()


def serve_env(tmp_path: Path, double: SlackDouble) -> dict[str, str]:
    config = tmp_path / "firebell.yml"
    config.write_text(CONFIG)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREBELL_"))}
    return {
        **clean,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": double.url,
        "DATABASE_URL": database.url_for(tmp_path),
        "FIREBELL_CONFIG": str(config),
        "PORT": "0",
        "FIREBELL_HOST": "127.0.0.1",
    }


async def declare(http: aiohttp.ClientSession, base: str, title: str) -> str:
    body = signing.slash_command_body(f"declare sev2 {title}")
    headers = signing.sign(SECRET, body, int(time.time()))
    async with http.post(f"{base}/slack/events", data=body, headers=headers) as response:
        text = await response.text()
        assert response.status == 200, (response.status, text)
        return json.loads(text)["text"]


def cards_attempted(double: SlackDouble) -> set[str]:
    """Incidents whose card post reached the double (and failed)."""
    return {
        str(call.params.get("text", "")).split(" ", 1)[0]
        for call in double.calls_to("chat.postMessage")
        if call.fault and not call.params.get("thread_ts")
    }


async def test_sigkill_while_slack_is_down_loses_nothing_and_posts_nothing_twice(tmp_path, double):
    env = serve_env(tmp_path, double)
    first = Serve(env, tmp_path, tmp_path / "first.stderr")
    second = Serve(env, tmp_path, tmp_path / "second.stderr")
    refs = [f"INC-{n}" for n in range(1, INCIDENTS + 1)]
    try:
        # Slack answers 503 to every post: the commands are acked, the posts wait in the outbox.
        double.inject("chat.postMessage", status=503, times=1_000_000)
        await first.start()
        async with aiohttp.ClientSession() as http:
            for n, ref in enumerate(refs, start=1):
                answer = await declare(http, first.base, f"Outage number {n}")
                assert f"Declared {ref} (SEV2)" in answer
        # Every card was tried and refused before the crash, so the rows are mid-retry.
        await double.wait_until(
            lambda: cards_attempted(double) >= set(refs),
            within=30,
            what="a failed card post for every incident",
        )
        assert double.messages(CHANNEL) == []
        assert await first.kill() == -signal.SIGKILL
        assert not first.events("firebell_stopped")  # no graceful shutdown ran

        # What the crash left behind: every row the five declarations queued, none sent.
        queued = dict(
            rows(
                database.url_for(tmp_path),
                "SELECT kind, COUNT(*) FROM outbox WHERE status = 'pending' GROUP BY kind",
            )
        )
        assert queued.get("card") == INCIDENTS and queued.get("reply") == INCIDENTS, queued
        assert rows(database.url_for(tmp_path), "SELECT COUNT(*) FROM outbox") == [
            (sum(queued.values()),)
        ]

        # Slack recovers; a new process takes over the same database.
        double.clear_faults()
        double.reset_calls()
        await second.start()
        await double.wait_for("chat.postMessage", 2 * INCIDENTS, within=DELIVER_WITHIN)
        delivered = await second.wait_for_event(
            "slack_delivered", sum(queued.values()), within=DELIVER_WITHIN
        )
        assert Counter(r["kind"] for r in delivered) == queued

        async with aiohttp.ClientSession() as http, http.get(f"{second.base}/readyz") as response:
            ready = await response.json()
        assert response.status == 200, ready
        assert ready["outbox"] == {"backlog": 0, "recent_failures": []}

        # Exactly once: one card per incident, one reply (the declaration) in each thread.
        cards = double.messages(CHANNEL, top_level_only=True)
        assert sorted(c["blocks"][0]["text"]["text"] for c in cards) == sorted(
            f"{ref} · Outage number {n}" for n, ref in enumerate(refs, start=1)
        )
        for card in cards:
            ref = card["text"].split(" ", 1)[0]
            [reply] = double.thread(CHANNEL, card["ts"])
            assert f"declared {ref} (SEV2)" in reply["text"], reply["text"]
        assert len(double.messages(CHANNEL)) == 2 * INCIDENTS
        # ... and nothing else went out twice either (e.g. the pages sent by DM):
        # every queued row is one chat.postMessage, each with its own content.
        posts = double.calls_to("chat.postMessage")
        assert all(c.fault is None for c in posts)
        assert len(posts) == sum(queued.values())
        contents = Counter(
            (c.params.get("channel"), c.params.get("thread_ts"), c.params.get("text"))
            for c in posts
        )
        assert [content for content, n in contents.items() if n > 1] == []

        assert await second.terminate() == 0
        assert second.events("firebell_stopped")
    finally:
        await first.cleanup()
        await second.cleanup()
