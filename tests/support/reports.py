"""A seeded incident history for report tests: incidents declared over six weeks before a
Monday morning, some acknowledged and resolved, played through the real services."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from tests.support.harness import CONFIG

START = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Berlin
TARGETS = {"SEV1": 15 * 60, "SEV2": 3600, "SEV3": 4 * 3600, "SEV4": 24 * 3600}
STATUS = "C0STATUS"
BROADCASTING = CONFIG.replace(
    "incident_channel: C0INCIDENTS\n",
    f"incident_channel: C0INCIDENTS\nbroadcast_channel: {STATUS}\n",
)


def history(seed: int = 7, n: int = 60, start: datetime = START, end: datetime = NOW) -> list[dict]:
    """Incidents declared between `start` and `end`, with when (if) each was acknowledged and
    resolved, in seconds after its declaration."""
    rng = random.Random(seed)
    span_s = (end - start).total_seconds() - 3600
    items = []
    for declared in sorted(rng.uniform(0, span_s) for _ in range(n)):
        severity = rng.choice(["SEV1", "SEV1", "SEV2", "SEV2", "SEV3", "SEV4"])
        ack = rng.choice([None, rng.uniform(30, 3 * TARGETS[severity])])
        resolve = rng.choice([None, (ack or 0) + rng.uniform(60, 20_000)])
        items.append(
            {
                "declared": start + timedelta(seconds=declared),
                "severity": severity,
                "ack": ack,
                "resolve": resolve,
                "service": rng.choice(["api", "storage", "billing", None]),
                "tenants": rng.sample(["acme", "globex", "initech", "umbrella"], rng.randint(0, 2)),
            }
        )
    return items


async def seed(bot, items: list[dict], end: datetime = NOW) -> None:
    """Play the history through the real services, in time order, up to `end` (the clock
    left there)."""
    incidents = bot.app.services.incidents
    actions = []
    for number, item in enumerate(items, start=1):
        actions.append((item["declared"], 0, number, item))
        if item["ack"] is not None:
            actions.append((item["declared"] + timedelta(seconds=item["ack"]), 1, number, item))
        if item["resolve"] is not None:
            actions.append((item["declared"] + timedelta(seconds=item["resolve"]), 2, number, item))
    for when, step, number, item in sorted(actions, key=lambda a: (a[0], a[1], a[2])):
        if when >= end:
            continue
        bot.clock.set(when)
        if step == 0:
            outcome = await incidents.declare(
                "U0ALICE",
                f"Incident {number}",
                item["severity"],
                service=item["service"],
                tenants=item["tenants"],
            )
            assert outcome.incident.id == number
        elif step == 1:
            assert (await incidents.acknowledge("U0BOB", number)).ok
        else:
            assert (await incidents.resolve("U0BOB", number)).ok
    bot.clock.set(end)
