"""`GET /metrics` read as Prometheus reads it: every sample by name and labels."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

FAMILIES = {
    "firebell_open_incidents",
    "firebell_incidents_declared",
    "firebell_acknowledge_seconds",
    "firebell_resolve_seconds",
    "firebell_outbox_backlog",
    "firebell_outbox_failed",
    "firebell_outbox_delivery_errors",
    "firebell_timer_lateness_seconds",
    "firebell_slack_api_errors",
}


async def scrape(bot) -> dict[tuple[str, tuple], float]:
    """Every sample by (name, sorted labels); the body must parse as Prometheus text."""
    response = await bot.http.get(f"{bot.base}/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    families = list(text_string_to_metric_families(await response.text()))
    assert {f.name for f in families} >= FAMILIES
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
