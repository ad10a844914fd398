"""`GET /metrics`: Prometheus text format, from this app's own registry.

Counters and histograms count what this process did since it started; gauges (open
incidents by severity, outbox backlog, failed deliveries) are read from the database at each
scrape. Nothing in it names a person or an incident; keep the endpoint on an internal network
all the same.
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.services.container import Services


def routes(services: Services) -> list[web.RouteDef]:
    async def metrics(_request: web.Request) -> web.Response:
        body = await services.telemetry.exposition(services.db, services.clock.now())
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return [web.get("/metrics", metrics)]
