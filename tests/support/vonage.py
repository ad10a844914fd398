"""A Vonage SMS API for the SMS tests: aiohttp on 127.0.0.1 speaking `/sms/json` as Vonage
answers it (developer.vonage.com/api/sms), and posting delivery receipts back as Vonage does.

- `POST /sms/json` (also GET, with the query), form encoded or JSON: `api_key`,
  `api_secret`, `from`, `to` (7-15 digits, no `+`), `text`, `type` (`text` or `unicode`),
  `status-report-req`, `callback`. The answer is always HTTP 200: `{"message-count": "N",
  "messages": [...]}`, a long text split into parts (160/153 GSM-7 characters, 70/67 UCS-2)
  with a `message-id` each, or one message with a non-zero `status` and `error-text`: 2 for a
  missing `api_key`, `api_secret`, `from`, `to` or `text`, 4 "Bad Credentials" for a wrong
  key or secret, 3 for a `to` that is not a number, 23 for a callback that is not a URL.
- `refuse_next(1)` / `refuse_next(9, times=2)`: the next requests get that status instead
  (Vonage's own words for it); `fail_next(500)`: an HTTP error page instead, as a proxy or
  an outage answers; `delay_next(seconds)` answers the next request late (for timeouts).
- `await deliver_receipt(message_id, "failed")`: the receipt for that message (part) sent to
  its callback, as the account's webhook method says (`GET`, `POST` form, `POST-JSON`),
  signed with `signature_secret` when one is set (`timestamp`, `nonce`, `sig`).

Every request is recorded (`requests`), refused or not; accepted texts are in `sent`. A
stopped double refuses connections on its port.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import math
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

KEY = "a1b2c3d4"
SECRET = "Vq7sKx2PzL9mNw4R"
ERROR_TEXTS = {
    1: "Throughput Rate Exceeded - please wait [ 1000 ] and retry",
    5: "Internal Error",
    6: "Invalid Message",
    7: "Number barred.",
    8: "Partner account barred.",
    9: "Partner quota exceeded.",
    15: "Illegal Sender Address - rejected",
    29: "Non White-listed Destination - rejected",
}
GSM7_EXTENSION = set("\f^{}\\[~]|€")
HMACS = ("md5", "sha1", "sha256", "sha512")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, str]  # the query and the form (or JSON) together


@dataclass
class Sent:
    """An accepted text: the parameters that mattered and the ids of its parts."""

    to: str
    sender: str
    text: str
    type: str
    callback: str | None
    message_ids: list[str] = field(default_factory=list)


class VonageDouble:
    """The server; `async with VonageDouble() as vonage:` starts and stops it."""

    def __init__(
        self,
        *,
        key: str = KEY,
        secret: str = SECRET,
        signature_secret: str | None = None,
        signature_method: str = "md5hash",  # or an HMAC: md5, sha1, sha256, sha512
        webhook_method: str = "POST-JSON",  # how receipts are sent: GET, POST, POST-JSON
    ) -> None:
        assert signature_method == "md5hash" or signature_method in HMACS, signature_method
        assert webhook_method in ("GET", "POST", "POST-JSON"), webhook_method
        self.key, self.secret = key, secret
        self.signature_secret, self.signature_method = signature_secret, signature_method
        self.webhook_method = webhook_method
        self.requests: list[Request] = []
        self.sent: list[Sent] = []
        self._refusals: list[int] = []
        self._failures: list[int] = []
        self._delays: list[float] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> VonageDouble:
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

    def refuse_next(self, status: int, *, times: int = 1) -> None:
        """Answer the next `times` requests with the SMS API's non-zero `status`."""
        assert status > 0, status
        self._refusals += [status] * times

    def fail_next(self, http_status: int, *, times: int = 1) -> None:
        """Answer the next `times` requests with an HTTP error page (500, 502, 503...)."""
        self._failures += [http_status] * times

    def delay_next(self, seconds: float) -> None:
        self._delays.append(seconds)

    async def _handle(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        raw = await request.read()
        if request.content_type == "application/json":
            try:
                parsed = json.loads(raw) if raw else {}
            except ValueError:
                parsed = {}
            params |= {k: str(v) for k, v in parsed.items()} if isinstance(parsed, dict) else {}
        else:
            params |= dict(await request.post())
        self.requests.append(Request(request.method, request.path, dict(request.headers), params))
        if self._delays:
            await asyncio.sleep(self._delays.pop(0))
        if request.path != "/sms/json" or request.method not in ("GET", "POST"):
            return web.Response(status=404, text="<html><body>Not Found</body></html>")
        if self._failures:
            status = self._failures.pop(0)
            return web.Response(status=status, text=f"<html><body>{status}</body></html>")
        return web.json_response(self._answer(params))

    def _answer(self, params: dict[str, str]) -> dict[str, Any]:
        for name in ("api_key", "api_secret"):
            if not params.get(name):
                return _refusal(2, f"Missing {name}")
        if params["api_key"] != self.key or params["api_secret"] != self.secret:
            return _refusal(4, "Bad Credentials")
        for name in ("from", "to"):
            if not params.get(name):
                return _refusal(2, f"Missing {name} param")
        to = params["to"]
        if not (to.isdigit() and 7 <= len(to) <= 15):
            return _refusal(3, "Invalid to param")
        kind = params.get("type", "text")
        if kind not in ("text", "unicode"):
            return _refusal(3, "Invalid type param")  # this double sends texts only
        if not params.get("text"):
            return _refusal(2, "Missing text param")
        callback = params.get("callback")
        if callback and urlsplit(callback).scheme not in ("http", "https"):
            return _refusal(23, "Invalid Callback Url")
        if self._refusals:
            status = self._refusals.pop(0)
            return _refusal(status, ERROR_TEXTS.get(status, "Error"))
        sent = Sent(to, params["from"], params["text"], kind, callback)
        sent.message_ids = [_message_id() for _ in range(_parts(params["text"], kind))]
        self.sent.append(sent)
        messages = [
            {
                "to": to,
                "message-id": message_id,
                "status": "0",
                "remaining-balance": "3.14159265",
                "message-price": "0.03330000",
                "network": "23410",
            }
            for message_id in sent.message_ids
        ]
        return {"message-count": str(len(messages)), "messages": messages}

    def receipt_params(
        self, message_id: str, status: str = "delivered", err_code: str | None = None
    ) -> dict[str, str]:
        """The parameters of the receipt for `message_id`, signed when the account is."""
        sent = next(s for s in self.sent if message_id in s.message_ids)
        now = time.gmtime()
        params = {
            "msisdn": sent.to,
            "to": sent.sender,
            "network-code": "23410",
            "messageId": message_id,
            "price": "0.03330000",
            "status": status,
            "scts": time.strftime("%y%m%d%H%M", now),
            "err-code": err_code if err_code is not None else "0" if status == "delivered" else "1",
            "api-key": self.key,
            "message-timestamp": time.strftime("%Y-%m-%d %H:%M:%S", now),
        }
        if self.signature_secret:
            params["timestamp"] = str(int(time.time()))
            params["nonce"] = str(uuid.uuid4())
            params["sig"] = self._sign(params)
        return params

    async def deliver_receipt(
        self, message_id: str, status: str = "delivered", err_code: str | None = None
    ) -> int:
        """Send the receipt for `message_id` to its message's callback; the HTTP status the
        callback answered."""
        sent = next(s for s in self.sent if message_id in s.message_ids)
        assert sent.callback, "the text asked for no receipts"
        params = self.receipt_params(message_id, status, err_code)
        async with aiohttp.ClientSession() as session:
            if self.webhook_method == "GET":
                call = session.get(sent.callback, params=params)
            elif self.webhook_method == "POST":
                call = session.post(sent.callback, data=params)
            else:
                call = session.post(sent.callback, json=params)
            async with call as response:
                return response.status

    def _sign(self, params: dict[str, str]) -> str:
        """Vonage's signature: `&name=value` sorted by name (`&` and `=` in values as `_`),
        then an MD5 of that and the secret, or an HMAC of it; Vonage sends it upper case."""
        assert self.signature_secret
        text = "".join(
            "&" + name + "=" + params[name].replace("&", "_").replace("=", "_")
            for name in sorted(params)
        )
        if self.signature_method == "md5hash":
            digest = hashlib.md5((text + self.signature_secret).encode()).hexdigest()
        else:
            key = self.signature_secret.encode()
            digest = hmac.new(key, text.encode(), self.signature_method).hexdigest()
        return digest.upper()


def _refusal(status: int, text: str) -> dict[str, Any]:
    return {"message-count": "1", "messages": [{"status": str(status), "error-text": text}]}


def _parts(text: str, kind: str) -> int:
    """How many SMS a text goes as: GSM-7 septets (extension characters count two) in 160,
    else 153 a part; UCS-2 characters in 70, else 67 a part."""
    if kind == "unicode":
        length, single, part = len(text.encode("utf-16-le")) // 2, 70, 67
    else:
        length = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        single, part = 160, 153
    return 1 if length <= single else math.ceil(length / part)


def _message_id() -> str:
    return secrets.token_hex(8).upper()  # like 0B00000127FDBC63
