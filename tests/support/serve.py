"""`python -m bot serve` as a real process, for the tests that kill and restart it: its JSON
log lines are collected as they come and can be waited for."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from bot.sandbox.standin.server import SlackDouble
from tests.support import database
from tests.support.harness import CONFIG, SECRET


class Serve:
    """One `python -m bot serve` process; its JSON log lines are collected as they come."""

    start_within = 60.0  # seconds until it must log `firebell_started`

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
        [started] = await self.wait_for_event("firebell_started", within=self.start_within)
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


def serve_env(tmp_path: Path, double: SlackDouble, port: int = 0) -> dict[str, str]:
    """The environment of a served Firebell on a fresh SQLite file (or the test database),
    talking to the Slack double: the harness's config, none of the caller's SLACK_/FIREBELL_."""
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
        "PORT": str(port),
        "FIREBELL_HOST": "127.0.0.1",
    }
