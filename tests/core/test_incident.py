"""The incident state machine: every transition in every status, exact fields and events."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.escalation import EMPTY, Level, Policy
from bot.core.incident import (
    TEXT_MAX,
    TITLE_MAX,
    Change,
    Denied,
    Event,
    Incident,
    Role,
    Status,
    acknowledge,
    assign,
    change_severity,
    check_text,
    check_title,
    declare,
    escalate,
    parse_ref,
    post_update,
    ref,
    reopen,
    resolve,
)
from bot.core.targets import Target

BERLIN = ZoneInfo("Europe/Berlin")
# 2 March 2026: Berlin is on CET (UTC+1), so 13:00 UTC shows as 14:00.
T0 = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
SEV1_ACK = timedelta(minutes=15)
SEV2_ACK = timedelta(hours=1)

PRIMARY = Target("rotation", "primary")
OPS = Target("rotation", "platform-ops")
LEAD = Target("user", "U0LEAD")
PRODUCT = Target("group", "S0PRODUCT")
POLICY = Policy(
    levels=(
        Level((PRIMARY,)),
        Level((OPS, LEAD)),
        Level((PRODUCT,), after=timedelta(minutes=30)),
    ),
    repeat=1,
)


def declared(**changes) -> Incident:
    incident = Incident(
        number=42,
        title="Checkout API returns 500s",
        severity="SEV2",
        status=Status.DECLARED,
        declared_by="U0DECL",
        declared_at=T0,
        policy=POLICY,
        escalation_level=0,
        escalated_at=T0,
        ack_due_at=T0 + SEV2_ACK,
    )
    return dataclasses.replace(incident, **changes)


def acknowledged(**changes) -> Incident:
    base = declared(
        status=Status.ACKNOWLEDGED,
        acknowledged_by="U1",
        acknowledged_at=T0 + 5 * MIN,  # 14:05 in Berlin
        ack_due_at=None,
    )
    return dataclasses.replace(base, **changes)


def resolved(**changes) -> Incident:
    base = acknowledged(
        status=Status.RESOLVED,
        resolved_by="U1",
        resolved_at=datetime(2026, 3, 2, 13, 2, tzinfo=UTC),  # 14:02 in Berlin
    )
    return dataclasses.replace(base, **changes)


BY_STATUS = {
    Status.DECLARED: declared,
    Status.ACKNOWLEDGED: acknowledged,
    Status.RESOLVED: resolved,
}


# --- refs ------------------------------------------------------------------------------------


def test_ref_and_incident_ref():
    assert ref(42) == "INC-42"
    assert ref(1) == "INC-1"
    assert declared().ref == "INC-42"
    assert declared(number=7).ref == "INC-7"


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("INC-42", 42),
        ("inc-42", 42),
        ("Inc-42", 42),
        ("INC42", 42),
        ("inc42", 42),
        ("  INC-7  ", 7),
        ("INC-007", 7),
        ("INC-0", 0),
        ("INC-123456789", 123456789),
    ],
)
def test_parse_ref_accepts(text, number):
    assert parse_ref(text) == number


@pytest.mark.parametrize(
    "text",
    [
        "",
        "42",
        "#42",
        "INC-",
        "INC",
        "INC 42",
        "INC--42",
        "INC-4a",
        "INC-42.",
        "INC-1234567890",
        "INCIDENT-42",
        "XINC-42",
        "INC-+4",
        "INC-(42)",
    ],
)
def test_parse_ref_rejects(text):
    assert parse_ref(text) is None


# --- declare ---------------------------------------------------------------------------------


def test_declare_fields_and_event():
    fields, event = declare("U0DECL", T0, "SEV1", SEV1_ACK, POLICY, page=[OPS, LEAD])
    assert fields == {
        "status": Status.DECLARED,
        "severity": "SEV1",
        "declared_by": "U0DECL",
        "declared_at": T0,
        "escalation_level": 0,
        "escalated_at": T0,
        "ack_due_at": T0 + SEV1_ACK,
        "waiting_until": None,
        "escalation_policy": POLICY.to_json(),
    }
    assert event == Event(
        "declared",
        "U0DECL",
        data={
            "level": 0,
            "targets": ["rotation:primary"],
            "page": ["rotation:platform-ops", "user:U0LEAD"],
        },
    )


def test_declare_snapshots_the_policy_as_json():
    fields, _ = declare("U0DECL", T0, "SEV1", SEV1_ACK, POLICY)
    assert Policy.from_json(fields["escalation_policy"]) == POLICY


def test_declare_without_page_has_empty_page_list():
    _, event = declare("U0DECL", T0, "SEV3", SEV2_ACK, POLICY)
    assert event.data["page"] == []
    assert event.text == ""


def test_declare_second_levels_own_wait_beats_ack_within():
    policy = Policy(levels=(Level((PRIMARY,)), Level((LEAD,), after=timedelta(minutes=5))))
    fields, _ = declare("U0DECL", T0, "SEV4", timedelta(hours=24), policy)
    assert fields["ack_due_at"] == T0 + timedelta(minutes=5)


def test_declare_with_empty_policy_targets_nobody():
    fields, event = declare("U0DECL", T0, "SEV2", SEV2_ACK, EMPTY)
    assert fields["ack_due_at"] == T0 + SEV2_ACK
    assert event.data["targets"] == []


# --- acknowledge -----------------------------------------------------------------------------


def test_acknowledge_declared():
    now = T0 + 3 * MIN
    assert acknowledge(declared(), "U1", now, BERLIN) == Change(
        {
            "status": Status.ACKNOWLEDGED,
            "acknowledged_by": "U1",
            "acknowledged_at": now,
            "ack_due_at": None,
            "waiting_until": None,
        },
        Event("acknowledged", "U1"),
    )


def test_acknowledge_declared_after_escalation_keeps_level():
    change = acknowledge(declared(escalation_level=3), "U2", T0, BERLIN)
    assert isinstance(change, Change)
    assert "escalation_level" not in change.fields


def test_acknowledge_acknowledged_is_denied():
    assert acknowledge(acknowledged(), "U2", T0 + 10 * MIN, BERLIN) == Denied(
        "INC-42 is already acknowledged by <@U1> at 14:05."
    )


def test_acknowledge_resolved_is_denied_with_reopen_hint():
    assert acknowledge(resolved(), "U2", T0 + 10 * MIN, BERLIN) == Denied(
        "INC-42 is already resolved by <@U1> at 14:02; "
        "`/incident reopen INC-42` first to acknowledge it."
    )


def test_times_are_shown_in_the_given_zone():
    summer = resolved(resolved_at=datetime(2026, 7, 1, 12, 2, tzinfo=UTC))  # CEST, UTC+2
    assert acknowledge(summer, "U2", T0, BERLIN).message.startswith(
        "INC-42 is already resolved by <@U1> at 14:02;"
    )
    assert "at 12:02;" in acknowledge(summer, "U2", T0, ZoneInfo("UTC")).message
    assert "at 08:02;" in acknowledge(summer, "U2", T0, ZoneInfo("America/New_York")).message


def test_unknown_times_are_said_so():
    denial = acknowledge(acknowledged(acknowledged_at=None), "U2", T0, BERLIN)
    assert denial == Denied("INC-42 is already acknowledged by <@U1> at an unknown time.")
    denial = resolve(resolved(resolved_at=None), "U2", T0, BERLIN)
    assert denial == Denied("INC-42 is already resolved by <@U1> at an unknown time.")


# --- resolve ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.DECLARED, Status.ACKNOWLEDGED])
def test_resolve_open_incident(status):
    now = T0 + 40 * MIN
    change = resolve(BY_STATUS[status](), "U3", now, BERLIN, "rolled back deploy 1234")
    assert change == Change(
        {
            "status": Status.RESOLVED,
            "resolved_by": "U3",
            "resolved_at": now,
            "summary": "rolled back deploy 1234",
            "ack_due_at": None,
            "waiting_until": None,
        },
        Event("resolved", "U3", "rolled back deploy 1234"),
    )


def test_resolve_without_summary_stores_none():
    change = resolve(declared(), "U3", T0, BERLIN)
    assert change.fields["summary"] is None
    assert change.event == Event("resolved", "U3", "")


def test_resolve_resolved_is_denied():
    assert resolve(resolved(), "U3", T0 + 20 * MIN, BERLIN, "again") == Denied(
        "INC-42 is already resolved by <@U1> at 14:02."
    )


# --- reopen ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.DECLARED, Status.ACKNOWLEDGED])
def test_reopen_open_incident_is_denied(status):
    assert reopen(BY_STATUS[status](), "U4", T0, SEV2_ACK) == Denied(
        "INC-42 is not resolved, so there is nothing to reopen."
    )


def test_reopen_resolved_starts_the_chain_afresh():
    now = T0 + timedelta(hours=3)
    change = reopen(resolved(escalation_level=4), "U4", now, SEV1_ACK, "errors are back")
    assert change == Change(
        {
            "status": Status.DECLARED,
            "resolved_by": None,
            "resolved_at": None,
            "acknowledged_by": None,
            "acknowledged_at": None,
            "escalation_level": 0,
            "escalated_at": now,
            "ack_due_at": now + SEV1_ACK,
            "waiting_until": None,
        },
        Event(
            "reopened",
            "U4",
            "errors are back",
            {"level": 0, "targets": [str(t) for t in POLICY.level(0).targets]},
        ),
    )


def test_reopen_waits_for_the_second_levels_own_wait():
    policy = Policy(levels=(Level((LEAD,)), Level((PRIMARY,), after=timedelta(minutes=7))))
    change = reopen(resolved(policy=policy), "U4", T0, SEV1_ACK)
    assert change.fields["ack_due_at"] == T0 + timedelta(minutes=7)


# --- escalate --------------------------------------------------------------------------------


def test_escalate_declared_calls_next_level_with_new_deadline():
    now = T0 + 20 * MIN
    change = escalate(declared(), "U5", now, SEV2_ACK, "nobody answers")
    assert change == Change(
        {
            "escalation_level": 1,
            "escalated_at": now,
            "ack_due_at": now + 30 * MIN,  # level 3 sets `after: 30m`
            "waiting_until": None,
        },
        Event(
            "escalated",
            "U5",
            "nobody answers",
            {"level": 1, "targets": ["rotation:platform-ops", "user:U0LEAD"]},
        ),
    )


def test_escalate_into_level_with_own_wait_then_ack_within():
    now = T0 + 20 * MIN
    change = escalate(declared(escalation_level=1), "U5", now, timedelta(hours=4))
    assert change.fields["ack_due_at"] == now + timedelta(hours=4)  # level 1 again: no `after`
    assert change.event.data == {"level": 2, "targets": ["group:S0PRODUCT"]}
    assert change.event.text == ""


def test_escalate_wraps_into_second_pass():
    change = escalate(declared(escalation_level=3), "U5", T0, SEV2_ACK)
    assert change.fields["escalation_level"] == 4
    assert change.event.data["targets"] == ["rotation:platform-ops", "user:U0LEAD"]


def test_manual_escalation_of_acknowledged_sets_no_deadline():
    now = T0 + 30 * MIN
    change = escalate(acknowledged(), "U1", now, SEV2_ACK, "need a DBA")
    assert change == Change(
        {"escalation_level": 1, "escalated_at": now, "ack_due_at": None, "waiting_until": None},
        Event(
            "escalated",
            "U1",
            "need a DBA",
            {"level": 1, "targets": ["rotation:platform-ops", "user:U0LEAD"]},
        ),
    )
    assert "status" not in change.fields


def test_escalate_resolved_is_denied():
    assert escalate(resolved(), "U5", T0, SEV2_ACK) == Denied(
        "INC-42 is resolved; there is nobody left to escalate to."
    )


@pytest.mark.parametrize("status", [Status.DECLARED, Status.ACKNOWLEDGED])
def test_escalate_past_last_level_is_denied(status):
    incident = BY_STATUS[status](escalation_level=5)
    assert escalate(incident, "U5", T0, SEV2_ACK) == Denied(
        "INC-42 is already at the last escalation level (6 of 6)."
    )


def test_escalate_with_single_level_policy_is_denied():
    assert escalate(declared(policy=EMPTY), "U5", T0, SEV2_ACK) == Denied(
        "INC-42 is already at the last escalation level (1 of 1)."
    )


def test_escalate_through_the_whole_chain():
    incident = declared()
    now = T0
    levels = []
    while isinstance(change := escalate(incident, "U5", now, SEV2_ACK), Change):
        incident = dataclasses.replace(incident, **change.fields)
        levels.append(incident.escalation_level)
        now += MIN
    assert levels == [1, 2, 3, 4, 5]
    assert change.message.endswith("(6 of 6).")


# --- change_severity -------------------------------------------------------------------------


def test_change_severity_to_the_same_is_denied():
    assert change_severity(declared(), "U6", "SEV2", SEV2_ACK) == Denied("INC-42 is already SEV2.")


def test_change_severity_recomputes_deadline_from_current_level_clock():
    incident = declared(escalated_at=T0 + 10 * MIN, ack_due_at=T0 + 70 * MIN)
    change = change_severity(incident, "U6", "SEV1", SEV1_ACK)
    assert change == Change(
        {"severity": "SEV1", "ack_due_at": T0 + 25 * MIN},
        Event("severity", "U6", data={"from": "SEV2", "to": "SEV1"}),
    )


def test_change_severity_deadline_may_already_have_passed():
    # escalated at T0 with 1h; upgraded to a 15m target: due at T0+15m, not "now + 15m"
    change = change_severity(declared(), "U6", "SEV1", SEV1_ACK)
    assert change.fields["ack_due_at"] == T0 + SEV1_ACK


def test_change_severity_downgrade_lengthens_deadline():
    change = change_severity(declared(), "U6", "SEV4", timedelta(hours=24))
    assert change.fields["ack_due_at"] == T0 + timedelta(hours=24)


def test_change_severity_keeps_next_levels_own_wait():
    incident = declared(escalation_level=1, escalated_at=T0, ack_due_at=T0 + 30 * MIN)
    change = change_severity(incident, "U6", "SEV1", SEV1_ACK)
    assert change.fields["ack_due_at"] == T0 + timedelta(minutes=30)


def test_change_severity_without_escalation_clock_sets_no_deadline():
    change = change_severity(declared(escalated_at=None), "U6", "SEV1", SEV1_ACK)
    assert change.fields == {"severity": "SEV1"}


@pytest.mark.parametrize("status", [Status.ACKNOWLEDGED, Status.RESOLVED])
def test_change_severity_of_acknowledged_or_resolved_sets_no_deadline(status):
    change = change_severity(BY_STATUS[status](), "U6", "SEV1", SEV1_ACK)
    assert change == Change(
        {"severity": "SEV1"}, Event("severity", "U6", data={"from": "SEV2", "to": "SEV1"})
    )


# --- assign ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize(
    ("role", "column"), [(Role.COMMANDER, "commander"), (Role.COMMS, "comms_lead")]
)
def test_assign_sets_role_in_any_status(status, role, column):
    change = assign(BY_STATUS[status](), "U7", role, "U0BOB")
    assert change == Change(
        {column: "U0BOB"}, Event("assigned", "U7", data={"role": role.value, "user": "U0BOB"})
    )


def test_assign_replaces_someone_else():
    change = assign(declared(commander="U0OLD"), "U7", Role.COMMANDER, "U0NEW")
    assert change.fields == {"commander": "U0NEW"}


def test_assign_does_not_confuse_roles():
    change = assign(declared(commander="U0BOB"), "U7", Role.COMMS, "U0BOB")
    assert change.fields == {"comms_lead": "U0BOB"}


@pytest.mark.parametrize(
    ("role", "column", "message"),
    [
        (Role.COMMANDER, "commander", "<@U0BOB> is already the commander of INC-42."),
        (Role.COMMS, "comms_lead", "<@U0BOB> is already the comms of INC-42."),
    ],
)
def test_assign_same_person_is_denied(role, column, message):
    incident = declared(**{column: "U0BOB"})
    assert assign(incident, "U7", role, "U0BOB") == Denied(message)


# --- post_update -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.DECLARED, Status.ACKNOWLEDGED])
def test_post_update_without_eta(status):
    now = T0 + 12 * MIN
    change = post_update(BY_STATUS[status](), "U8", now, "found the bad query", None)
    assert change == Change({"last_update_at": now}, Event("update", "U8", "found the bad query"))
    assert change.event.data == {}


def test_post_update_with_eta():
    now = T0 + 12 * MIN
    change = post_update(acknowledged(), "U8", now, "rolling back", timedelta(minutes=30))
    assert change == Change(
        {"last_update_at": now, "eta_at": now + 30 * MIN},
        Event("update", "U8", "rolling back", {"eta": "2026-03-02T13:42:00+00:00"}),
    )


def test_post_update_resolved_is_denied():
    assert post_update(resolved(), "U8", T0, "late note", None) == Denied(
        "INC-42 is resolved; reopen it before posting updates."
    )


# --- text limits -----------------------------------------------------------------------------


def test_limits():
    assert TITLE_MAX == 150
    assert TEXT_MAX == 2900


@pytest.mark.parametrize("title", ["", " ", "\n\t  "])
def test_blank_title(title):
    assert check_title(title) == (
        "An incident needs a title: say what is broken, e.g. `checkout API returns 500s`."
    )


@pytest.mark.parametrize("title", ["x", "Checkout API returns 500s", "a" * 150])
def test_acceptable_titles(title):
    assert check_title(title) is None


@pytest.mark.parametrize("size", [151, 400])
def test_too_long_title(size):
    assert check_title("a" * size) == (
        f"The title is {size} characters; keep it under 150 and put the details in an update."
    )


def test_check_text():
    assert check_text("") is None
    assert check_text("x" * 2900) is None
    assert check_text("x" * 2901) == (
        "The text is 2901 characters; Slack shows at most 2900 in one post."
    )
    assert check_text("x" * 3000, "The summary") == (
        "The summary is 3000 characters; Slack shows at most 2900 in one post."
    )


# --- random sequences ------------------------------------------------------------------------

SEVERITIES = {
    "SEV1": timedelta(minutes=15),
    "SEV2": timedelta(hours=1),
    "SEV3": timedelta(hours=4),
    "SEV4": timedelta(hours=24),
}
EXTRA_FIELDS = {"summary", "last_update_at", "eta_at"}
INCIDENT_FIELDS = {f.name for f in dataclasses.fields(Incident)}

policies = st.builds(
    Policy,
    levels=st.lists(
        st.builds(
            Level,
            targets=st.just((LEAD,)),
            after=st.none() | st.integers(60, 7200).map(lambda s: timedelta(seconds=s)),
        ),
        min_size=1,
        max_size=4,
    ).map(tuple),
    repeat=st.integers(0, 2),
)
actors = st.sampled_from(["U1", "U2", "U3"])
steps = st.one_of(
    st.tuples(st.just("acknowledge"), actors),
    st.tuples(st.just("resolve"), actors, st.sampled_from(["", "fixed"])),
    st.tuples(st.just("reopen"), actors, st.sampled_from(["", "back"])),
    st.tuples(st.just("escalate"), actors),
    st.tuples(st.just("severity"), actors, st.sampled_from(sorted(SEVERITIES))),
    st.tuples(st.just("assign"), actors, st.sampled_from(list(Role)), actors),
    st.tuples(
        st.just("update"),
        actors,
        st.none() | st.integers(1, 600).map(lambda m: timedelta(minutes=m)),
    ),
)


def _apply(incident: Incident, change: Change) -> Incident:
    unknown = set(change.fields) - INCIDENT_FIELDS - EXTRA_FIELDS
    assert not unknown, f"transition wrote fields the model does not have: {unknown}"
    known = {k: v for k, v in change.fields.items() if k in INCIDENT_FIELDS}
    return dataclasses.replace(incident, **known)


def _check_invariants(incident: Incident) -> None:
    assert incident.status in (Status.DECLARED, Status.ACKNOWLEDGED, Status.RESOLVED)
    assert (incident.resolved_at is not None) == (incident.status is Status.RESOLVED)
    assert (incident.resolved_by is not None) == (incident.status is Status.RESOLVED)
    assert 0 <= incident.escalation_level < incident.policy.steps
    if incident.status is Status.ACKNOWLEDGED:
        assert incident.ack_due_at is None
        assert incident.acknowledged_by is not None
        assert incident.acknowledged_at is not None
    if incident.status is Status.RESOLVED:
        assert incident.ack_due_at is None
    if incident.status is Status.DECLARED:
        assert incident.acknowledged_by is None
        assert incident.acknowledged_at is None
        assert incident.escalated_at is not None
        assert incident.ack_due_at is not None
        assert incident.ack_due_at > incident.escalated_at


@settings(max_examples=200, deadline=None)
@given(
    policy=policies,
    severity=st.sampled_from(sorted(SEVERITIES)),
    script=st.lists(st.tuples(steps, st.integers(0, 120)), max_size=25),
)
def test_random_sequences_keep_the_invariants(policy, severity, script):
    now = T0
    fields, event = declare("U0DECL", now, severity, SEVERITIES[severity], policy)
    assert event.kind == "declared"
    fields.pop("escalation_policy")
    incident = Incident(number=9, title="t", policy=policy, **fields)
    _check_invariants(incident)
    for step, minutes in script:
        now += timedelta(minutes=minutes)
        before = incident
        ack_within = SEVERITIES[incident.severity]
        match step:
            case ("acknowledge", actor):
                result = acknowledge(incident, actor, now, BERLIN)
                assert isinstance(result, Change) == (before.status is Status.DECLARED)
            case ("resolve", actor, summary):
                result = resolve(incident, actor, now, BERLIN, summary)
                assert isinstance(result, Change) == (before.status is not Status.RESOLVED)
            case ("reopen", actor, reason):
                result = reopen(incident, actor, now, ack_within, reason)
                assert isinstance(result, Change) == (before.status is Status.RESOLVED)
            case ("escalate", actor):
                result = escalate(incident, actor, now, ack_within)
                allowed = before.status is not Status.RESOLVED and policy.has_next(
                    before.escalation_level
                )
                assert isinstance(result, Change) == allowed
                if allowed:
                    assert result.fields["escalation_level"] == before.escalation_level + 1
            case ("severity", actor, name):
                result = change_severity(incident, actor, name, SEVERITIES[name])
                assert isinstance(result, Change) == (before.severity != name)
            case ("assign", actor, role, user):
                result = assign(incident, actor, role, user)
            case ("update", actor, eta):
                result = post_update(incident, actor, now, "text", eta)
                assert isinstance(result, Change) == (before.status is not Status.RESOLVED)
            case _:  # pragma: no cover
                raise AssertionError(step)
        assert isinstance(result, Change | Denied)
        if isinstance(result, Denied):
            assert result.message
            continue
        assert result.event.actor == step[1]
        incident = _apply(incident, result)
        _check_invariants(incident)
