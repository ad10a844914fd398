"""The delivery table: every outbox kind is delivered, once, and coalesces as documented."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import pytest

from bot.core.outbox import Coalesce, OutboxKind
from bot.slack.delivery import table
from bot.slack.delivery.kinds import Kind

SERVICES = Path(__file__).parents[3] / "bot" / "services"


def test_every_outbox_kind_has_exactly_one_delivery():
    assert set(table.delivery_table()) == {kind.value for kind in OutboxKind}


def test_every_kind_the_services_write_is_a_known_kind():
    written = set()
    for path in SERVICES.glob("*.py"):
        source = path.read_text()
        written |= set(re.findall(r"enqueue\(\s*conn,\s*now,\s*\"(\w+)\"", source))
        written |= set(re.findall(r"OutboxKind\.(\w+)", source))
    known = {kind.value for kind in OutboxKind} | {kind.name for kind in OutboxKind}
    assert written and written <= known


def test_only_renders_of_current_state_alert_notices_and_page_dms_coalesce():
    modes = table.coalescing(table.delivery_table())
    assert modes == {
        "card": Coalesce.LATEST,
        "pages_taken": Coalesce.ALL,
        "alert_reply": Coalesce.RUN,
        "alert_post": Coalesce.RUN,
        "dm": Coalesce.BUNDLE,
    }


def test_a_kind_delivered_by_two_families_is_refused():
    twice = ModuleType("twice")
    twice.KINDS = {"card": Kind(lambda *_: None)}
    with pytest.raises(ValueError, match="'card' is delivered twice"):
        table.delivery_table((*table.FAMILIES, twice))
