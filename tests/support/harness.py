"""A real Firebell on a real SQLite file, served over loopback, talking to the Slack double.

Requests are signed exactly as Slack signs them. Time is a ManualClock; `deliver()` runs the
outbox sender round by round, moving the clock to whenever the sender next has work.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import Firebell
from bot.clock import ManualClock
from bot.config import Config, parse_config
from bot.sandbox.standin.server import SlackDouble
from bot.settings import Settings
from tests.support import database, signing

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL = "C0INCIDENTS"

CONFIG = """
incident_channel: C0INCIDENTS
timezone: Europe/Berlin
severities:
  - name: SEV1
    description: Complete outage
    ack_within: 15m
    update_every: 30m
    page: ["@U0PRODUCT", "group:S0PLATFORM"]
  - {name: SEV2, description: Major feature broken, ack_within: 1h, update_every: 1h}
  - {name: SEV3, description: Degraded, ack_within: 4h, update_every: 4h, outside_coverage: wait}
  - {name: SEV4, description: Minor, ack_within: 24h, update_every: 1d, outside_coverage: wait}
rotations:
  - name: primary
    members: [U0AAA, U0BBB]
    shift: 1w
    start: 2026-01-05T09:00
escalation:
  - notify: [rotation:primary]
  - notify: ["@U0LEAD"]
  - notify: ["group:S0PRODUCT"]
    after: 30m
repeat: 0
members: [U0ALICE, U0BOB, U0CAROL]  # the default team: may resolve, reopen, downgrade any incident
runbooks:
  api: https://docs.example.com/ops/api
"""
# the same, with the primary rotation covering weekdays 09:00-17:00 (Berlin): outside, SEV3
# and SEV4 wait for coverage and page no one
COVERED = CONFIG.replace(
    "    start: 2026-01-05T09:00\n",
    '    start: 2026-01-05T09:00\n    coverage:\n      - {days: mon-fri, from: "09:00", to: "17:00"}\n',
)
SATURDAY = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)  # 13:00 in Berlin: outside coverage


class Bot:
    def __init__(
        self,
        directory: Path,
        double: SlackDouble,
        *,
        config: Config | str = CONFIG,
        clock: ManualClock | None = None,
        slack_timeout: float = 15.0,
    ) -> None:
        self.directory = directory
        self.slack_timeout = slack_timeout  # the sender's wait for one Slack answer
        self.double = double
        self.config = parse_config(config) if isinstance(config, str) else config
        self.clock = clock or ManualClock()
        self.database_url = database.fresh_url(directory)
        self.app: Firebell | None = None
        self.http: aiohttp.ClientSession | None = None

    def settings(self, **overrides: Any) -> Settings:
        values = {
            "slack_bot_token": "xoxb-test-token",
            "slack_signing_secret": SECRET,
            "slack_api_url": self.double.url,
            "database_url": self.database_url,
            "port": 0,
            "firebell_host": "127.0.0.1",
            **overrides,
        }
        return Settings(**values)

    async def start(self, socket_mode: bool = False) -> Bot:
        """Start the bot; `socket_mode` connects it to the double's Socket Mode endpoint
        with an app-level token and no signing secret (none is needed there)."""
        overrides = (
            {"slack_app_token": "xapp-test", "slack_signing_secret": None} if socket_mode else {}
        )
        self.app = Firebell(
            self.settings(**overrides),
            self.config,
            self.clock,
            run_workers=False,
            slack_timeout=self.slack_timeout,
        )
        await self.app.start()
        self.http = self.http or aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        if self.app:
            await self.app.stop()
            self.app = None

    async def close(self) -> None:
        await self.stop()
        if self.http:
            await self.http.close()
        database.drop(self.database_url)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.app.port}"

    async def post_signed(
        self, body: str, *, timestamp: int | None = None, secret: str = SECRET
    ) -> aiohttp.ClientResponse:
        stamp = int(time.time()) if timestamp is None else timestamp
        headers = signing.sign(secret, body, stamp)
        response = await self.http.post(f"{self.base}/slack/events", data=body, headers=headers)
        await response.read()
        return response

    async def command(self, text: str, user: str = "U0ALICE", channel: str = CHANNEL) -> dict:
        """Run `/incident <text>`; return the ack's JSON body (the ephemeral answer)."""
        response = await self.post_signed(
            signing.slash_command_body(text, user_id=user, channel_id=channel)
        )
        body = await response.text()
        assert response.status == 200, (response.status, body)
        return json.loads(body) if body else {}

    async def click(
        self, action_id: str, value: str | None = None, user: str = "U0ALICE", **extra: Any
    ) -> aiohttp.ClientResponse:
        body = signing.block_actions_body(action_id, value=value, user_id=user, **extra)
        return await self.post_signed(body)

    async def submit(
        self, callback_id: str, values: dict, *, user: str = "U0ALICE", private_metadata=""
    ) -> tuple[int, dict]:
        body = signing.view_submission_body(
            callback_id, values, private_metadata=private_metadata, user_id=user
        )
        response = await self.post_signed(body)
        text = await response.text()
        return response.status, (json.loads(text) if text else {})

    async def tick(self) -> None:
        """Fire every timer due at the current (manual) time."""
        await self.app.timers.run_once()

    async def advance(self, delta: timedelta) -> None:
        """Let `delta` pass: timers fire at their exact due times, in order, on the way."""
        end = self.clock.now() + delta
        while True:
            next_due = await self.app.timers.run_once()
            if next_due is None or next_due > end:
                break
            self.clock.set(max(next_due, self.clock.now()))
        self.clock.set(end)
        await self.app.timers.run_once()

    async def deliver(self, *replicas: Firebell, max_rounds: int = 10_000) -> None:
        """Run the sender (and other `replicas`' senders, side by side) until the outbox is
        empty, jumping the clock over waits (a post's pace, a lane another replica held)."""
        senders = [app.sender for app in (self.app, *replicas)]
        for _ in range(max_rounds):
            waits = await asyncio.gather(*(sender.run_once() for sender in senders))
            due = [at for at in waits if at is not None]
            if not due:
                return
            self.clock.set(max(min(due), self.clock.now()))
        raise AssertionError("the outbox did not drain")


def modal_values(**fields: str | None) -> dict:
    """View state as Slack sends it: text inputs and selects under action_id `value`."""
    values: dict[str, Any] = {}
    for block_id, value in fields.items():
        if block_id in ("severity", "service", "team") and value is not None:
            option = {"text": {"type": "plain_text", "text": value}, "value": value}
            values[block_id] = {"value": {"type": "static_select", "selected_option": option}}
        else:
            values[block_id] = {"value": {"type": "plain_text_input", "value": value}}
    return values
