"""`POST /slack/events`: Bolt verifies the signature and runs the listeners."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; refuse anything bigger


def routes(bolt: AsyncApp) -> list[web.RouteDef]:
    async def events(request: web.Request) -> web.Response:
        if request.content_length and request.content_length > MAX_BODY:
            return web.json_response({"error": "request too large"}, status=413)
        bolt_request = AsyncBoltRequest(
            body=await request.text(), query=request.query_string, headers=request.headers
        )
        _reparse_form(bolt_request)
        response = await bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(response)

    return [web.post("/slack/events", events)]


def _reparse_form(request: AsyncBoltRequest) -> None:
    """Bolt takes any form body containing the word "payload" for an interactive payload,
    so `/incident declare payload service down` would parse to nothing and go unanswered.
    Parse such a body as the form it is."""
    raw = request.raw_body
    if request.body or not raw or raw.startswith("{"):
        return
    form = dict(parse_qsl(raw, keep_blank_values=True))
    body = json.loads(form["payload"]) if "payload" in form else form
    request.body = body
    request.context = build_async_context(AsyncBoltContext({}), body)
