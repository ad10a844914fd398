"""The ids Slack sends back are exactly the strings already out in Slack's messages and forms."""

from __future__ import annotations

import json

from bot.slack.ids import Action, Block, Command, Event, Field, FieldElement, Shortcut, View

# Every id as it is spelled in cards, forms and manifests already out there: changing one
# breaks the buttons of every message already posted.
SPELLED = {
    Command.INCIDENT: "/incident",
    Event.APP_HOME_OPENED: "app_home_opened",
    Event.REACTION_ADDED: "reaction_added",
    Shortcut.ADD_TO_TIMELINE: "add_to_timeline",
    Action.ACK: "incident_ack",
    Action.ESCALATE: "incident_escalate",
    Action.RESOLVE: "incident_resolve",
    Action.UPDATE: "incident_update",
    Action.REOPEN: "incident_reopen",
    Action.SEVERITY: "incident_severity",
    Action.SNOOZE: "reminder_snooze",
    Action.POSTMORTEM: "incident_postmortem",
    Action.PAGING_CONTACTS: "paging_contacts",
    Action.PAGING_RULES: "paging_rules",
    Action.PAGING_CODE: "paging_code",
    Action.PAGING_RESEND: "paging_resend",
    Action.PAGING_TEST: "paging_test",
    View.DECLARE: "declare_modal",
    View.UPDATE: "update_modal",
    View.RESOLVE: "resolve_modal",
    View.PAGING_CONTACTS: "paging_contacts_modal",
    View.PAGING_RULES: "paging_rules_modal",
    View.PAGING_CODE: "paging_code_modal",
    Block.CARD_ACTIONS: "incident_actions",
    Block.PAGE: "page",
    Block.REPLY: "reply",
    Field.TITLE: "title",
    Field.SEVERITY: "severity",
    Field.SERVICE: "service",
    Field.TEAM: "team",
    Field.TENANTS: "tenants",
    Field.DESCRIPTION: "description",
    Field.TEXT: "text",
    Field.ETA: "eta",
    Field.SHARE: "share",
    Field.SUMMARY: "summary",
    Field.PRIVATE: "private",
    Field.EMAIL: "email",
    Field.PHONE: "phone",
    Field.NTFY: "ntfy",
    Field.RULES: "rules",
    Field.CODE: "code",
    FieldElement.VALUE: "value",
}
KINDS = (Command, Event, Shortcut, Action, View, Block, Field, FieldElement)


def test_every_member_is_spelled_as_slack_has_it():
    members = {member for kind in KINDS for member in kind}
    assert members == set(SPELLED)
    for member, spelled in SPELLED.items():
        assert member == spelled and str(member) == spelled and f"{member}" == spelled


def test_members_serialise_and_look_up_as_the_plain_strings():
    assert json.dumps({Field.TITLE: [Action.ACK]}) == '{"title": ["incident_ack"]}'
    assert {"title": 1}[Field.TITLE] == 1
    assert {Field.TITLE: 1}["title"] == 1


def test_ids_are_unique_within_each_kind():
    for kind in KINDS:
        assert len({m.value for m in kind}) == len(kind)


def test_an_actions_block_id_names_its_incident():
    assert Block.CARD_ACTIONS.of(42) == "incident_actions:42"
    assert Block.PAGE.of(7) == "page:7"
    assert Block.REPLY.of(1) == "reply:1"
    assert type(Block.REPLY.of(1)) is str
