"""`POST /slack/events`: Slack's signature checked first, each request acted on once, then Bolt.

Answers, in the order they are checked:
- 413 for a body over 1 MiB;
- 401 when the signature is missing, malformed, wrong or stale (outside Slack's 5-minute
  window), checked with slack_sdk's `SignatureVerifier` on the raw body before anything parses
  it. One log line says why; neither the signature nor the body is logged;
- Bolt runs the listeners, and the request is claimed in the database, shared by every
  replica (`services/handled.py`): by its signature, or for an Events API callback by its
  `event_id` (Slack's retries of an event are signed anew but keep the id). The claim rides
  in the request's first write transaction (a request that writes nothing is claimed after,
  with one short write). When it was claimed before, that transaction rolls back and the
  listener stops there: a Slack retry (`X-Slack-Retry-Num`) is answered 200 without acting
  again, since its request was handled or is being handled; anything else is a replay,
  refused with 409;
- when Bolt answers 5xx, the claim is withdrawn, so that Slack's retry acts.

Socket Mode requests carry no signature and never come through here.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from yarl import URL

from bot.core import json_reading
from bot.services.handled import AlreadyHandled, Claim, HandledRequests, key

log = structlog.get_logger("firebell.slack")

MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; refuse anything bigger
WINDOW = 5 * 60  # seconds a signed request is fresh, either side of now (SignatureVerifier's)
# A signature is remembered until no replica could take it for fresh, even one whose clock is
# up to 5 minutes behind; an event id until well after Slack's last retry (it retries at once,
# after a minute and after five minutes).
KEEP_SIGNATURE = timedelta(seconds=WINDOW) + timedelta(minutes=5)
KEEP_EVENT = timedelta(hours=1)

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class _Wall:
    """slack_sdk's clock protocol over an injectable source of epoch seconds."""

    def __init__(self, wall: Callable[[], float]) -> None:
        self.now = wall


def routes(
    bolt: AsyncApp,
    handled: HandledRequests,
    signing_secret: str,
    *,
    wall: Callable[[], float] = time.time,
) -> list[web.RouteDef]:
    """`wall` is the clock Slack's timestamps are read against: epoch seconds."""
    verifier = SignatureVerifier(signing_secret, clock=_Wall(wall))

    async def events(request: web.Request) -> web.Response:
        if request.content_length and request.content_length > MAX_BODY:
            return web.json_response({"error": "request too large"}, status=413)
        raw = await request.read()  # past client_max_size, aiohttp answers 413 itself
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        refused = _refusal(verifier, raw, timestamp, signature, wall())
        if refused:
            reason, detail = refused
            log.warning("slack_request_refused", reason=reason, remote=request.remote, **detail)
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            bolt_request = SlackRequest(
                body=raw.decode(), query=request.query_string, headers=request.headers
            )
        except (ValueError, TypeError, AttributeError):  # signed, yet not a Slack payload
            log.warning("slack_request_unreadable", bytes=len(raw))
            return web.json_response({"error": "not a Slack payload"}, status=400)

        name, keep = _name(bolt_request.body, signature)
        sent_at = datetime.fromtimestamp(int(timestamp), UTC)
        now = datetime.fromtimestamp(wall(), UTC)
        try:
            with handled.handling(name, sent_at + keep, now) as claim:
                response = await bolt.async_dispatch(bolt_request)
        except AlreadyHandled:  # its first write found it claimed, and was rolled back
            return _repeated(request, name)
        except Exception:
            await handled.release(claim)
            raise
        if response.status >= 500:  # failed: Slack's retry of it must act
            await handled.release(claim)
        elif not await _settled(handled, claim):  # it wrote nothing: claimed only now
            return _repeated(request, name)
        return await to_aiohttp_response(response)

    return [web.post("/slack/events", events)]


def _repeated(request: web.Request, name: str) -> web.Response:
    """The answer to a request claimed before: 200 to Slack's retry, 409 to a replay."""
    retry = request.headers.get("X-Slack-Retry-Num")
    if retry is not None:
        log.info(
            "slack_retry_skipped",
            retry=retry[:8],
            reason=request.headers.get("X-Slack-Retry-Reason", "")[:40],
            request=key(name)[:12],
        )
        return web.Response(status=200)
    log.warning("slack_request_replayed", request=key(name)[:12], remote=request.remote)
    return web.json_response({"error": "request already handled"}, status=409)


async def _settled(handled: HandledRequests, claim: Claim) -> bool:
    """Claim a request whose handling wrote nothing; when the database cannot take the claim,
    the answer goes out anyway (nothing was written that a replay could repeat)."""
    try:
        return await handled.settle(claim)
    except Exception:
        log.exception("slack_request_not_recorded", request=key(claim.name)[:12])
        return True


def _refusal(
    verifier: SignatureVerifier, raw: bytes, timestamp: str, signature: str, now: float
) -> tuple[str, dict] | None:
    """Why the request is not Slack's, with what may be logged of it; None when it is."""
    if not timestamp or not signature:
        return "unsigned", {}
    if not _TIMESTAMP.fullmatch(timestamp):
        return "malformed_timestamp", {"timestamp_length": len(timestamp)}
    if not _SIGNATURE.fullmatch(signature):
        return "malformed_signature", {"signature_length": len(signature)}
    skew = round(now - int(timestamp))
    if abs(skew) > WINDOW:
        return "stale", {"skew_s": skew}
    try:
        body = raw.decode()
    except UnicodeDecodeError:
        return "body_not_utf8", {}
    if not verifier.is_valid(body, timestamp, signature):
        return "bad_signature", {}
    return None


def _name(body: dict, signature: str) -> tuple[str, timedelta]:
    """What stays the same when the request comes again, and for how long to remember it."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if isinstance(event_id, str) and event_id:
        return f"event:{event_id}", KEEP_EVENT
    return f"signature:{signature}", KEEP_SIGNATURE


class SlackRequest(AsyncBoltRequest):
    """Bolt's request, its body read by `read_body`, in the request and in the copies Bolt
    makes of it for lazy listeners (rebuilt from the raw body, `to_copyable`)."""

    def __init__(self, *, body: str | dict, mode: str = "http", **kwargs) -> None:
        if mode != "http" or not isinstance(body, str):  # Socket Mode: Bolt's own reading
            super().__init__(body=body, mode=mode, **kwargs)
            return
        super().__init__(body="", mode=mode, **kwargs)  # headers, query, an empty context
        self.raw_body = body
        self.body = read_body(body, self.content_type)
        self.context = build_async_context(self.context, self.body)

    def to_copyable(self) -> SlackRequest:
        return SlackRequest(
            body=self.raw_body if self.mode == "http" else self.body,
            query=self.query,
            headers=self.headers,
            context=self.context.to_copyable(),
            mode=self.mode,
        )


def read_body(raw: str, content_type: str | None) -> dict[str, Any]:
    """A body as Slack sends it: JSON (events), or a form (commands), whose one field
    `payload` holds JSON for an interaction.

    Bolt reads the same, with two differences. It takes any form containing the word
    "payload" for an interaction: `/incident declare payload service down`, or any command
    from a channel named #payloads, would parse to nothing; here only a `payload` field
    makes one. And it decodes forms with urllib, a Python loop per escaped byte: a click's
    body is the whole message, JSON in which every quote, brace and colon is escaped, 40 µs
    per kB; yarl's decoder (aiohttp's own) gives the same pairs at C speed."""
    if not raw:
        return {}
    if content_type == "application/json" or raw.startswith("{"):
        return _json(raw)
    form = dict(URL.build(query_string=raw, encoded=True).query.items())  # the last of a name
    payload = form.get("payload")
    return _json(payload) if payload is not None else form


def _json(text: str) -> Any:
    """`json.loads(text)`, as Bolt reads it, by orjson where it reads the same (a click's
    payload is the whole message: 8.5 kB in 34 µs instead of 82). A lone surrogate goes
    into the bytes as itself, which orjson refuses, so json reads it."""
    return json_reading.loads(text.encode("utf-8", "surrogatepass"), lambda: json.loads(text))
