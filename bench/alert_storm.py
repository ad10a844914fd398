"""An alert storm: 1,000 Alertmanager notifications across 50 groups in 10 seconds.

Firebell runs as users start it (`python -m bot serve`, a fresh SQLite file), in its own
subprocess, against the Slack Web API double served from this process. Notifications are sent
open-loop on a fixed schedule (one every 10 ms, groups in turn), each the whole group as
Alertmanager sends it: notification k of a group carries alerts 0..k, alert k new; the last
one resolves alert 0. So every notification changes exactly one alert, and each one must show
up in its incident's thread.

Measured: the webhook latency (request sent to answer read) p50/p99/max; after the storm,
how long the outbox takes to drain at Slack's pace. Checked: every answer 200; 50 incidents;
1,000 notifications on record; every alert of every group named in its incident's thread
(new ones as firing, alert 0 as resolved); Slack calls per channel never faster than the
sender's token bucket allows (burst 3, then 1 a second); and no more calls than a coalescing
sender needs.

Run from the repository root: `python -m bench.alert_storm` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp

from bench.ack_latency import firebell
from bench.load import percentile
from bench.process import ROOT, interruptible
from bench.record import machine, save
from bot.sandbox.standin.server import SlackDouble

RESULTS = ROOT / "bench" / "results" / "alert_storm.json"
ALERTS_TOKEN = "bench-alerts-token-0d9f8e7c6b5a"
CHANNEL = "C0STORM"
RATE, BURST = 1.0, 3.0  # the sender's default pace per channel


def storm_config(channel: str = CHANNEL, members: str = "U0ONCALL, U0SECOND") -> str:
    """The storm's config: one 24/7 rotation of `members`, two levels, no broadcasts."""
    return f"""
incident_channel: {channel}
timezone: Europe/Berlin
severities:
  - {{name: SEV1, ack_within: 15m, update_every: 30m}}
  - {{name: SEV2, ack_within: 1h, update_every: 1h}}
  - {{name: SEV3, ack_within: 4h, update_every: 4h}}
  - {{name: SEV4, ack_within: 24h, update_every: 1d}}
rotations:
  - name: primary
    members: [{members}]
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
"""


class TimedDouble(SlackDouble):
    """The double, noting when each call arrived (monotonic seconds)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.times: list[float] = []

    async def _notify(self) -> None:
        while len(self.times) < len(self.calls):
            self.times.append(time.monotonic())
        await super()._notify()


def alert(group: int, k: int, status: str = "firing") -> dict[str, Any]:
    return {
        "status": status,
        "labels": {
            "alertname": f"StormAlert{group:02d}",
            "severity": "error",
            "service": f"svc{group:02d}",
            "instance": f"g{group:02d}-a{k:02d}:9100",
            "job": f"svc{group:02d}",
        },
        "annotations": {"summary": f"Storm group {group:02d}"},
        "startsAt": f"2026-03-02T08:{k:02d}:00.000000000Z",
        "endsAt": "2026-03-02T09:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": f"http://prometheus.example.com:9090/graph?g0.expr=storm{group}",
        "fingerprint": f"{group:04x}{k:012x}",
    }


def notification(group: int, step: int, steps: int) -> dict[str, Any]:
    """What Alertmanager sends for `group` the `step`-th time: the whole group."""
    last = step == steps - 1
    alerts = [alert(group, k) for k in range(step + 1 if not last else step)]
    if last:
        alerts[0] = alert(group, 0, "resolved")
    name = f"StormAlert{group:02d}"
    return {
        "receiver": "firebell",
        "status": "firing",
        "alerts": alerts,
        "groupLabels": {"alertname": name},
        "commonLabels": {"alertname": name, "severity": "error", "service": f"svc{group:02d}"},
        "commonAnnotations": {"summary": f"Storm group {group:02d}"},
        "externalURL": "http://alertmanager.example.com:9093",
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{name}"}}',
        "truncatedAlerts": 0,
    }


def expected_lines(group: int, steps: int) -> list[str]:
    name = f"StormAlert{group:02d}"
    lines = [f"firing *{name}* · instance=g{group:02d}-a{k:02d}:9100" for k in range(steps - 1)]
    lines.append(f"resolved *{name}* · instance=g{group:02d}-a00:9100")
    return lines


async def storm(
    session: aiohttp.ClientSession, base: str, groups: int, steps: int, seconds: float
) -> tuple[list[float], list[str], list[dict]]:
    """Send every notification at its planned instant; (latencies ms, failures, answers),
    each answer with its own latency under `ms`."""
    total = groups * steps
    gap = seconds / total
    latencies: list[float] = []
    failures: list[str] = []
    answers: list[dict] = []
    headers = {"Authorization": f"Bearer {ALERTS_TOKEN}", "Content-Type": "application/json"}
    url = f"{base}/alerts/alertmanager"
    bodies = [
        json.dumps(notification(j % groups, j // groups, steps)).encode() for j in range(total)
    ]
    begin = time.monotonic() + 0.2

    async def one(j: int) -> None:
        await asyncio.sleep(max(begin + j * gap - time.monotonic(), 0))
        started = time.perf_counter()
        try:
            async with session.post(url, data=bodies[j], headers=headers) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            failures.append(f"{j}: {type(exc).__name__}: {exc}")
            return
        elapsed = (time.perf_counter() - started) * 1000
        latencies.append(elapsed)
        if status != 200:
            failures.append(f"{j}: HTTP {status}: {text[:200]}")
            return
        answers.append({**json.loads(text), "ms": elapsed})

    await asyncio.gather(*(one(j) for j in range(total)))
    return latencies, failures, answers


def paced(double: TimedDouble) -> dict[str, Any]:
    """The densest stretch of Slack calls per channel, against the token bucket's bound."""
    by_channel: dict[str, list[float]] = defaultdict(list)
    for call, at in zip(double.calls, double.times, strict=False):
        if call.method in ("chat.postMessage", "chat.update") and not call.fault:
            by_channel[str(call.params.get("channel"))].append(at)
    worst: dict[str, Any] = {"ok": True, "windows": {}}
    for window in (1.0, 10.0, 60.0):
        allowed = BURST + RATE * window + 1  # +1: one call may land on the window's edge
        densest = 0
        for times in by_channel.values():
            j = 0
            for i, start in enumerate(times):
                while j < len(times) and times[j] < start + window:
                    j += 1
                densest = max(densest, j - i)
        worst["windows"][f"{window:g}s"] = {"max_calls": densest, "allowed": allowed}
        worst["ok"] = worst["ok"] and densest <= allowed
    incident = by_channel.get(CHANNEL, [])
    worst["incident_channel_calls"] = len(incident)
    if len(incident) > 1:
        worst["incident_channel_rate"] = round(
            (len(incident) - 1) / (incident[-1] - incident[0]), 3
        )
    return worst


def threads(double: TimedDouble, groups: int, steps: int) -> dict[str, Any]:
    """Whether every alert of every group is named in its incident's thread."""
    missing: list[str] = []
    found = 0
    for message in double.messages(CHANNEL, top_level_only=True):
        header = (message.get("blocks") or [{}])[0].get("text", {}).get("text", "")
        if " · Storm group " not in header:
            continue
        found += 1
        group = int(header.rsplit(" ", 1)[1])
        text = "\n".join(m["text"] for m in double.thread(CHANNEL, message["ts"]))
        missing += [
            f"group {group}: {line}" for line in expected_lines(group, steps) if line not in text
        ]
    return {"cards": found, "missing": missing, "ok": found == groups and not missing}


async def drain(database: Path, limit: float) -> float | None:
    """Seconds until the outbox has nothing pending (None: not within `limit` seconds)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        with contextlib.closing(
            sqlite3.connect(f"file:{database}?mode=ro", uri=True, isolation_level=None)
        ) as conn:
            pending = conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE status = 'pending'"
            ).fetchone()[0]
        if pending == 0:
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    return None


def counts(database: Path) -> dict[str, Any]:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "incidents": one("SELECT COUNT(*) FROM incidents"),
            "notifications": one("SELECT COUNT(*) FROM alert_notifications"),
            "outcomes": dict(
                conn.execute("SELECT outcome, COUNT(*) FROM alert_notifications GROUP BY outcome")
            ),
            "alerts": one("SELECT COUNT(*) FROM alerts"),
            "outbox": dict(conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status")),
        }


async def bench(args: argparse.Namespace) -> int:
    total = args.groups * args.steps
    with tempfile.TemporaryDirectory(prefix="firebell-storm-") as tmp:
        directory = Path(tmp)
        config = directory / "firebell.yml"
        config.write_text(storm_config())
        database = directory / "firebell.db"
        async with TimedDouble() as double:
            server = firebell(
                double.url,
                directory,
                FIREBELL_CONFIG=str(config),
                FIREBELL_ALERTS_TOKEN=ALERTS_TOKEN,
            )
            connector = aiohttp.TCPConnector(limit=0)
            timeout = aiohttp.ClientTimeout(total=60)
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
                try:
                    await server.start(session)
                    started = time.monotonic()
                    latencies, failures, answers = await storm(
                        session, server.base, args.groups, args.steps, args.seconds
                    )
                    sent_in = time.monotonic() - started
                    print(f"{total} notifications sent in {sent_in:.1f}s; waiting for Slack…")
                    drained = await drain(database, args.drain_timeout)
                    figures_db = counts(database)
                except Exception:
                    print(f"--- last lines of Firebell's output:\n{server.tail()}", file=sys.stderr)
                    raise
                finally:
                    await server.stop()
            pacing = paced(double)
            accounted = threads(double, args.groups, args.steps)
            slack_calls = {m: len(double.calls_to(m)) for m in ("chat.postMessage", "chat.update")}
    ordered = sorted(latencies)
    outcomes = defaultdict(int)
    by_outcome: dict[str, list[float]] = defaultdict(list)
    for answer in answers:
        outcomes[answer["outcome"]] += 1
        by_outcome[answer["outcome"]].append(answer["ms"])
    per_outcome = {
        name: {
            "p50": round(percentile(sorted(ms), 0.50), 2),
            "p99": round(percentile(sorted(ms), 0.99), 2),
        }
        for name, ms in by_outcome.items()
    }
    checks = {
        "every answer 200": not failures and len(answers) == total,
        f"{args.groups} incidents": figures_db["incidents"] == args.groups,
        f"{total} notifications on record": figures_db["notifications"] == total,
        "every alert in its thread": accounted["ok"],
        "outbox drained": drained is not None and figures_db["outbox"].get("failed", 0) == 0,
        "Slack calls paced": pacing["ok"],
    }
    figures = {
        "machine": machine(),
        "settings": {
            "groups": args.groups,
            "steps": args.steps,
            "seconds": args.seconds,
            "notifications": total,
        },
        "webhook_ms": {
            "p50": round(percentile(ordered, 0.50), 2),
            "p99": round(percentile(ordered, 0.99), 2),
            "max": round(ordered[-1], 2) if ordered else None,
            "by_outcome": per_outcome,
        },
        "sent_in_s": round(sent_in, 2),
        "answers": dict(outcomes),
        "failures": failures[:10],
        "database": figures_db,
        "drain_s": round(drained, 1) if drained is not None else None,
        "slack_calls": slack_calls,
        "pacing": pacing,
        "threads": {"cards": accounted["cards"], "missing": accounted["missing"][:10]},
        "checks": checks,
    }
    report(figures)
    save(RESULTS, figures)
    print(f"\nfigures written to {RESULTS.relative_to(ROOT)}")
    return 0 if all(checks.values()) else 1


def report(figures: dict[str, Any]) -> None:
    ms = figures["webhook_ms"]
    db = figures["database"]
    print()
    print(
        f"webhook latency over {figures['settings']['notifications']} notifications: "
        f"p50 {ms['p50']:.2f} ms, p99 {ms['p99']:.2f} ms, max {ms['max']:.2f} ms"
    )
    print(
        "by outcome: "
        + ", ".join(
            f"{name} p50 {v['p50']:.2f} ms p99 {v['p99']:.2f} ms"
            for name, v in ms["by_outcome"].items()
        )
    )
    print(f"answers: {figures['answers']}")
    print(
        f"stored: {db['incidents']} incidents, {db['notifications']} notifications "
        f"({db['outcomes']}), {db['alerts']} alerts; outbox {db['outbox']}"
    )
    print(f"Slack: {figures['slack_calls']}; outbox drained {figures['drain_s']}s after the storm")
    pacing = figures["pacing"]
    windows = ", ".join(
        f"{w}: {v['max_calls']} (<= {v['allowed']:g})" for w, v in pacing["windows"].items()
    )
    print(f"densest Slack calls per channel: {windows}")
    if "incident_channel_rate" in pacing:
        print(
            f"incident channel: {pacing['incident_channel_calls']} calls, "
            f"{pacing['incident_channel_rate']}/s on average"
        )
    print()
    for name, ok in figures["checks"].items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    for line in figures["threads"]["missing"]:
        print(f"  missing from a thread: {line}", file=sys.stderr)
    for failure in figures["failures"]:
        print(f"  failed: {failure}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.alert_storm", description=__doc__)
    parser.add_argument("--groups", type=int, default=50, help="alert groups")
    parser.add_argument("--steps", type=int, default=20, help="notifications per group")
    parser.add_argument("--seconds", type=float, default=10.0, help="spread of the storm")
    parser.add_argument(
        "--drain-timeout", type=float, default=900.0, help="seconds to wait for Slack"
    )
    args = parser.parse_args(argv)
    return interruptible(bench(args))


if __name__ == "__main__":
    sys.exit(main())
