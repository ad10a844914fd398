"""What a notification changes for its alert group, and the one action that follows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.alerts import grouping
from bot.core.alerts.payloads import Alert, parse_alertmanager
from bot.core.alerts.rules import Rules
from tests.support.alerts import alertmanager, am_alert

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
RULES = Rules(severities=SEVERITIES)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# -- what changed -----------------------------------------------------------------------------

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=20)


def alert(status: str, starts_at: datetime | None = T0) -> Alert:
    return Alert("fp", status, {"alertname": "X"}, {}, starts_at=starts_at)


@pytest.mark.parametrize(
    ("known", "incoming", "expected"),
    [
        (None, alert("firing"), (True, "new")),
        (None, alert("resolved"), (True, "resolved")),
        (grouping.Known("firing", T0), alert("firing"), (False, None)),  # repeat or duplicate
        (grouping.Known("firing", T0), alert("resolved"), (True, "resolved")),
        (grouping.Known("resolved", T0), alert("resolved"), (False, None)),
        (grouping.Known("resolved", T0), alert("firing"), (False, None)),  # older, delivered late
        (grouping.Known("resolved", T0), alert("firing", T1), (True, "firing")),  # fires again
        (grouping.Known("firing", T1), alert("firing", T0), (False, None)),  # older episode
        (grouping.Known("firing", T1), alert("resolved", T0), (False, None)),
        (grouping.Known("firing", T0), alert("firing", T1), (True, None)),  # missed a resolve
        (grouping.Known("resolved", None), alert("firing", None), (True, "firing")),  # generic
        (grouping.Known("firing", None), alert("firing", None), (False, None)),
        (grouping.Known("firing", None), alert("resolved", None), (True, "resolved")),
    ],
)
def test_compare(known, incoming, expected):
    assert grouping.compare(known, incoming) == expected


def test_the_same_notification_twice_changes_nothing_the_second_time():
    notification = parse_alertmanager(alertmanager([am_alert("X", "f1"), am_alert("X", "f2")]))
    first = grouping.diff({}, notification, RULES)
    assert [c.kind for c in first] == ["new", "new"]
    known = {c.alert.fingerprint: grouping.Known(c.alert.status, c.alert.starts_at) for c in first}
    assert grouping.diff(known, notification, RULES) == []


# -- decisions --------------------------------------------------------------------------------


def change(kind: str, status: str = "firing") -> grouping.Change:
    return grouping.Change(alert(status), kind, "SEV1")


NO_INCIDENT = grouping.Group()


def decide(group=NO_INCIDENT, changes=(), firing=1, severity="SEV1", rules=RULES, **kw):
    return grouping.decide(
        group,
        list(changes),
        firing,
        severity,
        rules,
        kw.pop("now", NOW),
        **{"maintenance": False, **kw},
    )


def test_decide_opens_an_incident_for_a_new_firing_group():
    assert decide(changes=[change("new")]).action == grouping.OPEN


def test_decide_nothing_new_is_unchanged():
    assert (
        decide(changes=[grouping.Change(alert("firing"), None, "SEV1")]).action
        == grouping.UNCHANGED
    )
    assert decide(changes=[]).action == grouping.UNCHANGED


@pytest.mark.parametrize(
    "group",
    [
        NO_INCIDENT,
        grouping.Group(told=True),
        grouping.Group(incident_id=7, incident_status="declared"),
        grouping.Group(incident_id=7, incident_status="resolved", incident_resolved_at=NOW),
    ],
)
@pytest.mark.parametrize("maintenance", [False, True])
def test_without_a_reported_change_the_groups_state_cannot_matter(group, maintenance):
    """What lets the service skip reading the incident, maintenance and past posts."""
    quiet = [grouping.Change(alert("firing"), None, "SEV1")]
    assert not grouping.acts_on(quiet) and not grouping.acts_on([])
    assert decide(group, quiet, maintenance=maintenance).action == grouping.UNCHANGED
    assert grouping.acts_on([*quiet, change("new")])


def test_decide_updates_an_open_incident_and_resolves_it_only_when_allowed():
    open_group = grouping.Group(incident_id=7, incident_status="declared")
    assert decide(open_group, [change("new")]).action == grouping.UPDATE
    resolved = [change("resolved", "resolved")]
    off = decide(open_group, resolved, firing=0)
    assert (off.action, off.all_resolved, off.auto_resolve) == (grouping.UPDATE, True, False)
    auto = Rules(severities=SEVERITIES, auto_resolve=True)
    on = decide(open_group, resolved, firing=0, rules=auto)
    assert on.auto_resolve is True
    acked = grouping.Group(incident_id=7, incident_status="acknowledged")
    assert decide(acked, resolved, firing=0, rules=auto).auto_resolve is False
    partly = decide(open_group, resolved, firing=1, rules=auto)
    assert (partly.all_resolved, partly.auto_resolve) == (False, False)


def test_decide_reopens_within_the_window_and_opens_anew_after_it():
    resolved_at = NOW - timedelta(minutes=59)
    group = grouping.Group(
        incident_id=7, incident_status="resolved", incident_resolved_at=resolved_at
    )
    assert decide(group, [change("firing")]).action == grouping.REOPEN
    later = NOW + timedelta(minutes=2)
    assert decide(group, [change("firing")], now=later).action == grouping.OPEN


def test_decide_posts_severities_that_open_no_incident_and_maintenance_quietly():
    rules = Rules(severities=SEVERITIES, incident_severities=frozenset({"SEV1", "SEV2"}))
    assert decide(changes=[change("new")], severity="SEV3", rules=rules).action == grouping.POST
    assert decide(changes=[change("new")], maintenance=True).action == grouping.MAINTENANCE
    group = grouping.Group(incident_id=7, incident_status="declared")
    assert decide(group, [change("new")], maintenance=True).action == grouping.UPDATE


def test_decide_resolved_alerts_nobody_heard_of_are_only_recorded():
    resolved = [change("resolved", "resolved")]
    assert decide(changes=resolved, firing=0).action == grouping.RECORD
    told = grouping.Group(told=True)
    assert decide(told, resolved, firing=0).action == grouping.POST
    closed = grouping.Group(incident_id=3, incident_status="resolved", incident_resolved_at=NOW)
    assert decide(closed, resolved, firing=0).action == grouping.UPDATE
