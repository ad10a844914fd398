"""Alert sources act on incidents under the names people know them by."""

from __future__ import annotations

import pytest

from bot.core.alert_sources import SOURCES, actor_name
from bot.core.alerts import sentry
from bot.core.alerts.payloads import PARSERS


@pytest.mark.parametrize(
    ("actor", "name"),
    [
        ("alertmanager", "Alertmanager"),
        ("grafana", "Grafana"),
        ("generic", "Alert webhook"),
        ("sentry", "Sentry"),
        ("heartbeat", "Heartbeat monitor"),  # a missed heartbeat, not a body source
        ("U0ABC", None),  # a person
        ("firebell", None),  # Firebell itself
        ("", None),
        (None, None),
    ],
)
def test_only_alert_sources_have_a_source_name(actor, name):
    assert actor_name(actor) == name


def test_every_body_that_can_be_read_has_a_source_name():
    assert {*PARSERS, sentry.SOURCE} == set(SOURCES)
