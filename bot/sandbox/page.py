"""The sandbox's page, served by the Slack stand-in: `/sandbox`, its static files, a live
stream of changes (server-sent events) and the JSON endpoints the page calls.

The page is plain HTML, CSS and JavaScript from bot/sandbox/static/ (no build step). It
renders every piece of text with textContent, never as HTML, under a Content-Security-Policy
that allows only its own scripts and styles.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.sandbox.client import Refused
from bot.sandbox.workspace import Workspace

STATIC = Path(__file__).parent / "static"
KEEP_ALIVE = 15.0  # seconds between comments on an idle stream, so proxies keep it open
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def routes(workspace: Workspace) -> list[web.RouteDef]:
    async def index(request: web.Request) -> web.StreamResponse:
        response = web.FileResponse(STATIC / "index.html")
        response.headers.update(
            {
                "Content-Security-Policy": CSP,
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            }
        )
        return response

    async def home(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/sandbox")

    async def events(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        queue = workspace.stream()
        try:
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), timeout=KEEP_ALIVE)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if item is None:
                    break
                data = json.dumps(item, separators=(",", ":"))
                await response.write(f"data: {data}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            workspace.unstream(queue)
        with contextlib.suppress(ConnectionResetError):
            await response.write_eof()
        return response

    async def api(request: web.Request) -> web.Response:
        # JSON only, from this page only: a form posted by another site cannot drive it
        if request.content_type != "application/json":
            return web.json_response({"ok": False, "error": "send JSON"}, status=415)
        origin = request.headers.get("Origin")
        if origin and origin != f"{request.scheme}://{request.host}":
            return web.json_response({"ok": False, "error": "wrong origin"}, status=403)
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"ok": False, "error": "not valid JSON"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"ok": False, "error": "send a JSON object"}, status=400)
        try:
            answer = await _dispatch(workspace, request.match_info["action"], body)
        except Refused as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        except (KeyError, TypeError, ValueError) as exc:
            return web.json_response({"ok": False, "error": f"bad request: {exc}"}, status=400)
        return web.json_response(answer)

    return [
        web.get("/", home),
        web.get("/sandbox", index),
        web.get("/sandbox/", home),
        web.get("/sandbox/events", events),
        web.post("/sandbox/api/{action}", api),
        web.static("/sandbox/static", STATIC),
    ]


async def _dispatch(workspace: Workspace, action: str, body: dict[str, Any]) -> dict[str, Any]:
    user = str(body.get("user", ""))
    if action == "type":
        return await workspace.type(
            user, str(body["channel"]), str(body["text"]), str(body.get("thread_ts") or "")
        )
    if action == "click":
        selected = body.get("selected")
        return await workspace.click(
            user,
            block_index=int(body["block_index"]),
            action_id=str(body["action_id"]),
            channel=str(body.get("channel") or ""),
            ts=str(body.get("ts") or ""),
            view_id=str(body.get("view_id") or ""),
            ephemeral=bool(body.get("ephemeral")),
            selected=None if selected is None else str(selected),
        )
    if action == "submit":
        return await workspace.submit(user, str(body["view_id"]), body.get("values") or {})
    if action == "close":
        return workspace.close_view(user, str(body["view_id"]))
    if action == "home":
        return await workspace.open_home(user)
    if action == "clock":
        if "skip_minutes" in body:
            return workspace.skip(float(body["skip_minutes"]))
        return workspace.set_rate(float(body["rate"]))
    if action == "reset":
        return await workspace.reset()
    raise Refused(f"no action {action!r}")
