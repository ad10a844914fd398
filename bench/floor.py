"""The floors: what Bolt and aiohttp cost alone, served like Firebell.

Run as `python -m bench.floor --port N` with SLACK_SIGNING_SECRET and SLACK_API_URL (and
optionally SLACK_BOT_TOKEN) in the environment. It serves `POST /slack/events` the way
Firebell does (aiohttp, `process_before_response=True`: a bare Bolt app whose `/incident`
and `block_actions` listeners only ack), `POST /alerts/alertmanager` (a bare aiohttp handler
that parses the JSON body and answers 200) and `GET /readyz`, and stops cleanly on SIGTERM
or SIGINT. With `--ntfy-url URL` it serves bench/page_latency.py's floor instead: a bare
aiohttp handler that forwards each Alertmanager webhook to ntfy (`forwarding_app`). With
`--durable PATH`, the `/incident` listener first stores one row in the SQLite file PATH (WAL,
`synchronous=FULL`, one transaction per request on one writer thread) and acks after its
COMMIT: the least a durable declaration costs, a second yardstick for bench/ack_latency.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def build_app(
    signing_secret: str, api_url: str, token: str = "xoxb-bench", durable: Path | None = None
) -> web.Application:
    """The aiohttp application: Bolt acking `/incident` and clicks, a bare JSON handler;
    with `durable`, `/incident` stores a row there before its ack."""
    bolt = AsyncApp(
        process_before_response=True,
        signing_secret=signing_secret,
        client=AsyncWebClient(token=token, base_url=api_url.rstrip("/") + "/"),
    )
    store = _Store(durable) if durable else None

    @bolt.command("/incident")
    async def incident(ack, command) -> None:
        if store is not None:
            await asyncio.get_running_loop().run_in_executor(
                store.writer, store.insert, command.get("text") or ""
            )
        await ack()

    @bolt.action(re.compile(".+"))
    async def click(ack) -> None:
        await ack()

    async def events(request: web.Request) -> web.Response:
        response = await bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def alerts(request: web.Request) -> web.Response:
        json.loads(await request.read())
        return web.json_response({"ok": True})

    async def readyz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=1024 * 1024)
    app.add_routes(
        [
            web.post("/slack/events", events),
            web.post("/alerts/alertmanager", alerts),
            web.get("/readyz", readyz),
        ]
    )
    return app


class _Store:
    """One SQLite file written by one thread, as Firebell's embedded default writes it."""

    def __init__(self, path: Path) -> None:
        self.writer = ThreadPoolExecutor(max_workers=1)
        self.conn = self.writer.submit(self._open, path).result()

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS incidents "
            "(id INTEGER PRIMARY KEY, title TEXT NOT NULL, created_at TEXT NOT NULL)"
        )
        return conn

    def insert(self, title: str) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(
            "INSERT INTO incidents (title, created_at) VALUES (?, datetime('now'))", (title,)
        )
        self.conn.execute("COMMIT")


def forwarding_app(ntfy_url: str, topic: str) -> web.Application:
    """bench/page_latency.py's floor. POST /alerts/alertmanager: read the body, POST an ntfy
    message naming its summary to `ntfy_url`, answer 200. GET /readyz: 200."""
    state: dict[str, aiohttp.ClientSession] = {}

    async def startup(_app: web.Application) -> None:
        state["http"] = aiohttp.ClientSession()

    async def cleanup(_app: web.Application) -> None:
        await state["http"].close()

    async def alerts(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        summary = body["commonAnnotations"]["summary"]
        message = {"topic": topic, "title": "INC-0 SEV2 · bench", "message": summary}
        async with state["http"].post(ntfy_url.rstrip("/") + "/", json=message) as published:
            await published.read()
        return web.json_response({"ok": True})

    async def readyz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.on_startup.append(startup)
    app.on_cleanup.append(cleanup)
    app.add_routes([web.post("/alerts/alertmanager", alerts), web.get("/readyz", readyz)])
    return app


async def serve(app: web.Application, host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT, then clean up."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--ntfy-url", help="serve the page floor, forwarding to this ntfy")
    parser.add_argument("--ntfy-topic", default="bench", help="the page floor's topic")
    parser.add_argument("--durable", type=Path, help="store each /incident here before its ack")
    args = parser.parse_args()
    if args.ntfy_url:
        app = forwarding_app(args.ntfy_url, args.ntfy_topic)
    else:
        app = build_app(
            os.environ["SLACK_SIGNING_SECRET"],
            os.environ.get("SLACK_API_URL", "https://slack.com/api/"),
            os.environ.get("SLACK_BOT_TOKEN", "xoxb-bench"),
            args.durable,
        )
    asyncio.run(serve(app, args.host, args.port))


if __name__ == "__main__":
    main()
