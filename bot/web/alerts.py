"""`POST /alerts/alertmanager`, `/alerts/grafana`, `/alerts/generic`: alert webhooks in.

Answers, in the order they are checked:
- 503 when no token is configured for that source (`FIREBELL_ALERTS_TOKEN`, or the
  per-source `FIREBELL_ALERTS_TOKEN_<SOURCE>`): the endpoint is off;
- 401 when `Authorization: Bearer <token>` is missing or wrong (compared in constant time);
- 413 for a body over 1 MiB; 400 for a body that is not JSON, nests lists and objects
  deeper than 64 levels (refused before it is parsed), or is not the source's shape, the
  reason naming the field. Nothing is stored for any of these, and Alertmanager does not
  retry 4xx;
- 200 once the notification is durably stored and acted on (one committed transaction);
- 500 when it could not be stored: the source retries, and a retry is harmless.

Neither the token nor the Authorization header is ever logged.
"""

from __future__ import annotations

import hmac
import time

import structlog
from aiohttp import web

from bot.core.alerts.payloads import PayloadError, read_json
from bot.services.container import Services
from bot.settings import Settings

log = structlog.get_logger("firebell.alerts")

MAX_BODY = 1024 * 1024
SOURCES = ("alertmanager", "grafana", "generic")


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _answer(status: int, body: dict, **headers: str) -> web.Response:
    return web.json_response(body, status=status, headers=headers or None)


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
    tokens = {source: settings.alerts_token(source) for source in SOURCES}

    def endpoint(source: str):
        expected = tokens[source]
        env = f"FIREBELL_ALERTS_TOKEN (or FIREBELL_ALERTS_TOKEN_{source.upper()})"

        async def receive(request: web.Request) -> web.Response:
            started = time.perf_counter()
            if expected is None:
                return _answer(503, {"error": f"alerts are not configured: set {env}"})
            given = _bearer(request)
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
            try:
                notification = services.alerts.parse(source, read_json(raw))
            except PayloadError as exc:
                log.warning("alert_refused", source=source, field=exc.field, problem=exc.problem)
                return _answer(400, {"error": str(exc), "field": exc.field})
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

        return receive

    return [web.post(f"/alerts/{source}", endpoint(source)) for source in SOURCES]
