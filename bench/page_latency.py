"""Page latency: from an alert webhook to the first non-Slack page leaving Firebell.

Firebell runs as users start it (`python -m bot serve`, a fresh SQLite file, its own
subprocess) with a config whose level-1 person, U0ONCALL, has an ntfy topic and the rule
`{after: 0m, via: [slack, ntfy]}`, `FIREBELL_NTFY_URL` pointing at the ntfy double of
`tests/support/ntfy.py` served from this process (which notes when each publish arrives), and
the Slack Web API double. Each Alertmanager v4 notification is a new alert group that opens an
incident, which pages U0ONCALL at once: a Slack DM and an ntfy push (an outbox row each).

Measured per page: from sending the webhook request to the ntfy double receiving the publish
(both clocks are this process's `perf_counter`). Two modes, each on a fresh Firebell:
`sequential` (one webhook at a time, the next after the previous page arrived) and
`concurrent` (20 senders doing the same, so 20 pages in flight). The floor, measured in the
same run: the same webhook POSTed to a bare aiohttp handler (`--serve-floor`, its own
subprocess) that reads it and at once POSTs an ntfy message to the same double: two HTTP hops.

Target (issue #14): p99 under 250 ms, every page delivered. Exit status 0 only then.

Run from the repository root: `python -m bench.page_latency` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench.load import percentile
from bench.process import Server, free_port
from bench.record import machine, save
from bot.sandbox.standin.server import SlackDouble
from tests.support.ntfy import NtfyDouble

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "page_latency.json"
TOKEN = "xoxb-bench"
SECRET = "bench-signing-secret-5f0c2b8e9a7d4e61"
ALERTS_TOKEN = "bench-alerts-token-0d9f8e7c6b5a"
CHANNEL = "C0PAGES"
TOPIC = "oncall-pager-bench"
TARGET_P99_MS = 250.0
SENDER_BATCH = 500  # rows the outbox sender reads per round (OutboxSender's `batch`)
CONFIG = f"""
incident_channel: {CHANNEL}
timezone: Europe/Berlin
severities:
  - {{name: SEV1, ack_within: 15m, update_every: 30m}}
  - {{name: SEV2, ack_within: 1h, update_every: 1h}}
  - {{name: SEV3, ack_within: 4h, update_every: 4h}}
  - {{name: SEV4, ack_within: 24h, update_every: 1d}}
rotations:
  - name: primary
    members: [U0ONCALL]
    shift: 1w
    start: 2026-01-05T09:00
escalation:
  - notify: [rotation:primary]
  - notify: ["@U0LEAD"]
broadcast:
  declare: []
  weekly_report: off
alerts:
  auto_resolve: false
people:
  - user: U0ONCALL
    ntfy: {TOPIC}
    rules:
      - {{after: 0m, via: [slack, ntfy]}}
"""
MODES = {"sequential": 1, "concurrent": 20}


# -- the ntfy double, timing arrivals ---------------------------------------------------------


class TimedNtfy(NtfyDouble):
    """tests/support/ntfy.py's double; each publish is timed as its handler starts (the
    request's head has arrived) and handed to whoever waits for its marker."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.unexpected = 0

    def expect(self, marker: str) -> asyncio.Future[float]:
        future = asyncio.get_running_loop().create_future()
        self.waiting[marker] = future
        return future

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        response = await super()._handle(request)
        message = self.requests[-1].json if self.requests else None
        text = message.get("message", "") if isinstance(message, dict) else ""
        marker = text.split(" ", 3)[2] if text.startswith("Page bench ") else None
        future = self.waiting.pop(marker, None) if marker else None
        if future is not None and not future.done():
            future.set_result(arrived)
        else:
            self.unexpected += 1
        return response


# -- the floor: a bare handler that forwards the webhook to ntfy ------------------------------


def floor_app(ntfy_url: str) -> web.Application:
    """POST /alerts/alertmanager: read the body, POST an ntfy message naming its summary to
    `ntfy_url`, answer 200. GET /readyz: 200."""
    state: dict[str, aiohttp.ClientSession] = {}

    async def startup(_app: web.Application) -> None:
        state["http"] = aiohttp.ClientSession()

    async def cleanup(_app: web.Application) -> None:
        await state["http"].close()

    async def alerts(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        summary = body["commonAnnotations"]["summary"]
        message = {"topic": TOPIC, "title": "INC-0 SEV2 · bench", "message": summary}
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


def serve_floor(port: int, ntfy_url: str) -> None:
    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runner = web.AppRunner(floor_app(ntfy_url), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    asyncio.run(serve())


# -- the load ---------------------------------------------------------------------------------


def notification(n: int) -> dict[str, Any]:
    """A new alert group (one firing alert) whose summary carries the marker `pb<n>`."""
    name = f"PageBench{n:04d}"
    summary = f"Page bench pb{n:04d} down"
    alert = {
        "status": "firing",
        "labels": {
            "alertname": name,
            "severity": "critical",
            "service": "api",
            "instance": f"api-{n}.prod:9100",
            "job": "api",
        },
        "annotations": {"summary": summary},
        "startsAt": "2026-03-02T08:58:30.123456789Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": f"http://prometheus.example.com:9090/graph?g0.expr=pb{n}",
        "fingerprint": f"{n:016x}",
    }
    return {
        "receiver": "firebell",
        "status": "firing",
        "alerts": [alert],
        "groupLabels": {"alertname": name},
        "commonLabels": dict(alert["labels"]),
        "commonAnnotations": {"summary": summary},
        "externalURL": "http://alertmanager.example.com:9093",
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{name}"}}',
        "truncatedAlerts": 0,
    }


@dataclass
class Phase:
    system: str
    mode: str
    concurrency: int
    pages_ms: list[float] = field(default_factory=list)  # webhook sent -> ntfy publish arrived
    answer_ms: list[float] = field(default_factory=list)  # webhook sent -> answer read
    failures: list[str] = field(default_factory=list)
    breakdown: dict[str, Any] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        def stats(values: list[float]) -> dict[str, float | None]:
            ordered = sorted(values)
            return {
                "p50": round(percentile(ordered, 0.50), 2) if ordered else None,
                "p90": round(percentile(ordered, 0.90), 2) if ordered else None,
                "p99": round(percentile(ordered, 0.99), 2) if ordered else None,
                "max": round(ordered[-1], 2) if ordered else None,
            }

        return {
            "concurrency": self.concurrency,
            "pages": len(self.pages_ms),
            "page_ms": stats(self.pages_ms),
            "answer_ms": stats(self.answer_ms),
            "failures": len(self.failures),
            "failure_examples": self.failures[:5],
            **({"breakdown": self.breakdown} if self.breakdown else {}),
        }


class Pager:
    """Sends webhooks and waits for the page each one causes."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base: str,
        ntfy: TimedNtfy,
        opens: bool,
        timeout: float,
    ) -> None:
        self.session = session
        self.timeout = timeout  # seconds a page may take before it counts as missing
        self.opens = opens  # Firebell: each answer must say the notification opened an incident
        self.url = f"{base}/alerts/alertmanager"
        self.ntfy = ntfy
        self.headers = {
            "Authorization": f"Bearer {ALERTS_TOKEN}",
            "Content-Type": "application/json",
        }
        self.next = 0

    async def one(self, phase: Phase | None) -> None:
        n, self.next = self.next, self.next + 1
        body = json.dumps(notification(n)).encode()
        arrival = self.ntfy.expect(f"pb{n:04d}")
        started = time.perf_counter()
        try:
            async with self.session.post(self.url, data=body, headers=self.headers) as answer:
                text = await answer.text()
                answered = time.perf_counter()
                opened = not self.opens or json.loads(text).get("outcome") == "open"
                if answer.status != 200 or not opened:
                    raise RuntimeError(f"HTTP {answer.status}: {text[:200]}")
            arrived = await asyncio.wait_for(arrival, self.timeout)
        except (aiohttp.ClientError, TimeoutError, RuntimeError) as exc:
            self.ntfy.waiting.pop(f"pb{n:04d}", None)
            if phase is not None:
                phase.failures.append(f"pb{n:04d}: {type(exc).__name__}: {exc}")
            return
        if phase is not None:
            phase.answer_ms.append((answered - started) * 1000)
            phase.pages_ms.append((arrived - started) * 1000)

    async def run(self, phase: Phase | None, pages: int, concurrency: int) -> None:
        left = pages

        async def sender() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await self.one(phase)

        await asyncio.gather(*(sender() for _ in range(concurrency)))


# -- the systems ------------------------------------------------------------------------------


def firebell(directory: Path, slack_url: str, ntfy_url: str, profile: Path | None) -> Server:
    port = free_port()
    config = directory / "firebell.yml"
    config.write_text(CONFIG)
    argv = [sys.executable]
    if profile:
        argv += ["-m", "cProfile", "-o", str(profile)]
    argv += ["-m", "bot", "serve"]
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{directory / 'firebell.db'}",
        "FIREBELL_CONFIG": str(config),
        "PORT": str(port),
        "FIREBELL_HOST": "127.0.0.1",
        "FIREBELL_LOG_LEVEL": "warning",
        "FIREBELL_ALERTS_TOKEN": ALERTS_TOKEN,
        "FIREBELL_NTFY_URL": ntfy_url,
        "FIREBELL_PUBLIC_URL": "https://firebell.example.com",
    }
    return Server("firebell", argv, env, port, directory / "firebell.log")


def floor(directory: Path, ntfy_url: str) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "bench.page_latency", "--serve-floor", str(port)]
    argv += ["--ntfy-url", ntfy_url]
    return Server("floor", argv, {}, port, directory / "floor.log")


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def outbox_breakdown(database: Path) -> dict[str, Any]:
    """From Firebell's own rows: how long each ntfy row waited for the sender (created ->
    in flight) and took to deliver (in flight -> sent), ms; how many outbox rows were still
    pending ahead of it (lower id) when it was written, and its wait split by whether that
    was under the sender's batch (500 rows, the oldest pending read each round) or not; the
    rows by kind and status at the end."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            "SELECT p.created_at, p.in_flight_at, p.finished_at, ("
            "  SELECT COUNT(*) FROM outbox o WHERE o.id < p.id"
            "  AND (o.finished_at IS NULL OR o.finished_at > p.created_at)"
            ") FROM outbox p WHERE p.kind = 'page_ntfy' AND p.status = 'sent' ORDER BY p.id"
        ).fetchall()
        by_kind = [
            f"{kind}/{status}: {n}"
            for kind, status, n in conn.execute(
                "SELECT kind, status, COUNT(*) FROM outbox GROUP BY kind, status ORDER BY kind"
            )
        ]
    waits, sends, aheads = [], [], []
    for created, in_flight, finished, ahead in rows:
        c, i, f = _when(created), _when(in_flight), _when(finished)
        if c and i and f:
            waits.append((i - c).total_seconds() * 1000)
            sends.append((f - i).total_seconds() * 1000)
            aheads.append(ahead)

    def stats(values: list[float]) -> dict[str, float | int]:
        ordered = sorted(values)
        if not ordered:
            return {"n": 0}
        return {
            "n": len(ordered),
            "p50": round(percentile(ordered, 0.5), 1),
            "p99": round(percentile(ordered, 0.99), 1),
            "max": round(ordered[-1], 1),
        }

    if not waits:
        return {"outbox_rows": by_kind}
    inside = [w for w, a in zip(waits, aheads, strict=True) if a < SENDER_BATCH]
    beyond = [w for w, a in zip(waits, aheads, strict=True) if a >= SENDER_BATCH]
    return {
        "ntfy_rows": len(waits),
        "row_created_to_in_flight_ms": stats(waits),
        "in_flight_to_sent_ms": stats(sends),
        "pending_ahead_at_write": {
            "p50": percentile(sorted(aheads), 0.5),
            "max": max(aheads),
        },
        f"wait_ms_with_under_{SENDER_BATCH}_ahead": stats(inside),
        f"wait_ms_with_{SENDER_BATCH}_or_more_ahead": stats(beyond),
        "outbox_rows": by_kind,
    }


async def measure(
    make: Callable[[str], Server],
    ntfy: TimedNtfy,
    args: argparse.Namespace,
    database: Path | None,
) -> list[Phase]:
    """Start one system, warm it up, run each mode, stop it. Firebell gets a fresh process
    (and database) per mode, so one mode's Slack backlog does not weigh on the next."""
    phases = []
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        for mode, concurrency in MODES.items():
            if mode not in args.modes:
                continue
            if database is not None:
                for leftover in database.parent.glob(database.name + "*"):
                    leftover.unlink()
            server = make(mode)
            try:
                await server.start(session)
                pager = Pager(session, server.base, ntfy, database is not None, args.page_timeout)
                await pager.run(None, args.warmup, concurrency)
                phase = Phase(server.name, mode, concurrency)
                await pager.run(phase, args.pages, concurrency)
                phases.append(phase)
            except Exception:
                print(
                    f"--- last lines of {server.name}'s output:\n{server.tail()}", file=sys.stderr
                )
                raise
            finally:
                await server.stop()
            if database is not None:
                phase.breakdown = outbox_breakdown(database)
            print(f"  {server.name:8s} {mode:10s} done: {len(phase.pages_ms)} pages")
    return phases


# -- the run ----------------------------------------------------------------------------------


async def bench(args: argparse.Namespace) -> int:
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    with tempfile.TemporaryDirectory(prefix="firebell-pages-") as tmp:
        directory = Path(tmp)
        async with SlackDouble() as double, TimedNtfy() as ntfy:
            floor_phases = await measure(lambda _: floor(directory, ntfy.url), ntfy, args, None)
            database = directory / "firebell.db"

            def system(mode: str) -> Server:
                profile = args.profile
                if profile is not None:
                    profile = profile.with_name(f"{profile.stem}.{mode}{profile.suffix}")
                return firebell(directory, double.url, ntfy.url, profile)

            firebell_phases = await measure(system, ntfy, args, database)
            unexpected = ntfy.unexpected
    by_mode = {p.mode: p for p in floor_phases}
    modes: dict[str, Any] = {}
    checks: dict[str, bool] = {}
    for phase in firebell_phases:
        mine = phase.figures()
        base = by_mode[phase.mode].figures()
        ratios = {
            q: round(mine["page_ms"][q] / base["page_ms"][q], 1)
            for q in ("p50", "p90", "p99", "max")
            if mine["page_ms"][q] and base["page_ms"][q]
        }
        modes[phase.mode] = {"firebell": mine, "floor": base, "ratio": ratios}
        checks[f"{phase.mode}: every page delivered"] = (
            not phase.failures and len(phase.pages_ms) == args.pages
        )
        p99 = mine["page_ms"]["p99"]
        checks[f"{phase.mode}: p99 under {TARGET_P99_MS:g} ms"] = (
            p99 is not None and p99 < TARGET_P99_MS
        )
    figures = {
        "machine": machine(),
        "settings": {
            "pages": args.pages,
            "warmup": args.warmup,
            "modes": {m: MODES[m] for m in args.modes},
            "target_p99_ms": TARGET_P99_MS,
            "profiled": bool(args.profile),
        },
        "modes": modes,
        "unexpected_publishes": unexpected,
        "checks": checks,
    }
    report(figures)
    save(RESULTS, figures)
    print(f"\nfigures written to {RESULTS.relative_to(ROOT)}")
    if args.profile:
        print(
            "profiles of Firebell, one per mode (figures include cProfile's overhead): "
            + ", ".join(
                str(args.profile.with_name(f"{args.profile.stem}.{m}{args.profile.suffix}"))
                for m in args.modes
            )
        )
    return 0 if checks and all(checks.values()) else 1


def report(figures: dict[str, Any]) -> None:
    print()
    print("webhook sent -> ntfy publish received, ms")
    header = (
        f"{'mode':11s} {'system':9s} {'pages':>5s} {'p50':>8s} {'p90':>8s} {'p99':>8s} {'max':>8s}"
    )
    print(header)
    print("-" * len(header))
    for mode, row in figures["modes"].items():
        for system in ("firebell", "floor"):
            f = row[system]
            ms = f["page_ms"]
            print(
                f"{mode:11s} {system:9s} {f['pages']:5d} "
                + " ".join(f"{ms[q]:8.1f}" if ms[q] is not None else f"{'-':>8s}" for q in ms)
            )
        ratio = row["ratio"]
        print(
            f"{mode:11s} {'ratio':9s} {'':5s} "
            + " ".join(f"{ratio.get(q, 0):7.1f}x" for q in ("p50", "p90", "p99", "max"))
        )
    print()
    for mode, row in figures["modes"].items():
        answer = row["firebell"]["answer_ms"]
        print(
            f"{mode}: Firebell's webhook answer (committed) p50 {answer['p50']} ms, "
            f"p99 {answer['p99']} ms"
        )
        b = row["firebell"].get("breakdown") or {}
        if "ntfy_rows" in b:
            wait, send = b["row_created_to_in_flight_ms"], b["in_flight_to_sent_ms"]
            print(
                f"  ntfy outbox row: created -> in flight p50 {wait['p50']} ms, p99 {wait['p99']} "
                f"ms; in flight -> sent p50 {send['p50']} ms, p99 {send['p99']} ms"
            )
            ahead = b["pending_ahead_at_write"]
            print(
                f"  outbox rows pending ahead of it when written: p50 {ahead['p50']}, "
                f"max {ahead['max']}"
            )
            for key in (
                f"wait_ms_with_under_{SENDER_BATCH}_ahead",
                f"wait_ms_with_{SENDER_BATCH}_or_more_ahead",
            ):
                w = b[key]
                if w["n"]:
                    label = key.removeprefix("wait_ms_with_").replace("_", " ")
                    print(
                        f"    {label}: {w['n']} rows, wait p50 {w['p50']} ms, "
                        f"p99 {w['p99']} ms, max {w['max']} ms"
                    )
        if "outbox_rows" in b:
            print(f"  outbox at the end: {', '.join(b['outbox_rows'])}")
    print()
    for name, ok in figures["checks"].items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    for row in figures["modes"].values():
        for failure in row["firebell"]["failure_examples"] + row["floor"]["failure_examples"]:
            print(f"  failed: {failure}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.page_latency", description=__doc__)
    parser.add_argument("--pages", type=int, default=200, help="timed pages per mode")
    parser.add_argument("--warmup", type=int, default=10, help="untimed pages before each mode")
    parser.add_argument(
        "--modes", nargs="+", choices=list(MODES), default=list(MODES), help="which modes"
    )
    parser.add_argument(
        "--page-timeout",
        type=float,
        default=10.0,
        help="seconds a page may take before it counts as missing",
    )
    parser.add_argument(
        "--profile", type=Path, help="run Firebell under cProfile and write its stats here"
    )
    parser.add_argument("--serve-floor", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--ntfy-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_floor:
        serve_floor(args.serve_floor, args.ntfy_url)
        return 0
    if args.profile:
        args.profile = args.profile.resolve()
    try:
        return asyncio.run(bench(args))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("bench interrupted; the servers were stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
