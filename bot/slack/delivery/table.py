"""The delivery table: every outbox kind -> how it is delivered, merged from the families."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import ModuleType

from bot.core.outbox import Coalesce
from bot.slack.delivery import alerts, incident, oncall, pages, stakeholders, timeline
from bot.slack.delivery.kinds import Kind

FAMILIES = (incident, alerts, stakeholders, timeline, oncall, pages)


def delivery_table(families: Sequence[ModuleType] = FAMILIES) -> dict[str, Kind]:
    table: dict[str, Kind] = {}
    for family in families:
        for name, kind in family.KINDS.items():
            if name in table:
                raise ValueError(f"outbox kind {name!r} is delivered twice")
            table[name] = kind
    return table


def coalescing(table: Mapping[str, Kind]) -> dict[str, Coalesce]:
    return {name: kind.coalesce for name, kind in table.items() if kind.coalesce}
