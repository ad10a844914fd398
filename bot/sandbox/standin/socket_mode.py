"""Slack's Socket Mode, served by the stand-in: the websocket an app opens instead of taking
HTTP requests, with Slack's `hello`, `disconnect` and pings, so the bot's Socket Mode path is
driven the way Slack drives it.

`apps.connections.open` (app-level `xapp-` token) hands out a `ws://` URL on the stand-in's
own port; an app that connects gets Slack's `hello`, and a test pushes envelopes with
`socket_send` and gets back the acknowledgement the app answered with.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import uuid
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from bot.sandbox.standin.shapes import Answer
from bot.sandbox.standin.web_api import Params, WebApi

ENVELOPE_TYPES = frozenset({"slash_commands", "interactive", "events_api"})
SOCKET_PATH = "/link/"


class SocketMode(WebApi):
    """The Web API plus the Socket Mode connections apps open with it."""

    def __init__(self, **identity: Any) -> None:
        """`identity`: the workspace's ids and clock, as `WorkspaceState` takes them."""
        super().__init__(**identity)
        self.socket_sent: list[Answer] = []
        """Every envelope pushed to an app, in order."""
        self.socket_received: list[Any] = []
        """Every text frame apps sent back (decoded JSON, or the raw text if not JSON)."""
        self.socket_pings = 0
        """Pings apps sent to the double (each answered with a pong)."""
        self.socket_connections_total = 0
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, tuple[web.WebSocketResponse, asyncio.Future[Answer]]] = {}
        self._pongs: dict[bytes, asyncio.Future[None]] = {}
        self._ping_ids = itertools.count(1)
        self._handlers["apps.connections.open"] = self._apps_connections_open

    @property
    def socket_connections(self) -> int:
        """How many apps are connected over Socket Mode right now."""
        return len(self._live_sockets())

    async def wait_for_socket(self, *, within: float = 10.0) -> int:
        """Wait until at least one app is connected; return how many are."""
        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(lambda: bool(self._live_sockets()))
        except TimeoutError:
            raise AssertionError(
                f"no app connected over Socket Mode within {within}s "
                f"({len(self.calls_to('apps.connections.open'))} apps.connections.open call(s))"
            ) from None
        return self.socket_connections

    async def socket_send(
        self,
        type: str,
        payload: Answer,
        *,
        accepts_response_payload: bool | None = None,
        within: float = 10.0,
    ) -> Answer:
        """Push one envelope to the newest connected app; return the acknowledgement it sends.

        `type` is "slash_commands" (payload: the command's fields as a dict), "interactive"
        (the block_actions / view_submission payload) or "events_api" (the event_callback
        envelope). `accepts_response_payload` defaults as Slack sets it: true for slash
        commands and for view submissions and block suggestions, false otherwise. The answer
        is the app's frame, `{"envelope_id": ..., "payload": {...}}` (payload absent for a bare
        ack); no answer within `within` seconds raises AssertionError.
        """
        if type not in ENVELOPE_TYPES:
            raise ValueError(f"envelope type must be one of {sorted(ENVELOPE_TYPES)}")
        ws = await self._newest_socket(within)
        if accepts_response_payload is None:
            accepts_response_payload = _accepts_response_payload(type, payload)
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
            "retry_attempt": 0,
            "retry_reason": "",
        }
        acked: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = (ws, acked)
        self.socket_sent.append(copy.deepcopy(envelope))
        try:
            await ws.send_json(envelope)
            async with asyncio.timeout(within):
                return await acked
        except TimeoutError:
            raise AssertionError(
                f"the app did not acknowledge {type} envelope {envelope_id} within {within}s"
            ) from None
        finally:
            self._acks.pop(envelope_id, None)

    async def socket_ping(self, *, within: float = 10.0) -> None:
        """Ping the newest connected app as Slack does; wait for its pong with the same data."""
        ws = await self._newest_socket(within)
        data = f"firebell-double-ping:{next(self._ping_ids)}".encode()
        ponged: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pongs[data] = ponged
        try:
            await ws.ping(data)
            async with asyncio.timeout(within):
                await ponged
        except TimeoutError:
            raise AssertionError(f"the app did not answer a ping within {within}s") from None
        finally:
            self._pongs.pop(data, None)

    async def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's `disconnect` message to every connected app (it should reconnect)."""
        message = {
            "type": "disconnect",
            "reason": reason,
            "debug_info": {"host": f"applink-{self.team_domain}"},
        }
        for ws in self._live_sockets():
            await ws.send_json(message)

    async def _close_sockets(self) -> None:
        """Close every connection as a stopping server does (1001 going away)."""
        if self._sockets:
            await asyncio.gather(
                *(
                    ws.close(code=WSCloseCode.GOING_AWAY, message=b"server stopping")
                    for ws in list(self._sockets)
                ),
                return_exceptions=True,
            )

    def _live_sockets(self) -> list[web.WebSocketResponse]:
        return [ws for ws in self._sockets if not ws.closed]

    async def _newest_socket(self, within: float) -> web.WebSocketResponse:
        await self.wait_for_socket(within=within)
        return self._live_sockets()[-1]

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        """The URL apps.connections.open hands out (wss://wss-primary.slack.com/link/)."""
        if request.query.get("ticket", "") not in self._tickets:
            return web.Response(status=401, text="Unauthorized", content_type="text/plain")
        # Pings are answered here, not by aiohttp, so tests can count them and see pongs.
        ws = web.WebSocketResponse(autoping=False, timeout=2.0)
        await ws.prepare(request)
        self._sockets.append(ws)
        self.socket_connections_total += 1
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": len(self._live_sockets()),
                    "debug_info": {
                        "host": f"applink-{self.team_domain}",
                        "build_number": 1,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": self.app_id},
                }
            )
            await self._notify()
            async for frame in ws:
                if frame.type is WSMsgType.TEXT:
                    self._socket_text(frame.data)
                elif frame.type is WSMsgType.PING:
                    self.socket_pings += 1
                    await ws.pong(frame.data)
                elif frame.type is WSMsgType.PONG:
                    ponged = self._pongs.get(bytes(frame.data))
                    if ponged is not None and not ponged.done():
                        ponged.set_result(None)
        finally:
            self._sockets.remove(ws)
            for envelope_id, (owner, acked) in list(self._acks.items()):
                if owner is ws and not acked.done():
                    acked.set_exception(
                        AssertionError(f"the socket closed before envelope {envelope_id} was acked")
                    )
            await self._notify()
        return ws

    def _socket_text(self, data: str) -> None:
        try:
            message: Any = json.loads(data)
        except ValueError:
            message = data
        self.socket_received.append(message)
        if isinstance(message, dict):
            pending = self._acks.get(str(message.get("envelope_id")))
            if pending is not None and not pending[1].done():
                pending[1].set_result(message)

    def _apps_connections_open(self, params: Params) -> Answer:
        ticket = str(uuid.uuid4())
        self._tickets.add(ticket)
        url = f"ws://127.0.0.1:{self.port}{SOCKET_PATH}?ticket={ticket}&app_id={self.app_id}"
        return {"ok": True, "url": url}


def _accepts_response_payload(type: str, payload: Answer) -> bool:
    """As Slack sets it: an answer in the ack is possible for commands, submissions, options."""
    if type == "slash_commands":
        return True
    return type == "interactive" and payload.get("type") in ("view_submission", "block_suggestion")
