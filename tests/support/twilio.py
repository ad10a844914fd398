"""A Twilio for the SMS and voice tests: aiohttp on 127.0.0.1 speaking Twilio's REST API
(2010-04-01) as Twilio answers it, and sending back what Twilio sends, signed as Twilio signs.

- `POST /2010-04-01/Accounts/{sid}/Messages.json` (To, From, Body, StatusCallback) and
  `.../Calls.json` (To, From, Twiml or Url, StatusCallback, StatusCallbackEvent,
  StatusCallbackMethod), form-encoded, basic auth with the Account SID and the auth token.
  Accepted: `201` and the resource as JSON (`sid` SM.../CA..., `status: "queued"`, a
  message's `num_segments` counted here independently of bot/notify/twilio.py).
- Refusals as Twilio's error JSON, `{"code", "message", "more_info", "status"}`: no or wrong
  basic auth 401/20003 (with `WWW-Authenticate`), another account's path 404/20404, To missing
  400/21604 (a call: 21201), To not E.164 400/21211, From missing 400/21603 (21213), From not
  the account's number 400/21606 (a call: 21210), Body missing 400/21602 or over 1,600
  characters 400/21617, a call with neither Twiml nor Url 400/21205, a StatusCallback that is
  not an absolute http(s) URL 400/21609, an unknown StatusCallbackEvent 400/21200.
- `fail_next(500)`, `(503)`, `(429)`, `(401)`, `(403)`, optionally `times=` and `retry_after=`;
  `delay_next(seconds)` answers the next request late.
- `await deliver_receipt(sid, "failed")`: the status callback Twilio posts to the resource's
  StatusCallback, signed with `RequestValidator.compute_signature` (HMAC-SHA1 of the URL and
  the sorted fields, keyed with the auth token). `inbound_sms`, `gather_digits` build the forms
  of an SMS to the account's number and of a key pressed during a call; `sign` and `post` sign
  and send any form (or a forged one).

Every REST request is recorded (`requests`), refused or not; `messages` and `calls` hold the
resources accepted, by sid. `Receiver` is a Firebell stand-in that records the callbacks.
"""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC3f0b6c1e9d2a4b7c8e5f60718293a4b5"
AUTH_TOKEN = "9c1e5a7f3b2d4e6f8a0b1c2d3e4f5a6b"
NUMBER = "+14155550100"  # the account's Twilio number
API = "2010-04-01"
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
PATH = re.compile(rf"/{API}/Accounts/([^/]+)/(Messages|Calls)\.json")
EVENTS = ("initiated", "ringing", "answered", "completed")
SMS_STATUSES = ("queued", "sending", "sent", "delivered", "undelivered", "failed", "read")
CALL_STATUSES = ("queued", "ringing", "in-progress", "completed", "busy", "no-answer")
CALL_STATUSES += ("canceled", "failed")
ERRORS: dict[int, tuple[int, str]] = {
    20003: (401, "Authenticate"),
    20403: (403, "Forbidden"),
    20404: (404, "The requested resource was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "An internal server error has occurred"),
    20503: (503, "Service Unavailable"),
    21200: (400, "Invalid StatusCallbackEvent"),
    21201: (400, "No 'To' number is specified"),
    21205: (400, "Url parameter is required. Please provide a Url, Twiml or ApplicationSid"),
    21210: (400, "The source phone number provided, {}, is not yet verified for your account."),
    21211: (400, "Invalid 'To' Phone Number: {}"),
    21213: (400, "No 'From' number is specified"),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21606: (400, "The From phone number {} is not a valid, SMS-capable inbound phone number"),
    21609: (400, "Invalid StatusCallback url"),
    21617: (400, "The concatenated message body exceeds the 1600 character limit."),
}
BY_STATUS = {401: 20003, 403: 20403, 429: 20429, 500: 20500, 503: 20503}
GSM = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_ESCAPED = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    fields: list[tuple[str, str]]  # the form, in order, repeated fields kept

    @property
    def form(self) -> dict[str, str]:
        return dict(reversed(self.fields))  # the first value of each field

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.fields if key == name]

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        header = self.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except ValueError:
            return None
        return user, password


@dataclass(frozen=True)
class Callback:
    """A request Twilio made to Firebell, as the `Receiver` got it."""

    url: str
    headers: dict[str, str]
    form: dict[str, str]


def error(code: int, *args: str, headers: dict[str, str] | None = None) -> web.Response:
    status, text = ERRORS[code]
    body = {
        "code": code,
        "message": text.format(*args),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return web.json_response(body, status=status, headers=headers)


def segments(body: str) -> int:
    if all(ch in GSM or ch in GSM_ESCAPED for ch in body):
        size = sum(2 if ch in GSM_ESCAPED else 1 for ch in body)
        return 1 if size <= 160 else -(-size // 153)
    size = len(body.encode("utf-16-le")) // 2
    return 1 if size <= 70 else -(-size // 67)


def signature(token: str, url: str, params: dict[str, str]) -> str:
    """`X-Twilio-Signature` of a POST of `params` to `url`, as Twilio computes it."""
    return RequestValidator(token).compute_signature(url, params)


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class TwilioDouble:
    """The server; `async with TwilioDouble() as twilio:` starts and stops it."""

    def __init__(
        self, *, sid: str = ACCOUNT_SID, token: str = AUTH_TOKEN, number: str = NUMBER
    ) -> None:
        self.sid, self.token, self.number = sid, token, number
        self.requests: list[Request] = []
        self.messages: dict[str, dict[str, Any]] = {}
        self.calls: dict[str, dict[str, Any]] = {}
        self.callbacks: dict[str, str] = {}  # sid -> its StatusCallback
        self._failures: list[tuple[int, str | None]] = []
        self._delays: list[float] = []
        self._sequence: dict[str, int] = {}
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> TwilioDouble:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(self, status: int, *, times: int = 1, retry_after: str | None = None) -> None:
        """Answer the next `times` requests with Twilio's error for `status`."""
        assert status in BY_STATUS, status
        self._failures += [(status, retry_after)] * times

    def delay_next(self, seconds: float) -> None:
        self._delays.append(seconds)

    # --- the REST API ---

    async def _handle(self, request: web.Request) -> web.Response:
        form = await request.post() if request.method == "POST" else {}
        fields = [(key, str(value)) for key, value in form.items()]
        self.requests.append(Request(request.method, request.path, dict(request.headers), fields))
        if self._delays:
            await asyncio.sleep(self._delays.pop(0))
        matched = PATH.fullmatch(request.path)
        if self._failures:
            status, wait = self._failures.pop(0)
            return error(BY_STATUS[status], headers={"Retry-After": wait} if wait else None)
        auth = self.requests[-1].basic_auth
        if auth is None or auth[1] != self.token or auth[0] != self.sid:
            return error(20003, headers={"WWW-Authenticate": 'Basic realm="Twilio API"'})
        if request.method != "POST" or not matched or matched[1] != self.sid:
            return error(20404)
        values = self.requests[-1].form
        if matched[2] == "Messages":
            return self._message(values)
        return self._call(values, self.requests[-1].all("StatusCallbackEvent"))

    def _message(self, form: dict[str, str]) -> web.Response:
        to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        callback = form.get("StatusCallback")
        if not to:
            return error(21604)
        if not sender:
            return error(21603)
        if not E164.fullmatch(to):
            return error(21211, to)
        if sender != self.number:
            return error(21606, sender)
        if not body:
            return error(21602)
        if len(body) > 1600:
            return error(21617)
        if callback is not None and not _absolute(callback):
            return error(21609)
        sid = _sid("SM")
        message = self._resource(sid, "Messages", to, sender)
        message |= {"body": body, "num_segments": str(segments(body)), "num_media": "0"}
        message |= {"date_sent": None, "error_code": None, "error_message": None}
        self.messages[sid] = message
        if callback:
            self.callbacks[sid] = callback
        return web.json_response(message, status=201)

    def _call(self, form: dict[str, str], events: list[str]) -> web.Response:
        to, sender, callback = form.get("To", ""), form.get("From", ""), form.get("StatusCallback")
        if not to:
            return error(21201)
        if not sender:
            return error(21213)
        if not E164.fullmatch(to):
            return error(21211, to)
        if sender != self.number:
            return error(21210, sender)
        if not form.get("Twiml") and not _absolute(form.get("Url", "")):
            return error(21205)
        if callback is not None and not _absolute(callback):
            return error(21609)
        if any(event not in EVENTS for event in events):
            return error(21200)
        sid = _sid("CA")
        resource = self._resource(sid, "Calls", to, sender)
        resource |= {"twiml": form.get("Twiml"), "url": form.get("Url"), "duration": None}
        resource |= {"answered_by": None, "parent_call_sid": None}
        self.calls[sid] = resource
        if callback:
            self.callbacks[sid] = callback
        return web.json_response(resource, status=201)

    def _resource(self, sid: str, kind: str, to: str, sender: str) -> dict[str, Any]:
        now = formatdate(usegmt=True).replace("GMT", "+0000")
        return {
            "sid": sid,
            "account_sid": self.sid,
            "to": to,
            "from": sender,
            "status": "queued",
            "direction": "outbound-api",
            "api_version": API,
            "date_created": now,
            "date_updated": now,
            "price": None,
            "price_unit": "USD",
            "uri": f"/{API}/Accounts/{self.sid}/{kind}/{sid}.json",
        }

    # --- what Twilio sends to Firebell ---

    def receipt_form(self, sid: str, status: str, error_code: int | None = None) -> dict[str, str]:
        """The fields of the status callback Twilio posts for `sid` reaching `status`."""
        common = {"AccountSid": self.sid, "ApiVersion": API}
        if sid in self.messages:
            assert status in SMS_STATUSES, status
            message = self.messages[sid]
            message["status"] = status
            form = common | {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status}
            form |= {"SmsStatus": status, "From": message["from"], "To": message["to"]}
            if error_code is None and status in ("failed", "undelivered"):
                error_code = 30008  # Unknown error
        else:
            assert status in CALL_STATUSES, status
            call = self.calls[sid]
            call["status"] = status
            self._sequence[sid] = self._sequence.get(sid, -1) + 1
            form = common | {"CallSid": sid, "CallStatus": status, "Direction": "outbound-api"}
            form |= {"From": call["from"], "To": call["to"], "Caller": call["from"]}
            form |= {"Called": call["to"], "CallbackSource": "call-progress-events"}
            form |= {"Timestamp": formatdate(usegmt=True).replace("GMT", "+0000")}
            form |= {"SequenceNumber": str(self._sequence[sid])}
            if status == "completed":
                form["CallDuration"] = "21"
        if error_code is not None:
            form["ErrorCode"] = str(error_code)
        return form

    async def deliver_receipt(
        self, sid: str, status: str, *, error_code: int | None = None
    ) -> tuple[int, str]:
        """Post the status callback for `sid` reaching `status` to its StatusCallback, signed;
        Firebell's answer (status, text)."""
        assert sid in self.callbacks, f"{sid} was sent without a StatusCallback"
        return await self.post(self.callbacks[sid], self.receipt_form(sid, status, error_code))

    def inbound_sms(self, sender: str, body: str) -> dict[str, str]:
        """The fields of an SMS from `sender` to the account's number, as Twilio posts them."""
        sid = _sid("SM")
        return {
            "ToCountry": "US",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "SmsSid": sid,
            "SmsStatus": "received",
            "Body": body,
            "To": self.number,
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": self.sid,
            "From": sender,
            "ApiVersion": API,
        }

    def gather_digits(self, call_sid: str, digits: str) -> dict[str, str]:
        """The fields Twilio posts to a `<Gather>`'s action when a key is pressed during
        `call_sid`: an outbound call, so the person paged is `To`, the account's number `From`."""
        call = self.calls[call_sid]
        return {
            "AccountSid": self.sid,
            "ApiVersion": API,
            "CallSid": call_sid,
            "CallStatus": "in-progress",
            "Called": call["to"],
            "Caller": call["from"],
            "Direction": "outbound-api",
            "Digits": digits,
            "FinishedOnKey": "",
            "From": call["from"],
            "To": call["to"],
        }

    def sign(self, url: str, form: dict[str, str]) -> str:
        return signature(self.token, url, form)

    async def post(
        self, url: str, form: dict[str, str], *, forged: str | None = None
    ) -> tuple[int, str]:
        """POST `form` to `url` as Twilio does: signed (or with the `forged` signature);
        the answer (status, text)."""
        assert self._session is not None, "use the double inside `async with`"
        headers = {
            "X-Twilio-Signature": forged if forged is not None else self.sign(url, form),
            "User-Agent": "TwilioProxy/1.1",
            "I-Twilio-Idempotency-Token": secrets.token_hex(16),
        }
        async with self._session.post(url, data=form, headers=headers) as answer:
            return answer.status, await answer.text()


@dataclass
class Receiver:
    """Firebell's status callback endpoint, reduced to recording: `async with Receiver() as r:`,
    `r.url(path)`; each POST is kept in `got` and answered 204 (`status` to change that)."""

    got: list[Callback] = field(default_factory=list)
    status: int = 204
    port: int = 0
    _runner: web.AppRunner | None = None

    def url(self, path: str = "/notify/twilio/status") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.got.append(Callback(str(request.url), dict(request.headers), form))
        return web.Response(status=self.status)
