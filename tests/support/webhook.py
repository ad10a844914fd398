"""A webhook receiver for the Apprise tests: aiohttp on 127.0.0.1, where Apprise's own `json://`
and `form://` URLs post (`json://127.0.0.1:<port>/hook`).

Every request is recorded (`requests`: method, path, content type, the JSON or form body);
`fail_next(500)` answers the next requests with that status, `delay_next(seconds)` answers the
next one late. Anything else is answered 200.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    content_type: str
    body: Any  # the parsed JSON, or the form as a dict


class Webhook:
    """`async with Webhook() as hook:` starts and stops it."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._failures: list[int] = []
        self._delays: list[float] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    def url(self, scheme: str = "json", path: str = "/hook") -> str:
        """An Apprise URL posting here: `json://127.0.0.1:<port>/hook`."""
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    async def __aenter__(self) -> Webhook:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(self, status: int, *, times: int = 1) -> None:
        self._failures += [status] * times

    def delay_next(self, seconds: float) -> None:
        self._delays.append(seconds)

    async def _handle(self, request: web.Request) -> web.Response:
        raw = (await request.read()).decode()
        kind = request.content_type
        if kind == "application/json":
            body: Any = json.loads(raw)
        elif kind == "application/x-www-form-urlencoded":
            body = dict(parse_qsl(raw))
        else:
            body = raw
        self.requests.append(Request(request.method, request.path, kind, body))
        if self._delays:
            await asyncio.sleep(self._delays.pop(0))
        if self._failures:
            return web.Response(status=self._failures.pop(0), text="no")
        return web.Response(text="ok")
