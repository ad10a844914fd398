"""Alert webhook bodies no source would send: whatever arrives, the answer is 200 or a 400
naming the field, never a 500 (Alertmanager retries a 5xx forever, a 4xx never). A body
nested deeper than 64 levels is refused before it is parsed."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.support.alerts import alertmanager, am_alert, generic, grafana, grafana_alert
from tests.support.alerts import start as start_bot
from tests.support.db import count


def db(bot):
    return bot  # its database, SQLite or PostgreSQL


@pytest.fixture
async def bot(tmp_path, double):
    running = await start_bot(tmp_path, double)
    yield running
    await running.close()


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


DEEP = "nests lists and objects deeper than 64"


@pytest.mark.parametrize("source", ["alertmanager", "grafana", "generic"])
async def test_bodies_nested_past_64_levels_are_400_before_parsing(bot, source, capsys):
    hostile = [
        nested(10_000).encode(),
        ('{"a":' * 10_000 + "1" + "}" * 10_000).encode(),
        nested(100_000, "").encode(),  # never closed
        # brackets in strings do not count: these ten closing ones hide no level
        (
            json.dumps({"title": "x", "extra": "]" * 10})[:-1] + ', "deep": ' + nested(64) + "}"
        ).encode(),
    ]
    for raw in hostile:
        status, answer = await bot.alert(source, raw=raw)
        assert status == 400, (raw[:40], answer)
        assert answer == {"error": f"body: {DEEP} levels", "field": "body"}
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    assert count(db(bot), "alert_notifications") == 0


async def test_64_levels_and_brackets_inside_strings_are_read_as_usual(bot):
    body = alertmanager([am_alert("Nested", "f1", summary="[[[{{{" * 50)])
    raw = json.dumps(body)[:-1] + ', "extra": ' + nested(63) + "}"  # the object is level 1
    status, answer = await bot.alert("alertmanager", raw=raw.encode())
    assert status == 200, answer
    deeper = json.dumps(body)[:-1] + ', "extra": ' + nested(64) + "}"
    status, answer = await bot.alert("alertmanager", raw=deeper.encode())
    assert status == 400 and DEEP in answer["error"]


@pytest.mark.parametrize(
    ("source", "raw", "field", "reason"),
    [
        (
            "grafana",
            json.dumps(
                grafana([{**grafana_alert("Huge", "f1"), "values": {"A": 10**400}}])
            ).encode(),
            "alerts[0].values.A",
            "is too large a number",
        ),
        ("generic", b'{"title": "x", "details": {"load": NaN}}', "body", "NaN is not"),
        ("generic", b'{"title": "x", "details": {"load": -Infinity}}', "body", "-Infinity"),
        ("generic", json.dumps(generic("nul \x00 byte")).encode(), "body", "NUL"),
        (
            "alertmanager",
            json.dumps(alertmanager([am_alert("A\x00", "f2")])).encode(),
            "body",
            "NUL",
        ),
    ],
)
async def test_numbers_and_characters_that_cannot_be_stored_are_400(
    bot, source, raw, field, reason
):
    status, answer = await bot.alert(source, raw=raw)
    assert status == 400, answer
    assert answer["field"] == field and reason in answer["error"]
    assert count(db(bot), "alert_notifications") == 0


_LEAF = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
_KEYS = st.sampled_from(
    [
        "status",
        "groupKey",
        "alerts",
        "labels",
        "annotations",
        "values",
        "valueString",
        "startsAt",
        "endsAt",
        "fingerprint",
        "version",
        "title",
        "dedup_key",
        "tenant",
        "details",
        "url",
        "severity",
        "service",
        "truncatedAlerts",
        "orgId",
        "generatorURL",
    ]
) | st.text(max_size=8)
_JSON = st.recursive(
    _LEAF,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=6),
    max_leaves=30,
)
_ALERT = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["firing", "resolved"]),
        "labels": st.dictionaries(st.text(max_size=8), st.text(max_size=20) | _JSON, max_size=4),
    },
    optional={
        key: _JSON
        for key in (
            "annotations",
            "values",
            "valueString",
            "startsAt",
            "endsAt",
            "fingerprint",
            "generatorURL",
            "dashboardURL",
        )
    },
)
_SHAPED = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["firing", "resolved"]),
        "groupKey": st.text(max_size=30),
        "alerts": st.lists(_ALERT, min_size=1, max_size=3),
    },
    optional={
        key: _JSON
        for key in (
            "version",
            "truncatedAlerts",
            "orgId",
            "title",
            "commonLabels",
            "externalURL",
            "severity",
            "service",
            "tenant",
            "details",
            "url",
            "dedup_key",
        )
    },
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    source=st.sampled_from(["alertmanager", "grafana", "generic"]),
    body=_SHAPED | _JSON,
    wrapped=st.integers(min_value=0, max_value=3000) | st.just(0),
)
@example(  # an integer past 64 bits, which orjson refuses to write: was a 500
    source="alertmanager",
    body={
        "status": "firing",
        "groupKey": "0",
        "alerts": [{"status": "firing", "labels": {}}],
        "truncatedAlerts": 2**64,
    },
    wrapped=0,
)
async def test_any_json_is_answered_200_or_400_naming_the_field(bot, source, body, wrapped):
    raw = nested(wrapped, json.dumps(body)) if wrapped else json.dumps(body)
    status, answer = await bot.alert(source, raw=raw.encode())
    assert status in (200, 400), (status, answer)
    if status == 400:
        assert answer["error"].startswith(answer["field"] + ": ")
