"""Read models made from stored rows (`from_row`) are what their constructors make: equal,
frozen, a field with a default taking it where the row has no such column (an incident's
`hidden`, an outbox row's incident severity outside the sender's read)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from bot.services.models import EventRecord, IncidentRecord, OutboxRecord, from_row

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


def test_an_outbox_record_takes_its_defaults_for_columns_a_read_lacks():
    row = {
        "id": 1,
        "incident_id": None,
        "kind": "ephemeral",
        "channel": "C0X",
        "payload": {"text": "hi"},
        "attempts": 2,
        "not_before": AT,
        "created_at": AT,
        "status": "pending",  # a column the record does not hold
        "sent_ts": "1.2",
    }
    made = OutboxRecord.from_row(row)
    built = OutboxRecord(**{k: v for k, v in row.items() if k != "status"})
    assert made == built and made.severity is None and made.sent_ts == "1.2"
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.attempts = 3  # type: ignore[misc]


def test_every_field_of_an_event_record_comes_from_its_row():
    row = {"id": 3, "incident_id": 7, "at": AT, "actor": "U0A", "kind": "note", "text": "x"}
    with pytest.raises(KeyError):
        EventRecord.from_row(row)  # no `data`
    assert EventRecord.from_row({**row, "data": {}}) == EventRecord(**row, data={})


def test_a_record_with_a_default_factory_is_refused_rather_than_shared_a_default():
    @dataclasses.dataclass(frozen=True)
    class Listed:
        items: list = dataclasses.field(default_factory=list)

    with pytest.raises(TypeError, match="default factory"):
        from_row(Listed, {})
