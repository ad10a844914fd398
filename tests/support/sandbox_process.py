"""`firebell sandbox` started as a user starts it, in its own process on a free port: the
page's URL and the bot's address as it printed them, and every later line it prints."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

WAIT = 60  # seconds for a line; a 2-core CI machine starts Python slowly


@dataclass
class Started:
    page: str  # the page, from "Open <url>"
    bot: str  # the bot's own address, from "(Firebell itself listens on <url>: ..."
    lines: queue.Queue[str]  # what it prints from then on

    def next_line(self, containing: str = "") -> str:
        """The next printed line (that contains `containing`), within WAIT seconds."""
        while True:
            try:
                line = self.lines.get(timeout=WAIT).rstrip("\n")
            except queue.Empty:
                pytest.fail(f"the sandbox printed no line with {containing!r}")
            if containing in line:
                return line


@contextlib.contextmanager
def sandbox(directory: Path) -> Iterator[Started]:
    """Run it in `directory` (its data/ goes there); stopped with SIGTERM, which must exit 0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREBELL_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", "0"],
        cwd=directory,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in process.stdout], daemon=True).start()
    try:
        line = ""
        while not line.startswith("Open "):
            try:
                line = lines.get(timeout=WAIT)
            except queue.Empty:
                pytest.fail(f"the sandbox printed no URL; stderr: {process.stderr.read()}")
        page = line.removeprefix("Open ").strip()
        bot = lines.get(timeout=WAIT).split(" listens on ", 1)[1].split(": ", 1)[0]
        yield Started(page, bot, lines)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(timeout=30) == 0
        finally:
            if process.returncode is None:
                process.kill()
                process.wait()
