"""Alert webhook bodies in the formats their sources document, and a bot that accepts them.

- Alertmanager's webhook, version 4 (prometheus.io/docs/alerting/latest/configuration/
  #webhook_config): `receiver`, `status`, `alerts[]` (`status`, `labels`, `annotations`,
  `startsAt`, `endsAt`, `generatorURL`, `fingerprint`), `groupLabels`, `commonLabels`,
  `commonAnnotations`, `externalURL`, `version`, `groupKey`, `truncatedAlerts`. Times are Go's
  RFC 3339 with nanoseconds; an unset `endsAt` is Go's zero time `0001-01-01T00:00:00Z`.
- Grafana's unified-alerting webhook (grafana.com/docs/grafana/latest/alerting/configure-
  notifications/manage-contact-points/integrations/webhook-notifier/): the same plus `orgId`,
  `title`, `state` (`alerting`/`ok`), `message`, and per alert `silenceURL`, `dashboardURL`,
  `panelURL`, `values`, `valueString`.
- Firebell's generic body: `title`, `severity`, `dedup_key`, `status`, `service`, `tenant`,
  `details`, `url`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.sandbox.standin.server import SlackDouble
from tests.support.harness import CONFIG, Bot

TOKEN = "alerts-token-5c1f0e9a7b2d4c68"
ZERO_TIME = "0001-01-01T00:00:00Z"
PROMETHEUS = "http://prometheus.example.com:9090"
ALERTMANAGER = "http://alertmanager.example.com:9093"
GRAFANA = "https://grafana.example.com"

ALERTS_CONFIG = (
    CONFIG
    + """
alerts:
  auto_resolve: false
  reopen_within: 30m
"""
)


class AlertBot(Bot):
    """The harness bot with the alert webhooks configured (one token for every source)."""

    def __init__(self, *args: Any, env: dict[str, Any] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("config", ALERTS_CONFIG)
        super().__init__(*args, **kwargs)
        self.env = {"firebell_alerts_token": TOKEN} if env is None else env

    def settings(self, **overrides: Any):
        return super().settings(**{**self.env, **overrides})

    async def alert(
        self,
        source: str,
        body: Any = None,
        *,
        token: str | None = TOKEN,
        raw: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict]:
        """POST a webhook body; (status, JSON answer)."""
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else json.dumps(body)
        return await self.post_alert(source, data, sent)

    async def post_alert(
        self, source: str, data: bytes | str, headers: dict[str, str]
    ) -> tuple[int, dict]:
        """POST a body as it is to `/alerts/<source>`; (status, JSON answer)."""
        async with self.http.post(
            f"{self.base}/alerts/{source}", data=data, headers=headers
        ) as response:
            text = await response.text()
            try:
                answer = json.loads(text) if text else {}
            except ValueError:
                answer = {"text": text}
            return response.status, answer


async def start(
    tmp_path: Path, double: SlackDouble, config: str = ALERTS_CONFIG, **kwargs: Any
) -> AlertBot:
    bot = AlertBot(tmp_path, double, config=config, **kwargs)
    await bot.start()
    return bot


# -- Alertmanager -----------------------------------------------------------------------------


def am_alert(
    name: str,
    fingerprint: str,
    *,
    status: str = "firing",
    starts_at: str = "2026-03-02T08:58:30.123456789Z",
    ends_at: str | None = None,
    severity: str = "critical",
    service: str = "api",
    instance: str = "api-1.prod:9100",
    summary: str | None = None,
    description: str | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    annotations = {"summary": summary or f"{name} on {instance}"}
    if description:
        annotations["description"] = description
    return {
        "status": status,
        "labels": {
            "alertname": name,
            "severity": severity,
            "service": service,
            "instance": instance,
            "job": service,
            **(labels or {}),
        },
        "annotations": annotations,
        "startsAt": starts_at,
        "endsAt": ends_at or (ZERO_TIME if status == "firing" else "2026-03-02T09:10:00Z"),
        "generatorURL": f"{PROMETHEUS}/graph?g0.expr=up%7Bjob%3D%22{service}%22%7D+%3D%3D+0&g0.tab=1",
        "fingerprint": fingerprint,
    }


def _common(maps: list[dict[str, str]]) -> dict[str, str]:
    if not maps:
        return {}
    first = maps[0]
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in maps[1:])}


def alertmanager(
    alerts: list[dict[str, Any]],
    *,
    group_key: str = '{}/{service="api"}:{alertname="HighErrorRate"}',
    group_labels: dict[str, str] | None = None,
    receiver: str = "firebell",
    truncated: int = 0,
) -> dict[str, Any]:
    """An Alertmanager v4 webhook body for one group (status firing while any alert fires)."""
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    return {
        "receiver": receiver,
        "status": status,
        "alerts": alerts,
        "groupLabels": group_labels or {"alertname": alerts[0]["labels"]["alertname"]},
        "commonLabels": _common([a["labels"] for a in alerts]),
        "commonAnnotations": _common([a["annotations"] for a in alerts]),
        "externalURL": ALERTMANAGER,
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": truncated,
    }


# -- Grafana ----------------------------------------------------------------------------------


def grafana_alert(
    name: str,
    fingerprint: str,
    *,
    status: str = "firing",
    starts_at: str = "2026-03-02T09:57:10+01:00",
    severity: str = "warning",
    service: str = "api",
    summary: str | None = None,
    values: dict[str, float] | None = None,
) -> dict[str, Any]:
    rule = f"{fingerprint}-uid"
    return {
        "status": status,
        "labels": {
            "alertname": name,
            "grafana_folder": "API",
            "service": service,
            "severity": severity,
        },
        "annotations": {
            "summary": summary or f"{name}: p99 latency above 2s",
            "runbook_url": "https://docs.example.com/ops/api",
        },
        "startsAt": starts_at,
        "endsAt": ZERO_TIME if status == "firing" else "2026-03-02T10:12:10+01:00",
        "generatorURL": f"{GRAFANA}/alerting/grafana/{rule}/view?orgId=1",
        "fingerprint": fingerprint,
        "silenceURL": (
            f"{GRAFANA}/alerting/silence/new?alertmanager=grafana&matcher=alertname%3D{name}"
            "&matcher=grafana_folder%3DAPI"
        ),
        "dashboardURL": f"{GRAFANA}/d/api-overview?orgId=1",
        "panelURL": f"{GRAFANA}/d/api-overview?orgId=1&viewPanel=4",
        "values": values if values is not None else {"B": 2.731, "C": 1},
        "valueString": "[ var='B' labels={service=api} value=2.731 ], [ var='C' labels={service=api} value=1 ]",
    }


def grafana(
    alerts: list[dict[str, Any]],
    *,
    group_key: str = (
        '{}/{__grafana_autogenerated__="true"}/{__grafana_receiver__="firebell"}:'
        '{alertname="ApiLatencyHigh", grafana_folder="API"}'
    ),
) -> dict[str, Any]:
    firing = [a for a in alerts if a["status"] == "firing"]
    resolved = [a for a in alerts if a["status"] == "resolved"]
    name = alerts[0]["labels"]["alertname"]
    if firing:
        title = f"[FIRING:{len(firing)}] {name} API (api warning)"
    else:
        title = f"[RESOLVED] {name} API (api warning)"
    message = ""
    if firing:
        message += f"**Firing**\n\nValue: B=2.731, C=1\nLabels:\n - alertname = {name}\n"
    if resolved:
        message += f"**Resolved**\n\nLabels:\n - alertname = {name}\n"
    return {
        "receiver": "firebell",
        "status": "firing" if firing else "resolved",
        "orgId": 1,
        "alerts": alerts,
        "groupLabels": {"alertname": name, "grafana_folder": "API"},
        "commonLabels": _common([a["labels"] for a in alerts]),
        "commonAnnotations": _common([a["annotations"] for a in alerts]),
        "externalURL": f"{GRAFANA}/",
        "version": "1",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "title": title,
        "state": "alerting" if firing else "ok",
        "message": message,
    }


def generic(
    title: str = "Nightly backup failed",
    *,
    dedup_key: str | None = "backup-nightly",
    status: str = "firing",
    severity: str | None = "error",
    service: str | None = "storage",
    tenant: Any = None,
    details: Any = None,
    url: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"title": title, "status": status}
    for key, value in (
        ("dedup_key", dedup_key),
        ("severity", severity),
        ("service", service),
        ("tenant", tenant),
        ("details", details),
        ("url", url),
    ):
        if value is not None:
            body[key] = value
    return body
