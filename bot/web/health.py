"""`/healthz`: the process answers. `/readyz`: database reachable, schema current, outbox sane;
with how late delivery runs (`outbox.oldest_age_s`, `slack`, `timers.lag_s`)."""

from __future__ import annotations

from aiohttp import web

from bot.services.container import Services


def routes(services: Services, replica: str = "") -> list[web.RouteDef]:
    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(_request: web.Request) -> web.Response:
        ready = await services.health.readiness()
        if ready.unreachable:
            return web.json_response(
                {
                    "ok": False,
                    "replica": replica,
                    "database": f"unreachable: {ready.unreachable}",
                    "slack": ready.slack,
                },
                status=503,
            )
        body = {
            "ok": ready.ok,
            "replica": replica,
            "database": "ok",
            "migrations": {"current": ready.current, "head": ready.head},
            "outbox": ready.outbox,
            "slack": ready.slack,
            "timers": ready.timers,
        }
        return web.json_response(body, status=200 if ready.ok else 503)

    return [web.get("/healthz", healthz), web.get("/readyz", readyz)]
