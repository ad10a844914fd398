"""`POST /alerts/alertmanager`, `/alerts/grafana`, `/alerts/generic`, `/alerts/sentry`: alert
webhooks in.

Answers, in the order they are checked:
- 503 when the source is not configured: no token for the first three
  (`FIREBELL_ALERTS_TOKEN`, or the per-source `FIREBELL_ALERTS_TOKEN_<SOURCE>`), no
  `FIREBELL_SENTRY_CLIENT_SECRET` for Sentry: the endpoint is off;
- 401 when `Authorization: Bearer <token>` is missing or wrong (compared in constant time);
  Sentry cannot send a token but signs its body: a missing `Sentry-Hook-Signature` is 401
  before the body is read, one that is not the hex HMAC-SHA256 of the raw body keyed with the
  client secret is 401 before it is parsed;
- 413 for a body over 1 MiB; 400 for a body that is not JSON, nests lists and objects
  deeper than 64 levels (refused before it is parsed), or is not the source's shape, the
  reason naming the field. Nothing is stored for any of these, and Alertmanager does not
  retry 4xx;
- 200 once the notification is durably stored and acted on (one committed transaction);
  200 with outcome `ignored`, storing nothing, for a Sentry webhook that is no alert (an issue
  created or assigned, an installation);
- 500 when it could not be stored: the source retries, and a retry is harmless.

Neither a token, the Authorization header, the client secret nor a signature is ever logged.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import structlog
from aiohttp import web

from bot.core.alerts.bodies import read_json
from bot.core.alerts.payloads import PayloadError
from bot.services.container import Services
from bot.settings import Settings

log = structlog.get_logger("firebell.alerts")

MAX_BODY = 1024 * 1024
TOKEN_SOURCES = ("alertmanager", "grafana", "generic")  # Authorization: Bearer <token>
SIGNED_SOURCES = ("sentry",)  # Sentry-Hook-Signature: HMAC-SHA256 of the body
SOURCES = TOKEN_SOURCES + SIGNED_SOURCES
SENTRY_SIGNATURE = "Sentry-Hook-Signature"
SENTRY_RESOURCE = "Sentry-Hook-Resource"


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _answer(status: int, body: dict, **headers: str) -> web.Response:
    return web.json_response(body, status=status, headers=headers or None)


def _signed(raw: bytes, secret: str, signature: str) -> bool:
    """Whether `signature` is the hex HMAC-SHA256 of the raw body keyed with `secret`."""
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(expected, signature.strip().lower().encode("utf-8", "replace"))


async def _read(request: web.Request) -> bytes | None:
    """The body, or None when it is over the limit (however it is framed)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)


def routes(services: Services, settings: Settings) -> list[web.RouteDef]:
    tokens = {source: settings.alerts_token(source) for source in TOKEN_SOURCES}
    sentry_secret = settings.sentry_client_secret()

    async def take(
        source: str, raw: bytes, started: float, resource: str | None = None
    ) -> web.Response:
        """A body whose sender is known: parsed, stored and acted on."""
        try:
            notification = services.alerts.parse(source, read_json(raw), resource)
        except PayloadError as exc:
            log.warning("alert_refused", source=source, field=exc.field, problem=exc.problem)
            return _answer(400, {"error": str(exc), "field": exc.field})
        if notification is None:
            log.info("alert_ignored", source=source, resource=(resource or "")[:40])
            return _answer(200, {"ok": True, "outcome": "ignored", "incident": None})
        try:
            receipt = await services.alerts.ingest(notification)
        except Exception:
            log.exception("alert_not_stored", source=source)
            return _answer(500, {"error": "could not store the notification; send it again"})
        log.info(
            "alert_received",
            source=source,
            group=notification.key_hash[:12],
            alerts=len(notification.alerts),
            outcome=receipt.outcome,
            incident=receipt.incident_ref,
            ms=round((time.perf_counter() - started) * 1000, 2),
        )
        return _answer(
            200,
            {
                "ok": True,
                "outcome": receipt.outcome,
                "incident": receipt.incident_ref,
                "notification": receipt.notification,
                "changes": receipt.changes,
            },
        )

    def endpoint(source: str):
        expected = tokens[source]
        env = f"FIREBELL_ALERTS_TOKEN (or FIREBELL_ALERTS_TOKEN_{source.upper()})"

        async def receive(request: web.Request) -> web.Response:
            started = time.perf_counter()
            if expected is None:
                return _answer(503, {"error": f"alerts are not configured: set {env}"})
            given = bearer(request)
            if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
                log.warning("alert_unauthorized", source=source, had_token=given is not None)
                return _answer(
                    401,
                    {"error": "missing or wrong bearer token"},
                    **{"WWW-Authenticate": 'Bearer realm="firebell"'},
                )
            raw = await _read(request)
            if raw is None:
                return _answer(413, {"error": f"body over {MAX_BODY} bytes"})
            return await take(source, raw, started)

        return receive

    async def sentry(request: web.Request) -> web.Response:
        started = time.perf_counter()
        if sentry_secret is None:
            return _answer(
                503, {"error": "alerts are not configured: set FIREBELL_SENTRY_CLIENT_SECRET"}
            )
        signature = request.headers.get(SENTRY_SIGNATURE, "").strip()
        if not signature:
            log.warning("alert_unauthorized", source="sentry", had_signature=False)
            return _answer(401, {"error": f"missing or wrong {SENTRY_SIGNATURE}"})
        raw = await _read(request)
        if raw is None:
            return _answer(413, {"error": f"body over {MAX_BODY} bytes"})
        if not _signed(raw, sentry_secret, signature):
            log.warning("alert_unauthorized", source="sentry", had_signature=True)
            return _answer(401, {"error": f"missing or wrong {SENTRY_SIGNATURE}"})
        return await take("sentry", raw, started, request.headers.get(SENTRY_RESOURCE))

    return [web.post(f"/alerts/{source}", endpoint(source)) for source in TOKEN_SOURCES] + [
        web.post("/alerts/sentry", sentry)
    ]
