"""The access policy: defaults, `access:` overrides, admins always, and refusals that name who
may in the words of the subject."""

from __future__ import annotations

from bot.core.access import DEFAULTS, Subject, allows, check_policy, refusal

INCIDENT = Subject(ref="INC-42", teams=("payments",))


def test_the_default_policy_of_the_issue():
    for action in ("declare", "update", "acknowledge", "escalate", "severity_up"):
        assert allows(action, {}, set())
    for action in ("severity_down", "resolve", "reopen", "assign", "transfer", "audit"):
        assert not allows(action, {}, set())
        assert allows(action, {}, {"responders"}) and allows(action, {}, {"team"})
    assert allows("override", {}, {"rotation"}) and not allows("override", {}, {"team"})
    assert allows("maintenance", {}, {"team"}) and not allows("maintenance_all", {}, {"team"})


def test_admins_may_always_whatever_the_policy_says():
    policy = {action: ["responders"] for action in DEFAULTS}
    assert all(allows(action, policy, {"admins"}) for action in DEFAULTS)


def test_access_replaces_an_actions_roles():
    assert allows("resolve", {"resolve": ["anyone"]}, set())
    assert not allows("resolve", {"resolve": ["team"]}, {"responders"})
    assert not allows("acknowledge", {"acknowledge": ["responders"]}, {"team"})


def test_refusals_name_who_may():
    assert refusal("resolve", {}, INCIDENT) == (
        "Only INC-42's responders, payments members or admins may resolve INC-42."
    )
    assert refusal("severity_down", {"severity_down": ["team"]}, INCIDENT) == (
        "Only payments members or admins may lower INC-42's severity."
    )
    both = Subject(ref="INC-42", teams=("payments", "platform"))
    assert refusal("transfer", {}, both).startswith(
        "Only INC-42's responders, payments or platform members or admins"
    )
    assert refusal("resolve", {}, Subject(ref="INC-7", teams=("default",))) == (
        "Only INC-7's responders, the default team's members or admins may resolve INC-7."
    )
    assert refusal("maintenance_all", {}, Subject()) == (
        "Only admins may start or end a maintenance window for every service."
    )
    assert refusal("maintenance", {}, Subject(service="billing", teams=("payments",))) == (
        "Only payments members or admins may start or end maintenance windows for service billing."
    )


def test_a_policy_is_checked_action_by_action():
    assert check_policy({"resolve": ["team"], "override": ["rotation", "admins"]}) == []
    assert check_policy({"resolv": ["team"]})[0][1].startswith("'resolv' is not an action")
    assert check_policy({"resolve": ["rotation"]}) == [
        ("resolve", "'rotation' is not a role for resolve; use anyone, responders, team, admins")
    ]
    assert check_policy({"declare": ["responders"]})[0][0] == "declare"  # none yet to respond
    assert check_policy({"resolve": []}) == [
        ("resolve", "needs at least one role (admins may always)")
    ]
