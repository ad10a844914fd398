"""A stand-in for Slack's Web API, served over real HTTP: the tests' double and the sandbox's Slack.

The bot talks to it through its ordinary slack_sdk client (SLACK_API_URL = `standin.url`), so
what runs against it is the real wire format: JSON and form bodies, bearer tokens, HTTP status
codes, `Retry-After` headers and timeouts. It answers with the response shapes Slack documents
(tests/fixtures/slack/ holds Slack's documented examples, and a test compares the two), keeps
the channel messages the bot posted and edited, the ephemeral messages, the modals and App Home
views it opened, records every call, and lets a test queue faults (rate limits, 5xx,
`ok: false` errors, slow answers) for the next calls to a method.

Tests use it as `SlackDouble` (tests/support/slack_double.py re-exports it); `firebell sandbox`
serves the same object with a browser page on top (bot/sandbox/workspace.py, page.py), which
watches it through `subscribe` and sends the bot signed requests (bot/sandbox/signing.py).

All state changes happen synchronously inside one request handler on the event loop, so
concurrent requests never interleave half-way through an update.

Socket Mode is served too: `apps.connections.open` (app-level `xapp-` token) hands out a
`ws://` URL on the same port; an app that connects gets Slack's `hello`, and a test pushes
envelopes with `socket_send` and gets back the acknowledgement the app answered with.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import itertools
import json
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import parse_qsl

from aiohttp import WSCloseCode, WSMsgType, web

from bot.clock import Clock

JSON_FIELDS = frozenset({"blocks", "view", "attachments", "metadata", "files"})
"""Fields Slack accepts as JSON-encoded strings inside form bodies; decoded before recording."""

TOKEN_PREFIXES = ("xoxb-", "xapp-")
APP_TOKEN_PREFIX = "xapp-"
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
"""Methods that take only an app-level token; any other token is `invalid_auth`."""
ENVELOPE_TYPES = frozenset({"slash_commands", "interactive", "events_api"})
SOCKET_PATH = "/link/"
ANY_METHOD = "*"
FIRST_TS_MICROS = 1_700_000_000_000_000
TRIGGER_TTL = 3.0
"""Seconds a trigger_id the stand-in handed out stays usable, as in Slack."""
STATUS_TEXT = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

Params = dict[str, Any]
Answer = dict[str, Any]
Listener = Callable[[str, Answer], None]
"""Told of every change a viewer would see: `(kind, data)`, e.g. ("message", {...})."""


@dataclass
class Call:
    """One request the double received, recorded whether or not it succeeded."""

    method: str
    params: Params
    token: str | None
    seq: int
    fault: str | None = None
    http_verb: str = "POST"
    encoding: str = "form"  # "json", "form", "multipart" or "query"


@dataclass
class Fault:
    """A queued failure for the next `remaining` calls to one method (or to any, "*")."""

    status: int | None
    error: str | None
    retry_after: int | None
    delay: float | None
    remaining: int

    @property
    def fails(self) -> bool:
        """A delay alone is a slow success; anything else answers with a failure."""
        return self.status is not None or self.error is not None

    def describe(self) -> str:
        parts = []
        if self.status is not None:
            parts.append(f"http {self.status}")
        if self.error is not None:
            parts.append(f"error {self.error}")
        if self.delay:
            parts.append(f"delay {self.delay}s")
        return ", ".join(parts)

    def response(self) -> web.Response:
        if self.status == 429:
            return web.json_response(
                {"ok": False, "error": self.error or "ratelimited"},
                status=429,
                headers={
                    "Retry-After": str(self.retry_after if self.retry_after is not None else 1)
                },
            )
        if self.status is not None and self.status != 200:
            reason = STATUS_TEXT.get(self.status, "Error")
            return web.Response(status=self.status, text=reason, content_type="text/plain")
        return web.json_response({"ok": False, "error": self.error})


class SlackDouble:
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
        self.team_id = team_id
        self.team_domain = team_domain
        self.team_name = team_name
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.clock = clock

        self.calls: list[Call] = []
        self.missing_channels: set[str] = set()
        self.channel_names: dict[str, str] = {}
        self.joined: set[str] = set()
        self.usergroups: dict[str, list[str]] = {}
        self.uploads: dict[str, bytes] = {}
        self.home_views: dict[str, Answer] = {}
        self.ephemerals: list[Answer] = []
        """chat.postEphemeral messages: each with `channel`, `user` (who sees it), `ts`."""
        self.views: dict[str, Answer] = {}
        """Modals opened with views.open / views.push, by view id, each with its `user`."""
        self.dm_users: dict[str, str] = {}
        """Direct-message channel id -> the user the bot talks to there."""
        self.tokens: set[str] | None = None
        """Bot tokens accepted; None accepts any `xoxb-` token (the tests' default)."""

        self._users_by_email: dict[str, Answer] = {}
        self._users_by_id: dict[str, Answer] = {}
        self._messages: dict[str, list[Answer]] = {}
        self._faults: dict[str, list[Fault]] = {}
        self._files: dict[str, Answer] = {}
        self._seq = itertools.count(1)
        self._ts = itertools.count(1)
        self._last_ts_micros = 0
        self._triggers: dict[str, tuple[str, float]] = {}
        self._listeners: list[Listener] = []
        self._extra_routes: list[web.RouteDef] = []
        self._view_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

        # Socket Mode
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

        self._handlers: dict[str, Callable[[Params], Answer]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.lookupByEmail": self._users_lookup_by_email,
            "users.info": self._users_info,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.join": self._conversations_join,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "usergroups.users.list": self._usergroups_users_list,
            "apps.connections.open": self._apps_connections_open,
        }

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
        if self._sockets:
            await asyncio.gather(
                *(
                    ws.close(code=WSCloseCode.GOING_AWAY, message=b"server stopping")
                    for ws in list(self._sockets)
                ),
                return_exceptions=True,
            )
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("SlackDouble is not started")
        return self._port

    @property
    def url(self) -> str:
        """The base URL for slack_sdk (`base_url`), ending in "/api/" like the real one."""
        return f"http://127.0.0.1:{self.port}/api/"

    # -- test set-up -------------------------------------------------------------------------

    def add_user(
        self,
        email: str,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        tz: str = "Europe/Berlin",
        tz_offset: int = 3600,
        title: str = "",
    ) -> Answer:
        """Make a workspace member known to users.lookupByEmail and users.info."""
        user = self._user_object(
            user_id, email=email, name=name, real_name=real_name, tz=tz, tz_offset=tz_offset
        )
        if title:
            user["profile"]["title"] = title
        self._users_by_email[email.lower()] = user
        self._users_by_id[user_id] = user
        return copy.deepcopy(user)

    def add_channel(self, channel_id: str, name: str) -> None:
        self.channel_names[channel_id] = name

    def add_usergroup(self, usergroup_id: str, user_ids: list[str]) -> None:
        self.usergroups[usergroup_id] = list(user_ids)

    def inject(
        self,
        method: str,
        *,
        status: int | None = None,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        delay: float | None = None,
    ) -> None:
        """Queue a fault for the next `times` calls to `method` ("*" = any method).

        status=429 (or retry_after alone) answers HTTP 429 with `Retry-After`; other statuses
        answer with a plain-text body; error answers HTTP 200 `{"ok": false, "error": ...}`.
        Failures have no side effect. A delay alone is a slow success: the call takes effect
        at once but the answer comes `delay` seconds later, like Slack when a client times out.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        if retry_after is not None and status is None:
            status = 429
        if status is None and error is None and not delay:
            raise ValueError("inject needs status, error, retry_after or delay")
        fault = Fault(
            status=status, error=error, retry_after=retry_after, delay=delay, remaining=times
        )
        self._faults.setdefault(method, []).append(fault)

    def clear_faults(self) -> None:
        """Drop every queued fault, fired or not: the next calls succeed."""
        self._faults.clear()

    def faults_left(self, method: str | None = None) -> int:
        """How many injected failures have not fired yet (for one method, or all)."""
        queues = [self._faults.get(method, [])] if method else list(self._faults.values())
        return sum(f.remaining for queue in queues for f in queue)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(kind, data)` on every change a person in Slack would see; returns
        the function that unsubscribes. Kinds: message, message_deleted, ephemeral, view,
        view_closed, home."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def issue_trigger(self, user_id: str) -> str:
        """A trigger_id for one interaction of `user_id`, as Slack puts in the payloads it
        sends; views.open with it opens a modal for that user within TRIGGER_TTL seconds."""
        stamp = int(time.time())
        trigger = f"{stamp}.{next(self._seq)}.{uuid.uuid4().hex[:32]}"
        self._triggers[trigger] = (user_id, time.monotonic())
        return trigger

    def dm_channel(self, user_id: str) -> str:
        """The id of the bot's direct-message channel with `user_id` (opened on first use)."""
        channel = "D" + user_id[1:]
        self.dm_users[channel] = user_id
        return channel

    def post_as_user(self, channel: str, user_id: str, text: str, thread_ts: str = "") -> Answer:
        """A message a person typed (the sandbox's message box); returns the stored message."""
        message: Answer = {
            "type": "message",
            "user": user_id,
            "team": self.team_id,
            "ts": self._next_ts(),
            "thread_ts": thread_ts or None,
            "text": text,
            "blocks": None,
        }
        self._store_message(channel, message)
        return copy.deepcopy(message)

    def add_ephemeral(
        self, channel: str, user_id: str, text: str, blocks: Any = None, *, slackbot: bool = False
    ) -> Answer:
        """An ephemeral message only `user_id` sees in `channel`: what Slack does with the
        body of a slash command's acknowledgement, and with chat.postEphemeral. `slackbot`:
        Slack's own words (an unknown command, an app that did not answer)."""
        message: Answer = {
            "type": "message",
            "subtype": "ephemeral",
            "channel": channel,
            "user": user_id,
            "bot_id": None if slackbot else self.bot_id,
            "slackbot": slackbot,
            "ts": self._next_ts(),
            "text": text or "",
            "blocks": blocks if isinstance(blocks, list) else None,
        }
        self.ephemerals.append(message)
        self._emit("ephemeral", message)
        return copy.deepcopy(message)

    def show_view(self, user_id: str, view: Answer, *, view_id: str | None = None) -> Answer:
        """Show `view` to `user_id` as a modal: replacing `view_id`, or on top (None); what an
        app's `response_action: update` or `push` does."""
        shown = self._view_object(view, view_id or self._new_view_id())
        self.views[shown["id"]] = {**shown, "user": user_id}
        self._emit("view", self.views[shown["id"]])
        return copy.deepcopy(shown)

    def close_view(self, view_id: str) -> None:
        """The person closed a modal, or the bot's answer to its submission closed it."""
        view = self.views.pop(view_id, None)
        if view is not None:
            self._emit("view_closed", {"id": view_id, "user": view.get("user")})

    def clear(self) -> None:
        """Forget every message, view, call and fault (users, channels and groups stay)."""
        self.calls.clear()
        self._messages.clear()
        self.ephemerals.clear()
        self.views.clear()
        self.home_views.clear()
        self.dm_users.clear()
        self._faults.clear()
        self._triggers.clear()
        self.joined.clear()

    def channels(self) -> dict[str, Answer]:
        """Every channel that has a name or messages, with its name and whether it is a DM."""
        found: dict[str, Answer] = {}
        for channel in [*self.channel_names, *self._messages]:
            if channel in found:
                continue
            found[channel] = {
                "id": channel,
                "name": self.channel_names.get(channel, channel.lower()),
                "is_im": channel in self.dm_users,
                "user": self.dm_users.get(channel),
            }
        return found

    def users(self) -> list[Answer]:
        """The workspace members added with `add_user`, in the order they were added."""
        return copy.deepcopy(list(self._users_by_id.values()))

    def _emit(self, kind: str, data: Answer) -> None:
        for listener in list(self._listeners):
            listener(kind, copy.deepcopy(data))

    # -- inspection --------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def reset_calls(self) -> None:
        self.calls.clear()

    async def wait_for(self, method: str, count: int = 1, *, within: float = 5.0) -> list[Call]:
        """Wait until `count` calls to `method` arrived: for work the bot does after its ack."""
        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(lambda: len(self.calls_to(method)) >= count)
        except TimeoutError:
            seen = [call.method for call in self.calls]
            raise AssertionError(
                f"expected {count} call(s) to {method} within {within}s; got {seen}"
            ) from None
        return self.calls_to(method)

    async def wait_until(
        self, predicate: Callable[[], bool], *, within: float = 5.0, what: str = "condition"
    ) -> None:
        """Wait until `predicate()` holds; it is checked after every call and socket change."""
        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(predicate)
        except TimeoutError:
            seen = [call.method for call in self.calls]
            raise AssertionError(f"{what} did not hold within {within}s; calls: {seen}") from None

    def messages(self, channel: str, *, top_level_only: bool = False) -> list[Answer]:
        """Current messages in `channel` (replies included unless asked), oldest first."""
        found = self._messages.get(channel, [])
        if top_level_only:
            found = [m for m in found if _is_top_level(m)]
        return copy.deepcopy(found)

    def message(self, channel: str, ts: str) -> Answer | None:
        found = self._find(channel, ts)
        return copy.deepcopy(found) if found else None

    def thread(self, channel: str, thread_ts: str) -> list[Answer]:
        """Replies under `thread_ts`, oldest first, without the parent message."""
        return copy.deepcopy(
            [
                m
                for m in self._messages.get(channel, [])
                if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts
            ]
        )

    def home_view(self, user_id: str) -> Answer | None:
        """The App Home view last published for `user_id`."""
        view = self.home_views.get(user_id)
        return copy.deepcopy(view) if view else None

    # -- Socket Mode -------------------------------------------------------------------------

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

    # -- HTTP --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params, encoding = await _read_params(request)
        token = _bearer_token(request) or _as_str((params or {}).get("token"))
        fault = self._take_fault(method)
        self.calls.append(
            Call(
                method=method,
                params=params if params is not None else {},
                token=token,
                seq=next(self._seq),
                fault=fault.describe() if fault else None,
                http_verb=request.method,
                encoding=encoding,
            )
        )
        await self._notify()

        if fault is not None and fault.fails:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            return fault.response()

        answer = self._answer(method, params, token)
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

    def _take_fault(self, method: str) -> Fault | None:
        for key in (method, ANY_METHOD):
            queue = self._faults.get(key)
            if queue:
                fault = queue[0]
                fault.remaining -= 1
                if fault.remaining == 0:
                    queue.pop(0)
                return fault
        return None

    def _answer(self, method: str, params: Params | None, token: str | None) -> Answer:
        handler = self._handlers.get(method)
        if handler is None:
            return _error("unknown_method")
        if params is None:
            return _error("invalid_json")
        if token is None or not token.startswith(TOKEN_PREFIXES):
            return _error("invalid_auth")
        if method in APP_TOKEN_METHODS and not token.startswith(APP_TOKEN_PREFIX):
            return _error("invalid_auth")
        if self.tokens is not None and method not in APP_TOKEN_METHODS and token not in self.tokens:
            return _error("invalid_auth")
        return handler(params)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- store helpers -----------------------------------------------------------------------

    def _next_ts(self) -> str:
        """Unique and increasing: from the clock when there is one (Slack's ts is the time
        the message was posted), else counting up from FIRST_TS_MICROS."""
        if self.clock is None:
            micros = FIRST_TS_MICROS + next(self._ts) * 100
        else:
            now = self.clock.now()
            micros = max(
                int(now.timestamp()) * 1_000_000 + now.microsecond, self._last_ts_micros + 1
            )
        self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _find(self, channel: str, ts: str) -> Answer | None:
        return next((m for m in self._messages.get(channel, []) if m["ts"] == ts), None)

    def _channel_error(self, channel: str) -> Answer | None:
        if not channel or channel in self.missing_channels:
            return _error("channel_not_found")
        return None

    def _channel_object(self, channel: str) -> Answer:
        if channel in self.dm_users:
            return {
                "id": channel,
                "is_im": True,
                "user": self.dm_users[channel],
                "is_user_deleted": False,
                "created": 1_600_000_000,
                "context_team_id": self.team_id,
            }
        name = self.channel_names.get(channel, channel.lower())
        return {
            "id": channel,
            "name": name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": False,
            "created": 1_600_000_000,
            "creator": "U0CREATOR",
            "is_archived": False,
            "is_general": False,
            "unlinked": 0,
            "name_normalized": name,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "pending_shared": [],
            "is_pending_ext_shared": False,
            "is_member": channel in self.joined,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [],
            "context_team_id": self.team_id,
        }

    def _user_object(
        self,
        user_id: str,
        *,
        email: str | None = None,
        name: str | None = None,
        real_name: str | None = None,
        tz: str = "Europe/Berlin",
        tz_offset: int = 3600,
    ) -> Answer:
        """A user as users.info and users.lookupByEmail return one (Slack's documented shape,
        tests/fixtures/slack/users.info.json)."""
        name = name or user_id.lower()
        real_name = real_name or name
        profile: Answer = {
            "avatar_hash": "g" + hashlib.sha1(user_id.encode()).hexdigest()[:11],
            "status_text": "",
            "status_emoji": "",
            "real_name": real_name,
            "display_name": name,
            "real_name_normalized": real_name,
            "display_name_normalized": name,
        }
        if email:
            profile["email"] = email
        profile["team"] = self.team_id
        return {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "color": "9f69e7",
            "real_name": real_name,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": tz_offset,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": False,
            "updated": 1_600_000_000,
            "is_app_user": False,
            "has_2fa": False,
        }

    # -- methods -----------------------------------------------------------------------------

    def _auth_test(self, params: Params) -> Answer:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": "firebell",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: Params) -> Answer:
        channel = _as_str(params.get("channel")) or ""
        if failed := self._channel_error(channel):
            return failed
        if not any(params.get(k) for k in ("text", "blocks", "attachments")):
            return _error("no_text")
        if channel.startswith(("U", "W")):  # a user id: Slack posts in the app's DM with them
            channel = self.dm_channel(channel)
        ts = self._next_ts()
        message: Answer = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "ts": ts,
            "thread_ts": _as_str(params.get("thread_ts")) or None,
            "text": _as_str(params.get("text")) or "",
            "blocks": params.get("blocks"),
        }
        for key in ("attachments", "metadata"):
            if params.get(key) is not None:
                message[key] = params[key]
        self._store_message(channel, message)
        return {"ok": True, "channel": channel, "ts": ts, "message": _wire_message(message)}

    def _store_message(self, channel: str, message: Answer) -> None:
        if message["thread_ts"]:
            parent = self._find(channel, message["thread_ts"])
            if parent is not None:  # Slack marks the parent as a thread root
                message["parent_user_id"] = parent.get("user")
                parent["thread_ts"] = parent["ts"]
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent["latest_reply"] = message["ts"]
                self._emit("message", {"channel": channel, "message": _wire_message(parent)})
        self._messages.setdefault(channel, []).append(message)
        self._emit("message", {"channel": channel, "message": _wire_message(message)})

    def _chat_update(self, params: Params) -> Answer:
        channel = _as_str(params.get("channel")) or ""
        if failed := self._channel_error(channel):
            return failed
        message = self._find(channel, _as_str(params.get("ts")) or "")
        if message is None:
            return _error("message_not_found")
        if not any(k in params for k in ("text", "blocks", "attachments")):
            return _error("no_text")
        # As documented: fields left out keep their previous value.
        if "text" in params:
            message["text"] = _as_str(params["text"]) or ""
        for key in ("blocks", "attachments", "metadata"):
            if key in params:
                message[key] = params[key]
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        self._emit("message", {"channel": channel, "message": _wire_message(message)})
        return {
            "ok": True,
            "channel": channel,
            "ts": message["ts"],
            "text": message["text"],
            "message": _wire_message(message),
        }

    def _chat_delete(self, params: Params) -> Answer:
        channel = _as_str(params.get("channel")) or ""
        if failed := self._channel_error(channel):
            return failed
        message = self._find(channel, _as_str(params.get("ts")) or "")
        if message is None:
            return _error("message_not_found")
        self._messages[channel].remove(message)
        self._emit("message_deleted", {"channel": channel, "ts": message["ts"]})
        return {"ok": True, "channel": channel, "ts": message["ts"]}

    def _chat_post_ephemeral(self, params: Params) -> Answer:
        channel = _as_str(params.get("channel")) or ""
        if failed := self._channel_error(channel):
            return failed
        if not params.get("user"):
            return _error("user_not_found")
        if not any(params.get(k) for k in ("text", "blocks", "attachments")):
            return _error("no_text")
        if channel.startswith(("U", "W")):
            channel = self.dm_channel(channel)
        user = _as_str(params["user"]) or ""
        note = self.add_ephemeral(
            channel, user, _as_str(params.get("text")) or "", params.get("blocks")
        )
        return {"ok": True, "message_ts": note["ts"]}

    def _chat_get_permalink(self, params: Params) -> Answer:
        channel = _as_str(params.get("channel")) or ""
        if failed := self._channel_error(channel):
            return failed
        ts = _as_str(params.get("message_ts")) or ""
        if not ts:
            return _error("message_not_found")
        link = f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        message = self._find(channel, ts)
        if message is not None and not _is_top_level(message):
            link += f"?thread_ts={message['thread_ts']}&cid={channel}"
        return {"ok": True, "channel": channel, "permalink": link}

    def _view_object(self, view: Any, view_id: str, *, external_id: str = "") -> Answer:
        given = view if isinstance(view, dict) else {}
        return {
            "id": view_id,
            "team_id": self.team_id,
            "type": given.get("type", "modal"),
            "title": _plain_text(given.get("title")),
            "submit": _plain_text(given.get("submit")),
            "close": _plain_text(given.get("close")),
            "blocks": given.get("blocks", []),
            "private_metadata": given.get("private_metadata", ""),
            "callback_id": given.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"1700000000.{view_id}",
            "clear_on_close": given.get("clear_on_close", False),
            "notify_on_close": given.get("notify_on_close", False),
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": self.app_id,
            "external_id": given.get("external_id", external_id),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }

    def _new_view_id(self) -> str:
        return f"V0VIEW{next(self._view_ids):04d}"

    def _views_open(self, params: Params) -> Answer:
        trigger = _as_str(params.get("trigger_id") or params.get("interactivity_pointer"))
        if not trigger:
            return _error("invalid_arguments")
        if not isinstance(params.get("view"), dict):
            return _error("invalid_arguments")
        # A trigger this stand-in handed out names who the modal opens for, and expires as in
        # Slack; others (the tests' fixed TRIGGER_ID) are accepted and open for nobody.
        issued = self._triggers.get(trigger)
        if issued is not None and time.monotonic() - issued[1] > TRIGGER_TTL:
            return _error("expired_trigger_id")
        view = self._view_object(params["view"], self._new_view_id())
        if issued is not None:
            self.views[view["id"]] = {**copy.deepcopy(view), "user": issued[0]}
            self._emit("view", self.views[view["id"]])
        return {"ok": True, "view": view}

    def _views_update(self, params: Params) -> Answer:
        view_id = _as_str(params.get("view_id"))
        external_id = _as_str(params.get("external_id")) or ""
        if not view_id and not external_id:
            return _error("invalid_arguments")
        if not isinstance(params.get("view"), dict):
            return _error("invalid_arguments")
        if not view_id:
            view_id = next(
                (v["id"] for v in self.views.values() if v.get("external_id") == external_id),
                None,
            )
        view = self._view_object(
            params["view"], view_id or self._new_view_id(), external_id=external_id
        )
        if view["id"] in self.views:
            user = self.views[view["id"]]["user"]
            self.views[view["id"]] = {**copy.deepcopy(view), "user": user}
            self._emit("view", self.views[view["id"]])
        return {"ok": True, "view": view}

    def _views_publish(self, params: Params) -> Answer:
        user_id = _as_str(params.get("user_id"))
        if not user_id:
            return _error("invalid_arguments")
        if not isinstance(params.get("view"), dict):
            return _error("invalid_arguments")
        previous = self.home_views.get(user_id)
        view = self._view_object(
            params["view"], previous["id"] if previous else self._new_view_id()
        )
        view["type"] = "home"
        self.home_views[user_id] = view
        self._emit("home", {"user": user_id, "view": view})
        return {"ok": True, "view": copy.deepcopy(view)}

    def _users_lookup_by_email(self, params: Params) -> Answer:
        user = self._users_by_email.get((_as_str(params.get("email")) or "").lower())
        if user is None:
            return _error("users_not_found")
        return {"ok": True, "user": copy.deepcopy(user)}

    def _users_info(self, params: Params) -> Answer:
        """Known users as added; any other U/W id gets a plain generated profile."""
        user_id = _as_str(params.get("user")) or ""
        user = self._users_by_id.get(user_id)
        if user is None:
            if not user_id.startswith(("U", "W")):
                return _error("user_not_found")
            user = self._user_object(user_id)
        return {"ok": True, "user": copy.deepcopy(user)}

    def _conversations_info(self, params: Params) -> Answer:
        channel = _as_str(params.get("channel")) or ""
        if failed := self._channel_error(channel):
            return failed
        return {"ok": True, "channel": self._channel_object(channel)}

    def _conversations_history(self, params: Params) -> Answer:
        channel = _as_str(params.get("channel")) or ""
        if failed := self._channel_error(channel):
            return failed
        limit = int(params.get("limit") or 100)
        newest_first = [m for m in reversed(self._messages.get(channel, [])) if _is_top_level(m)]
        return {
            "ok": True,
            "messages": [_wire_message(m) for m in newest_first[:limit]],
            "has_more": len(newest_first) > limit,
            "pin_count": 0,
            "response_metadata": {"next_cursor": ""},
        }

    def _conversations_replies(self, params: Params) -> Answer:
        channel = _as_str(params.get("channel")) or ""
        if failed := self._channel_error(channel):
            return failed
        ts = _as_str(params.get("ts")) or ""
        parent = self._find(channel, ts)
        if parent is None:
            return _error("thread_not_found")
        messages = [
            parent,
            *(m for m in self._messages[channel] if m.get("thread_ts") == ts and m is not parent),
        ]
        return {
            "ok": True,
            "messages": [_wire_message(m) for m in messages],
            "has_more": False,
            "response_metadata": {"next_cursor": ""},
        }

    def _conversations_join(self, params: Params) -> Answer:
        channel = _as_str(params.get("channel")) or ""
        if failed := self._channel_error(channel):
            return failed
        answer: Answer = {"ok": True}
        if channel in self.joined:
            answer["warning"] = "already_in_channel"
            answer["response_metadata"] = {"warnings": ["already_in_channel"]}
        self.joined.add(channel)
        answer["channel"] = self._channel_object(channel)
        return answer

    def _files_get_upload_url(self, params: Params) -> Answer:
        if not params.get("filename") or not params.get("length"):
            return _error("invalid_arguments")
        file_id = f"F0FILE{next(self._file_ids):04d}"
        self._files[file_id] = {
            "id": file_id,
            "name": params["filename"],
            "title": params["filename"],
        }
        return {
            "ok": True,
            "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}",
            "file_id": file_id,
        }

    def _files_complete_upload(self, params: Params) -> Answer:
        files = params.get("files")
        if not isinstance(files, list) or not files:
            return _error("invalid_arguments")
        completed = []
        for item in files:
            known = self._files.get(item.get("id", "")) if isinstance(item, dict) else None
            if known is None:
                return _error("file_not_found")
            if item.get("title"):
                known["title"] = item["title"]
            completed.append({"id": known["id"], "title": known["title"]})
        return {"ok": True, "files": completed}

    def _apps_connections_open(self, params: Params) -> Answer:
        ticket = str(uuid.uuid4())
        self._tickets.add(ticket)
        url = f"ws://127.0.0.1:{self.port}{SOCKET_PATH}?ticket={ticket}&app_id={self.app_id}"
        return {"ok": True, "url": url}

    def _usergroups_users_list(self, params: Params) -> Answer:
        """Unknown groups list no members rather than failing, so page targets stay harmless."""
        group = _as_str(params.get("usergroup")) or ""
        if not group:
            return _error("invalid_arguments")
        return {"ok": True, "users": list(self.usergroups.get(group, []))}


# -- module helpers ------------------------------------------------------------------------


def _error(code: str) -> Answer:
    return {"ok": False, "error": code}


def _as_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _accepts_response_payload(type: str, payload: Answer) -> bool:
    """As Slack sets it: an answer in the ack is possible for commands, submissions, options."""
    if type == "slash_commands":
        return True
    return type == "interactive" and payload.get("type") in ("view_submission", "block_suggestion")


def _plain_text(value: Any) -> Any:
    """A plain_text object as Slack returns it: `emoji` filled in (true) when left out."""
    if isinstance(value, dict) and value.get("type") == "plain_text" and "emoji" not in value:
        return {**value, "emoji": True}
    return value


def _is_top_level(message: Answer) -> bool:
    return message.get("thread_ts") in (None, message["ts"])


def _wire_message(message: Answer) -> Answer:
    """A stored message as Slack returns it: absent fields are left out, not null."""
    return {k: copy.deepcopy(v) for k, v in message.items() if v is not None}


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
