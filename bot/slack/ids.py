"""Every id Slack sends back to Firebell, in one place: the renderers put them into Block Kit,
the listeners are keyed by them and manifest.yml declares some of them (a test checks).

`StrEnum` members are the plain strings Slack sends (`Action.ACK == "incident_ack"`), so they
serialise and compare as those strings. Changing a value breaks every button, form and
shortcut already out in Slack.
"""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    """Slash commands (manifest.yml `slash_commands`)."""

    INCIDENT = "/incident"


class Event(StrEnum):
    """Events API subscriptions (manifest.yml `bot_events`)."""

    APP_HOME_OPENED = "app_home_opened"
    REACTION_ADDED = "reaction_added"


class Shortcut(StrEnum):
    """Message shortcuts, by `callback_id` (manifest.yml `shortcuts`)."""

    ADD_TO_TIMELINE = "add_to_timeline"


class Action(StrEnum):
    """The `action_id` of each interactive element; its value carries the incident id (but
    My paging's, in App Home)."""

    # on the incident card (`REOPEN` once resolved); `ACK` also in a page's direct message;
    # `RESOLVE` opens the resolve form (`View.RESOLVE`)
    ACK = "incident_ack"
    ESCALATE = "incident_escalate"
    RESOLVE = "incident_resolve"
    UPDATE = "incident_update"
    REOPEN = "incident_reopen"
    SEVERITY = "incident_severity"
    # on thread replies: a reminder's "Snooze 30m", the resolution's "Draft postmortem"
    SNOOZE = "reminder_snooze"
    POSTMORTEM = "incident_postmortem"
    # App Home's My paging (no incident: a code button's value is the medium)
    PAGING_CONTACTS = "paging_contacts"
    PAGING_RULES = "paging_rules"
    PAGING_CODE = "paging_code"
    PAGING_RESEND = "paging_resend"
    PAGING_TEST = "paging_test"


class View(StrEnum):
    """Modals, by `callback_id`."""

    DECLARE = "declare_modal"
    UPDATE = "update_modal"
    RESOLVE = "resolve_modal"  # private_metadata: the incident id
    PAGING_CONTACTS = "paging_contacts_modal"
    PAGING_RULES = "paging_rules_modal"
    PAGING_CODE = "paging_code_modal"  # private_metadata: the medium


class Block(StrEnum):
    """The `block_id` of each actions block, as `<member>:<incident id>` (see `of`)."""

    CARD_ACTIONS = "incident_actions"
    PAGE = "page"
    REPLY = "reply"

    def of(self, incident_id: int) -> str:
        return f"{self}:{incident_id}"


class Field(StrEnum):
    """A modal's input blocks, by `block_id`: the submitted state and the field errors of
    `response_action: errors` are keyed by them."""

    TITLE = "title"
    SEVERITY = "severity"
    SERVICE = "service"
    TEAM = "team"
    TENANTS = "tenants"
    DESCRIPTION = "description"
    TEXT = "text"
    ETA = "eta"
    SHARE = "share"
    SUMMARY = "summary"
    PRIVATE = "private"
    # My paging's forms
    EMAIL = "email"
    PHONE = "phone"
    NTFY = "ntfy"
    RULES = "rules"
    CODE = "code"


class FieldElement(StrEnum):
    """The `action_id` of the one element inside every `Field` block."""

    VALUE = "value"
