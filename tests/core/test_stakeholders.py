"""Stakeholder broadcasts: which changes are news, and when digests and weekly reports fall."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.stakeholders import (
    Seen,
    announced_before,
    first_digest,
    latest_weekly,
    may_tell,
    needs_history,
    slot_after,
    starts_digest,
    worth_telling,
)

ANNOUNCED = ("SEV1", "SEV2")
BERLIN = ZoneInfo("Europe/Berlin")
TWO_HOURS = timedelta(hours=2)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def severity(before: str, after: str) -> Seen:
    return Seen("severity", {"from": before, "to": after})


SHARED = Seen("update", {"share": True})
PRIVATE = Seen("update", {})


# -- announced before -------------------------------------------------------------------------


def test_declared_at_an_announced_severity_was_announced():
    assert announced_before([Seen("declared", {})], "SEV1", ANNOUNCED)


def test_declared_quietly_and_never_raised_was_not_announced():
    assert not announced_before([Seen("declared", {}), PRIVATE], "SEV3", ANNOUNCED)


def test_the_severity_at_declaration_is_the_first_changes_from():
    # declared SEV1, lowered to SEV3 since: stakeholders heard of it
    assert announced_before([severity("SEV1", "SEV3")], "SEV3", ANNOUNCED)
    # declared SEV3, raised to SEV4 later: never announced
    assert not announced_before([severity("SEV3", "SEV4")], "SEV1", ANNOUNCED)


def test_raised_into_an_announced_severity_was_announced():
    history = [severity("SEV3", "SEV2"), severity("SEV2", "SEV3")]
    assert announced_before(history, "SEV3", ANNOUNCED)


def test_a_shared_update_announces_it():
    assert announced_before([PRIVATE, SHARED], "SEV4", ANNOUNCED)


# -- worth telling ----------------------------------------------------------------------------


def test_a_declaration_is_told_only_at_an_announced_severity():
    assert worth_telling("declared", {}, [], "SEV2", ANNOUNCED)
    assert not worth_telling("declared", {}, [], "SEV3", ANNOUNCED)


def test_an_update_is_told_only_when_shared():
    assert worth_telling("update", {"share": True}, [], "SEV4", ANNOUNCED)
    assert not worth_telling("update", {}, [], "SEV1", ANNOUNCED)


def test_a_severity_change_into_or_out_of_announced_is_told():
    assert worth_telling("severity", {"from": "SEV3", "to": "SEV1"}, [], "SEV1", ANNOUNCED)
    assert worth_telling("severity", {"from": "SEV2", "to": "SEV3"}, [], "SEV3", ANNOUNCED)


def test_a_quiet_severity_change_is_told_only_if_announced_before_it():
    change = {"from": "SEV3", "to": "SEV4"}
    quiet = [severity("SEV3", "SEV4")]
    assert not worth_telling("severity", change, quiet, "SEV4", ANNOUNCED)
    told = [SHARED, severity("SEV3", "SEV4")]
    assert worth_telling("severity", change, told, "SEV4", ANNOUNCED)


def test_the_change_itself_does_not_count_as_announced_before():
    # the change just recorded is last in history and is left out for a severity change
    change = {"from": "SEV3", "to": "SEV4"}
    assert not worth_telling("severity", change, [severity("SEV3", "SEV4")], "SEV4", ANNOUNCED)


@pytest.mark.parametrize("kind", ["resolved", "reopened"])
def test_resolution_and_reopening_are_told_when_announced_before(kind):
    assert worth_telling(kind, {}, [Seen("declared", {}), SHARED], "SEV4", ANNOUNCED)
    assert not worth_telling(kind, {}, [Seen("declared", {})], "SEV4", ANNOUNCED)


@pytest.mark.parametrize("kind", ["acknowledged", "assigned", "note", "paged"])
def test_other_changes_are_never_told(kind):
    assert not worth_telling(kind, {"share": True}, [SHARED], "SEV1", ANNOUNCED)
    assert not may_tell(kind, True)


def test_reclassifying_a_resolved_incident_is_not_news():
    assert not may_tell("severity", False)
    assert may_tell("severity", True)
    assert may_tell("resolved", False)


def test_only_changes_that_depend_on_the_past_read_the_timeline():
    assert not needs_history("declared", {}, True)
    assert not needs_history("update", {"share": True}, True)
    assert needs_history("update", {}, True)
    assert needs_history("severity", {}, True)
    assert not needs_history("severity", {}, False)
    assert needs_history("resolved", {}, False)
    assert not needs_history("acknowledged", {}, True)


# -- digests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["declared", "severity", "reopened"])
def test_an_open_announced_incident_starts_the_digest(kind):
    assert starts_digest(kind, True, "SEV1", ANNOUNCED)
    assert not starts_digest(kind, True, "SEV3", ANNOUNCED)
    assert not starts_digest(kind, False, "SEV1", ANNOUNCED)


@pytest.mark.parametrize("kind", ["update", "resolved", "acknowledged"])
def test_other_changes_start_no_digest(kind):
    assert not starts_digest(kind, True, "SEV1", ANNOUNCED)


def test_digest_slots_are_multiples_of_the_interval_since_the_epoch():
    assert slot_after(utc(2026, 3, 2, 9, 15), TWO_HOURS) == utc(2026, 3, 2, 10)
    assert slot_after(utc(2026, 3, 2, 10), TWO_HOURS) == utc(2026, 3, 2, 12)  # strictly after
    assert slot_after(utc(2026, 3, 2, 23, 59), TWO_HOURS) == utc(2026, 3, 3, 0)
    assert slot_after(utc(2026, 3, 2, 9, 15), timedelta(minutes=45)) == utc(2026, 3, 2, 9, 45)


def test_the_first_digest_is_at_least_half_an_interval_away():
    assert first_digest(utc(2026, 3, 2, 9, 15), TWO_HOURS) == utc(2026, 3, 2, 12)
    assert first_digest(utc(2026, 3, 2, 8, 59), TWO_HOURS) == utc(2026, 3, 2, 10)
    assert first_digest(utc(2026, 3, 2, 9, 0), TWO_HOURS) == utc(2026, 3, 2, 12)


# -- the weekly report ------------------------------------------------------------------------


def test_the_latest_weekly_instant_is_posted_after_downtime():
    due = datetime(2026, 3, 2, 9, 0, tzinfo=BERLIN)  # a Monday, 09:00 local
    assert latest_weekly(due, due, 0, 9, 0, BERLIN) == due
    three_weeks_later = due + timedelta(weeks=3, hours=1)
    latest = latest_weekly(due, three_weeks_later, 0, 9, 0, BERLIN)
    # across the switch to summer time, still 09:00 local
    assert latest.astimezone(BERLIN) == datetime(2026, 3, 23, 9, 0, tzinfo=BERLIN)


def test_a_weekly_instant_not_yet_passed_is_not_reported():
    due = datetime(2026, 3, 2, 9, 0, tzinfo=BERLIN)
    assert latest_weekly(due, due + timedelta(days=6, hours=23), 0, 9, 0, BERLIN) == due
