"""`POST /slack/events`: Bolt verifies the signature and runs the listeners."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; refuse anything bigger


def routes(bolt: AsyncApp) -> list[web.RouteDef]:
    async def events(request: web.Request) -> web.Response:
        if request.content_length and request.content_length > MAX_BODY:
            return web.json_response({"error": "request too large"}, status=413)
        response = await bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    return [web.post("/slack/events", events)]
