"""A system under test in its own subprocess: started, waited for until ready, stopped."""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import functools
import os
import signal
import socket
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@functools.cache
def compiled() -> None:
    """The code under test compiled to bytecode, as an installed package is (pip compiles
    what it installs). Where PYTHONDONTWRITEBYTECODE is set, as on the development VM,
    nothing else would write it, and each start-up would compile every module again (about
    half a second of Firebell's)."""
    for package in ("bot", "bench"):
        compileall.compile_dir(ROOT / package, quiet=1)


class Server:
    """A system under test in its own subprocess; output goes to a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, log: Path):
        self.name = name
        self.argv = argv
        self.env = env
        self.port = port
        self.log = log
        self.process: asyncio.subprocess.Process | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, session: aiohttp.ClientSession) -> float:
        """Start the process and wait until GET /readyz answers 200; the seconds that took."""
        compiled()
        started = time.monotonic()
        with self.log.open("wb") as out:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv,
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        deadline = started + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.returncode is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(f"{self.base}/readyz") as response:
                    if response.status == 200:
                        return time.monotonic() - started
            await asyncio.sleep(0.01)
        raise RuntimeError(f"{self.name} not ready after {READY_TIMEOUT:.0f}s")

    def rss_mb(self) -> float:
        """The process's resident set size now, in MB (Linux's /proc)."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(kb) / 1024

    def cpu_seconds(self) -> float:
        """User plus system CPU seconds the process (all its threads) has used so far
        (Linux's /proc/<pid>/stat, fields 14 and 15, in clock ticks)."""
        assert self.process is not None
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited in time."""
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            print(
                f"{self.name} ignored SIGTERM for {STOP_TIMEOUT:.0f}s; killing it", file=sys.stderr
            )
            process.kill()
            await process.wait()

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def profile_option(
    parser: argparse.ArgumentParser,
    text: str = "run Firebell under cProfile and write its stats here",
) -> None:
    """`--profile PATH`, made absolute (the server runs in the repository root)."""
    parser.add_argument("--profile", type=lambda path: Path(path).resolve(), help=text)


def interruptible(bench: Coroutine[Any, Any, int]) -> int:
    """Run a bench's coroutine to its exit status. SIGTERM cancels it as Ctrl-C does, so the
    servers it started are stopped either way (each bench stops its own in `finally`)."""

    async def cancellable() -> int:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await bench

    try:
        return asyncio.run(cancellable())
    except (KeyboardInterrupt, asyncio.CancelledError):
        bench.close()
        print("bench interrupted; its servers were stopped", file=sys.stderr)
        return 130
