"""Read models made from stored rows are what their constructors make: equal, frozen, and
`hidden` False (no row holds it)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from bot.services.models import IncidentRecord

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = {"repeat": 1, "levels": [{"targets": ["rotation:primary"], "after": None}]}


def stored_row() -> dict:
    """Every column an incident row has (values of each kind), plus one the record lacks."""
    row = {f.name: None for f in dataclasses.fields(IncidentRecord) if f.name not in ("hidden",)}
    row.update(
        id=7,
        title="Checkout slow",
        severity="SEV2",
        status="open",
        tenants=["acme"],
        source="slack",
        declared_by="U0AAA",
        channel_id="C0INCIDENTS",
        declared_at=AT,
        escalation_level=0,
        escalation_policy=POLICY,
        version=3,
        escalation_fence=1,
        private=True,
        unrelated_column="not a field",
    )
    return row


def test_an_incident_record_from_a_row_is_the_one_its_constructor_makes():
    row = stored_row()
    made = IncidentRecord.from_row(row)
    built = IncidentRecord(**{k: v for k, v in row.items() if k != "unrelated_column"})
    assert made == built and made.hidden is False and made.private is True
    assert dataclasses.asdict(made) == dataclasses.asdict(built)
    assert made.policy == built.policy and made.policy is made.policy  # built once
    assert made.masked().hidden is True and made.masked().title == ""
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.title = "changed"  # type: ignore[misc]


def test_a_row_missing_a_column_is_refused():
    row = stored_row()
    del row["waiting_until"]
    with pytest.raises(KeyError):
        IncidentRecord.from_row(row)
