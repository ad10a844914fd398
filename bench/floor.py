"""The floors: what Bolt and aiohttp cost alone, served like Firebell.

Run as `python -m bench.floor --port N` with SLACK_SIGNING_SECRET and SLACK_API_URL (and
optionally SLACK_BOT_TOKEN) in the environment. It serves `POST /slack/events` the way
Firebell does (aiohttp, `process_before_response=True`: a bare Bolt app whose `/incident`
and `block_actions` listeners only ack), `POST /alerts/alertmanager` (a bare aiohttp handler
that parses the JSON body and answers 200) and `GET /readyz`, and stops cleanly on SIGTERM
or SIGINT. With `--ntfy-url URL` it serves bench/page_latency.py's floor instead: a bare
aiohttp handler that forwards each Alertmanager webhook to ntfy (`forwarding_app`). With
`--durable PATH`, "floor+write": the `/incident` and click listeners and the alert handler
first store one row in the SQLite file PATH (WAL, `synchronous=FULL`, on one writer thread
that commits the rows waiting together, as Firebell's does) and answer after its COMMIT:
the least a durable change costs, the second yardstick issue #15's figures are read against.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import os
import queue
import re
import signal
import sqlite3
import threading
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
    with `durable`, each of them stores a row there before it answers."""
    bolt = AsyncApp(
        process_before_response=True,
        signing_secret=signing_secret,
        client=AsyncWebClient(token=token, base_url=api_url.rstrip("/") + "/"),
    )
    store = _Store(durable) if durable else None

    async def stored(kind: str, text: str) -> None:
        if store is not None:
            await store.insert(kind, text)

    @bolt.command("/incident")
    async def incident(ack, command) -> None:
        await stored("command", command.get("text") or "")
        await ack()

    @bolt.action(re.compile(".+"))
    async def click(ack, action) -> None:
        await stored("click", action.get("value") or "")
        await ack()

    async def events(request: web.Request) -> web.Response:
        response = await bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def alerts(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        await stored("alert", str(body.get("groupKey", "")))
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
    """One SQLite file written by one thread, as Firebell's embedded default writes it:
    each transaction takes every row waiting (group commit), so concurrent requests share
    a COMMIT and its fsync, as Firebell's writer lets them."""

    def __init__(self, path: Path) -> None:
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        opened: concurrent.futures.Future = concurrent.futures.Future()
        threading.Thread(target=self._run, args=(path, opened), daemon=True).start()
        opened.result()

    async def insert(self, kind: str, text: str) -> None:
        """Returns once the row is committed."""
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self.jobs.put((kind, text, done, loop))
        await done

    def _run(self, path: Path, opened: concurrent.futures.Future) -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS changes (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, "
            "text TEXT NOT NULL, created_at TEXT NOT NULL)"
        )
        opened.set_result(None)
        while True:
            group = [self.jobs.get()]
            with contextlib.suppress(queue.Empty):
                while True:
                    group.append(self.jobs.get_nowait())
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO changes (kind, text, created_at) VALUES (?, ?, datetime('now'))",
                [(kind, text) for kind, text, _, _ in group],
            )
            conn.execute("COMMIT")
            loop = group[0][3]  # one event loop serves every request
            loop.call_soon_threadsafe(_settle, [done for _, _, done, _ in group])


def _settle(futures: list[asyncio.Future]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)


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
    parser.add_argument("--durable", type=Path, help="store each change here before answering")
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
