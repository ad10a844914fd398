"""`firebell sandbox`: the real bot and a stand-in for Slack in one process, on SQLite.

The bot is built exactly as `serve` builds it (bot/app.py: the same listeners, outbox sender,
timer worker, database code and signature verification); only its settings differ: the Web API
is the stand-in (SLACK_API_URL), the token and signing secret are made up for this session,
the database is data/sandbox.db (fresh on every start and on every reset from the page), and
its clock is a FastClock the page can speed up. The stand-in serves the page on PORT (3000)
and reaches the bot's `POST /slack/events` on a loopback port of its own, which the sandbox
holds open from start to stop: a reset starts the new bot on the same socket, so the address
printed at start keeps working (a request during the reset waits in its backlog).
"""

from __future__ import annotations

import asyncio
import secrets
import socket
from pathlib import Path

import structlog

from bot.app import Firebell
from bot.clock import FastClock
from bot.sandbox import config as sandbox_config
from bot.sandbox import page
from bot.sandbox.standin.server import SlackDouble
from bot.sandbox.workspace import Workspace
from bot.settings import Settings

log = structlog.get_logger("firebell.sandbox")

DEFAULT_CONFIG = Path("config/sandbox.yml")
DEFAULT_DATABASE = Path("data/sandbox.db")
TIMER_POLL_SECONDS = 0.05
"""How often the timer worker looks (wall seconds): at 60x a timer fires at most 3 s of sandbox
time late, against 30 s with production's half-second poll."""


def default_config() -> Path:
    """config/sandbox.yml here, else the one beside the installed package's source tree."""
    if DEFAULT_CONFIG.exists():
        return DEFAULT_CONFIG
    beside = Path(__file__).resolve().parents[2] / DEFAULT_CONFIG
    return beside if beside.exists() else DEFAULT_CONFIG


class Sandbox:
    def __init__(
        self,
        config_path: Path | str,
        *,
        host: str = "127.0.0.1",
        port: int = 3000,
        database: Path | str = DEFAULT_DATABASE,
        rate: float = 1.0,
        log_level: str = "error",
    ) -> None:
        self.loaded = sandbox_config.load(config_path)
        self.host = host
        self.port = port
        self.database = Path(database)
        self.rate = rate
        self.log_level = log_level
        self.clock = FastClock(self.loaded.spec.start_instant(self.loaded.config), rate)
        self.standin = SlackDouble(
            team_id="T0SANDBOX",
            team_domain="firebell-sandbox",
            team_name=self.loaded.spec.workspace,
            clock=self.clock,
        )
        self.workspace = Workspace(self.standin, self.loaded.spec, self.loaded.config, self.clock)
        self.workspace.reset_hook = self.reset
        self.standin.add_routes(page.routes(self.workspace))
        self.bot: Firebell | None = None
        self._listener: socket.socket | None = None  # the bot's, kept across resets
        self._lock = asyncio.Lock()

    @property
    def url(self) -> str:
        """The page, as printed: loopback whatever address is listened on."""
        host = self.host if self.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.standin.port}/sandbox"

    async def start(self) -> Sandbox:
        await self.standin.start(self.host, self.port)
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        try:
            await self._start_bot()
        except BaseException:
            await self.standin.stop()
            self._listener.close()
            raise
        return self

    async def stop(self) -> None:
        await self.workspace.shutdown()
        if self.bot is not None:
            await self.bot.stop()
            self.bot = None
        await self.standin.stop()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    async def reset(self) -> None:
        """Start over: a fresh database, an empty workspace, sandbox time back at its start."""
        async with self._lock:
            if self.bot is not None:
                await self.bot.stop()
                self.bot = None
            self.standin.clear()
            self.clock = FastClock(self.loaded.spec.start_instant(self.loaded.config), self.rate)
            self.standin.clock = self.clock
            self.workspace.clock = self.clock
            await self._start_bot()

    async def _start_bot(self) -> None:
        _remove_database(self.database)
        secret = secrets.token_hex(16)  # this session's signing secret: only the stand-in has it
        token = f"xoxb-sandbox-{secrets.token_hex(12)}"
        self.standin.tokens = {token}
        settings = Settings(
            slack_bot_token=token,
            slack_signing_secret=secret,
            slack_app_token=None,  # HTTP mode, whatever the environment says
            slack_api_url=self.standin.url,
            database_url=f"sqlite+aiosqlite:///{self.database}",
            port=0,
            firebell_host="127.0.0.1",
            firebell_log_level=self.log_level,
        )
        self.bot = Firebell(settings, self.loaded.config, self.clock)
        self.bot.timers.poll_seconds = TIMER_POLL_SECONDS
        # a copy: stopping a bot closes the socket it was given, not the one kept here
        await self.bot.start(sock=self._listener.dup())
        self.workspace.connect(f"http://127.0.0.1:{self.bot.port}/slack/events", secret)


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
