"""The stand-in for Slack served over real HTTP: the tests' Slack double and the sandbox's
Slack, one object (`SlackDouble`) a test starts, points the bot at and inspects.

The bot talks to it through its ordinary slack_sdk client (SLACK_API_URL = `SlackDouble.url`),
so what runs against it is the real wire format: JSON and form bodies, bearer tokens, HTTP
status codes, `Retry-After` headers and timeouts. Every call is recorded, then failed if a
test queued a fault for it (faults.py), else answered by the Web API (web_api.py) over the
workspace state (state.py); the same port serves file uploads, Socket Mode (socket_mode.py)
and any routes added before `start` (the sandbox's page, bot/sandbox/page.py).

All state changes happen synchronously inside one request handler on the event loop, so
concurrent requests never interleave half-way through an update.
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any, Self
from urllib.parse import parse_qsl

from aiohttp import web

from bot.clock import Clock
from bot.sandbox.standin.faults import Faults, Storm
from bot.sandbox.standin.socket_mode import SOCKET_PATH, SocketMode
from bot.sandbox.standin.web_api import Call, Params

JSON_FIELDS = frozenset({"blocks", "view", "attachments", "metadata", "files"})
"""Fields Slack accepts as JSON-encoded strings inside form bodies; decoded before recording."""


class SlackDouble(SocketMode):
    """Fake https://slack.com/api/ for one test: start it, point the bot at `url`, inspect it."""

    def __init__(
        self,
        *,
        team_id: str = "T0TEAM",
        team_domain: str = "firebell-test",
        bot_user_id: str = "U0FIREBELL",
        bot_id: str = "B0FIREBELL",
        app_id: str = "A0FIREBELL",
        team_name: str = "Firebell Test",
        clock: Clock | None = None,
    ) -> None:
        """`clock` given: message timestamps follow it (the sandbox's fast clock); without
        one they count up from FIRST_TS_MICROS, so tests know the first ts in advance."""
        super().__init__(
            team_id=team_id,
            team_domain=team_domain,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            app_id=app_id,
            team_name=team_name,
            clock=clock,
        )
        self._faults = Faults()
        self._extra_routes: list[web.RouteDef] = []
        self._runner: web.AppRunner | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def add_routes(self, routes: list[web.RouteDef]) -> None:
        """Serve more routes beside the Web API (the sandbox's page); call before `start`."""
        self._extra_routes.extend(routes)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> Self:
        """Serve on `host`; port 0 lets the OS pick one, so parallel tests never collide."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_get(SOCKET_PATH, self._handle_socket)
        app.add_routes(self._extra_routes)
        # A short shutdown timeout: a test may stop the double while a delayed answer sleeps.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            if port:  # a fixed port (the sandbox's 3000) may be reused right after a restart
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
        except OSError:
            sock.close()
            await self._runner.cleanup()
            self._runner = None
            raise
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        """Close every Socket Mode connection (1001 going away), then stop serving."""
        await self._close_sockets()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def close_connections(self) -> None:
        """Close every HTTP connection open to the double now, as Slack closes an idle
        kept-alive connection when it likes; the next call opens another."""
        if self._runner is not None and self._runner.server is not None:
            for connection in list(self._runner.server.connections):
                connection.force_close()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- faults ------------------------------------------------------------------------------

    def inject(self, method: str, **fault: Any) -> None:
        """Queue a fault for the next calls to `method` ("*" = any method); see
        `Faults.inject` for the kinds of fault and what each answers."""
        self._faults.inject(method, **fault)

    def storm(self, storm: Storm | None) -> None:
        """Let calls fail at random (see `Storm`) until `clear_faults` or `storm(None)`."""
        self._faults.storm = storm

    def clear_faults(self) -> None:
        """Drop every queued fault, fired or not: the next calls succeed."""
        self._faults.clear()

    def faults_left(self, method: str | None = None) -> int:
        """How many injected failures have not fired yet (for one method, or all)."""
        return self._faults.left(method)

    def clear(self) -> None:
        """Forget every message, view, call and fault (users, channels and groups stay)."""
        super().clear()
        self._faults.clear()

    # -- HTTP --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params, encoding = await _read_params(request)
        given = (params or {}).get("token")
        token = _bearer_token(request) or (None if given is None else str(given))
        fault = self._faults.take(method)
        call = Call(
            method=method,
            params=params if params is not None else {},
            token=token,
            seq=next(self._seq),
            fault=fault.describe() if fault else None,
            http_verb=request.method,
            encoding=encoding,
            peer=_peer(request),
        )
        self.calls.append(call)
        await self._notify()

        if fault is not None and fault.fails:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            return fault.response()

        answer = self._answer(method, params, token)
        call.error = None if answer.get("ok") else answer.get("error")
        await self._notify()  # state changed: wake wait_until predicates on messages too
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        return web.json_response(answer)

    async def _handle_upload(self, request: web.Request) -> web.Response:
        """The upload URL files.getUploadURLExternal hands out (files.slack.com in reality)."""
        file_id = request.match_info["file_id"]
        if file_id not in self._files:
            return web.Response(status=404, text="Not Found", content_type="text/plain")
        data = await request.read()
        self.uploads[file_id] = data
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")


def _peer(request: web.Request) -> str | None:
    """The caller's end of the connection, `host:port`: calls kept alive share one."""
    found = request.transport.get_extra_info("peername") if request.transport else None
    return f"{found[0]}:{found[1]}" if found else None


def _bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def _decode_json_fields(params: Params) -> Params:
    for key in JSON_FIELDS & params.keys():
        value = params[key]
        if isinstance(value, str):
            try:
                decoded = json.loads(value)
            except ValueError:
                continue
            if isinstance(decoded, dict | list):
                params[key] = decoded
    return params


async def _read_params(request: web.Request) -> tuple[Params | None, str]:
    """Merge query string and body into one dict; None means a body that is not valid JSON."""
    params: Params = dict(request.query)
    encoding = "query"
    content_type = request.content_type
    if request.can_read_body:
        if content_type.startswith("multipart/"):
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
            encoding = "multipart"
        else:
            raw = (await request.read()).decode("utf-8")
            if content_type == "application/json":
                encoding = "json"
                try:
                    body = json.loads(raw) if raw.strip() else {}
                except ValueError:
                    return None, encoding
                if not isinstance(body, dict):
                    return None, encoding
                params.update(body)
            else:
                encoding = "form"
                params.update(parse_qsl(raw, keep_blank_values=True))
    return _decode_json_fields(params), encoding
