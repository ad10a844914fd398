"""`/healthz`: the process answers. `/readyz`: database reachable, schema current, outbox sane."""

from __future__ import annotations

from aiohttp import web

from bot.services.container import Services
from bot.store.migrate import current_revision


def routes(services: Services, replica: str = "") -> list[web.RouteDef]:
    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(_request: web.Request) -> web.Response:
        try:
            current, head = await current_revision(services.db)
            outbox = await services.outbox.health()
        except Exception as exc:  # any database failure means "not ready", with the reason
            return web.json_response(
                {"ok": False, "replica": replica, "database": f"unreachable: {type(exc).__name__}"},
                status=503,
            )
        ok = current == head
        body = {
            "ok": ok,
            "replica": replica,
            "database": "ok",
            "migrations": {"current": current, "head": head},
            "outbox": outbox,
        }
        return web.json_response(body, status=200 if ok else 503)

    return [web.get("/healthz", healthz), web.get("/readyz", readyz)]
