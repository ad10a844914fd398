"""`POST /heartbeat/<name>`: a pipeline checks in.

503 when no token is configured (FIREBELL_HEARTBEAT_TOKEN, else FIREBELL_ALERTS_TOKEN); 401
for a missing or wrong `Authorization: Bearer` token (compared in constant time, never
logged); 404 for a name not in `heartbeats:`; 204 once the beat is stored; 500 when it could
not be (the sender tries again). The body is not read: a beat carries nothing.
"""

from __future__ import annotations

import hmac

import structlog
from aiohttp import web

from bot.services import audit
from bot.services.container import Services
from bot.settings import Settings
from bot.web.alerts import bearer

log = structlog.get_logger("firebell.heartbeats")


def routes(services: Services, settings: Settings) -> list[web.RouteDef]:
    expected = settings.heartbeat_token()

    async def beat(request: web.Request) -> web.Response:
        if expected is None:
            return web.json_response(
                {"error": "heartbeats are not configured: set FIREBELL_HEARTBEAT_TOKEN"},
                status=503,
            )
        given = bearer(request)
        if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
            log.warning("heartbeat_unauthorized", had_token=given is not None)
            return web.json_response(
                {"error": "missing or wrong bearer token"},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="firebell"'},
            )
        name = request.match_info["name"]
        try:
            with audit.origin("webhook"):
                known = await services.heartbeats.beat(name)
        except Exception:
            log.exception("heartbeat_not_stored", heartbeat=name[:64])
            return web.json_response({"error": "could not store the beat"}, status=500)
        if not known:
            return web.json_response({"error": "no heartbeat of that name"}, status=404)
        log.info("heartbeat", heartbeat=name)
        return web.Response(status=204)

    return [web.post(r"/heartbeat/{name}", beat)]
