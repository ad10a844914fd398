"""An ntfy server for the push tests: aiohttp on 127.0.0.1 speaking ntfy's JSON publishing
(docs.ntfy.sh/publish/#publish-as-json), as ntfy's server answers it.

- `POST /` (or `PUT /`) with the message as JSON: `topic` (`[-_A-Za-z0-9]{1,64}`), `title`,
  `message`, `priority` (1-5), `tags`, `click`, `actions` (at most 3; `view`, `http`,
  `broadcast` or `copy`, each with a `label`, `view`/`http` with a `url`, `http` with `method`,
  `headers`, `body`, and `clear`). The answer is the message as stored: `id`, `time`,
  `expires`, `event: "message"` and the fields published, each action with an `id` of its own.
- Errors as ntfy's `errHTTP` JSON: `{"code": 40101, "http": 401, "error": "unauthorized",
  "link": "https://ntfy.sh/docs/publish/#authentication"}`. With a `token` configured, as
  ntfy with access control: a wrong bearer token is 401 (40101, authentication failed), none
  at all 403 (40301: anonymous may not write the topic).
- `fail_next(429)` / `fail_next(500, times=3)`: the next requests get ntfy's rate-limit or
  internal-error answer (optionally with a `Retry-After`, which ntfy itself does not send);
  `delay_next(seconds)` answers the next request late (for timeouts).

Every request is recorded (`requests`: method, path, headers, JSON), refused or not. A stopped
double refuses connections on its port.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import string
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

TOPIC = re.compile(r"[-_A-Za-z0-9]{1,64}")
ACTIONS = ("view", "http", "broadcast", "copy")
AUTH_LINK = "https://ntfy.sh/docs/publish/#authentication"
LIMITS_LINK = "https://ntfy.sh/docs/publish/#limitations"
ERRORS: dict[int, dict[str, Any]] = {
    40007: {"http": 400, "error": "invalid priority parameter"},
    40009: {"http": 400, "error": "invalid request: topic invalid"},
    40017: {"http": 400, "error": "invalid request: request body must be message JSON"},
    40018: {"http": 400, "error": "invalid request: actions invalid"},
    40101: {"http": 401, "error": "unauthorized", "link": AUTH_LINK},
    40301: {"http": 403, "error": "forbidden", "link": AUTH_LINK},
    40401: {"http": 404, "error": "page not found"},
    42901: {"http": 429, "error": "limit reached: too many requests", "link": LIMITS_LINK},
    50001: {"http": 500, "error": "internal server error"},
}
BY_STATUS = {429: 42901, 500: 50001}
ALPHANUMERIC = string.ascii_letters + string.digits
CACHE_SECONDS = 12 * 3600  # ntfy's default cache duration: `expires` is this after `time`


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    json: Any  # the parsed body, None when it was not JSON


class NtfyDouble:
    """The server; `async with NtfyDouble(token=...) as ntfy:` starts and stops it."""

    def __init__(self, *, token: str | None = None) -> None:
        self.token = token
        self.requests: list[Request] = []
        self.published: list[dict[str, Any]] = []  # the answers to accepted publishes
        self._failures: list[tuple[int, str | None]] = []  # (status, Retry-After)
        self._delays: list[float] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> NtfyDouble:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(self, status: int, *, times: int = 1, retry_after: str | None = None) -> None:
        """Answer the next `times` requests with ntfy's error for `status` (429 or 500)."""
        assert status in BY_STATUS, status
        self._failures += [(status, retry_after)] * times

    def delay_next(self, seconds: float) -> None:
        self._delays.append(seconds)

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        self.requests.append(Request(request.method, request.path, dict(request.headers), parsed))
        if self._delays:
            await asyncio.sleep(self._delays.pop(0))
        if request.path != "/" or request.method not in ("POST", "PUT"):
            return _error(40401)  # this double speaks JSON publishing only
        if refusal := self._authenticate(request):
            return refusal
        if self._failures:
            status, wait = self._failures.pop(0)
            return _error(BY_STATUS[status], {"Retry-After": wait} if wait else None)
        if not isinstance(parsed, dict):
            return _error(40017)
        problem = _invalid(parsed)
        if problem:
            return _error(problem)
        message = _stored(parsed)
        self.published.append(message)
        return web.json_response(message)

    def _authenticate(self, request: web.Request) -> web.Response | None:
        if self.token is None:
            return None
        header = request.headers.get("Authorization", "").strip()
        if not header.lower().startswith(("bearer ", "basic ")):
            return _error(40301)  # anonymous: may not write the topic
        if header.lower().startswith("basic ") or header[7:].strip() != self.token:
            return _error(40101)
        return None


def _error(code: int, headers: dict[str, str] | None = None) -> web.Response:
    body = {"code": code, **ERRORS[code]}
    return web.json_response(body, status=body["http"], headers=headers)


def _invalid(message: dict[str, Any]) -> int | None:
    """ntfy's error code for a message it would refuse; None: fine."""
    if not isinstance(message.get("topic"), str) or not TOPIC.fullmatch(message["topic"]):
        return 40009
    priority = message.get("priority", 0)
    if not isinstance(priority, int) or not 0 <= priority <= 5:
        return 40007
    actions = message.get("actions", [])
    if not isinstance(actions, list) or len(actions) > 3:
        return 40018
    for action in actions:
        if not isinstance(action, dict) or action.get("action") not in ACTIONS:
            return 40018
        if not action.get("label"):
            return 40018
        if action["action"] in ("view", "http") and not action.get("url"):
            return 40018
        if action["action"] == "http" and action.get("method", "POST") not in (
            "GET",
            "POST",
            "PUT",
            "DELETE",
            "PATCH",
        ):
            return 40018
    return None


def _stored(message: dict[str, Any]) -> dict[str, Any]:
    now = int(time.time())
    stored: dict[str, Any] = {
        "id": _id(12),
        "time": now,
        "expires": now + CACHE_SECONDS,
        "event": "message",
        "topic": message["topic"],
    }
    for key in ("title", "message", "priority", "tags", "click", "icon"):
        if message.get(key):
            stored[key] = message[key]
    if message.get("actions"):
        stored["actions"] = [{"id": _id(10), **action} for action in message["actions"]]
    if "message" not in stored:
        stored["message"] = "triggered"  # ntfy's text for an empty message
    return stored


def _id(length: int) -> str:
    return "".join(secrets.choice(ALPHANUMERIC) for _ in range(length))
