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
same run: the same webhook POSTed to a bare aiohttp handler (bench/floor.py's
`forwarding_app`, its own subprocess) that reads it and at once POSTs an ntfy message to the
same double: two HTTP hops. The ntfy double and the load are bench/pager.py's.

Target (issue #14): p99 under 250 ms, every page delivered. Exit status 0 only then.

Run from the repository root: `python -m bench.page_latency` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.ack_latency import firebell as served
from bench.alert_storm import ALERTS_TOKEN, storm_config
from bench.load import percentile, summary
from bench.pager import TOPIC, PagePhase, Pager, TimedNtfy
from bench.process import ROOT, Server, free_port, interruptible, profile_option
from bench.record import machine, save
from bot.sandbox.standin.server import SlackDouble

RESULTS = ROOT / "bench" / "results" / "page_latency.json"
CHANNEL = "C0PAGES"
TARGET_P99_MS = 250.0
SENDER_BATCH = 500  # rows the outbox sender reads per round (OutboxSender's `batch`)
CONFIG = (
    storm_config(CHANNEL, "U0ONCALL")
    + f"""
people:
  - user: U0ONCALL
    ntfy: {TOPIC}
    rules:
      - {{after: 0m, via: [slack, ntfy]}}
"""
)
MODES = {"sequential": 1, "concurrent": 20}


# -- the systems ------------------------------------------------------------------------------


def firebell(directory: Path, slack_url: str, ntfy_url: str, profile: Path | None) -> Server:
    """Firebell as bench/ack_latency.py starts it, on this bench's config, paging by ntfy."""
    config = directory / "firebell.yml"
    config.write_text(CONFIG)
    return served(
        slack_url,
        directory,
        profile,
        FIREBELL_CONFIG=str(config),
        FIREBELL_ALERTS_TOKEN=ALERTS_TOKEN,
        FIREBELL_NTFY_URL=ntfy_url,
        FIREBELL_PUBLIC_URL="https://firebell.example.com",
    )


def floor(directory: Path, ntfy_url: str) -> Server:
    """bench/floor.py's forwarding handler: the webhook read, one ntfy POST, 200."""
    port = free_port()
    argv = [sys.executable, "-m", "bench.floor", "--port", str(port)]
    argv += ["--ntfy-url", ntfy_url, "--ntfy-topic", TOPIC]
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

    def stats(values: list[float]) -> dict[str, float | int | None]:
        return {"n": len(values), **summary(values, digits=1)}

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
) -> list[PagePhase]:
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
                phase = PagePhase(server.name, mode, concurrency)
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
    profile_option(parser)
    return interruptible(bench(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
