"""The declare, update and resolve forms. Their input blocks are keyed by `ids.Field`, which
is how the submission listeners read them back and point at a field's problem."""

from __future__ import annotations

from typing import Any

from bot.config import Config
from bot.core.incident import TEXT_MAX
from bot.services.models import IncidentRecord
from bot.slack import mrkdwn as md
from bot.slack.blocks import kit
from bot.slack.ids import Field, FieldElement, View


def declare_modal(config: Config) -> dict[str, Any]:
    options = kit.options([(f"{s.name} · {s.description}", s.name) for s in config.severities])
    # a select takes 100 options of at most 150 characters each; else the service is typed
    names = config.service_names
    services = kit.options([(name, name) for name in names])
    if len(services) < len(names):
        services = []
    blocks = [
        kit.input(
            Field.TITLE,
            "Title",
            {
                "type": "plain_text_input",
                "action_id": FieldElement.VALUE,
                "max_length": 150,
                "placeholder": kit.plain("What is broken?"),
            },
        ),
        kit.input(
            Field.SEVERITY,
            "Severity",
            {
                "type": "static_select",
                "action_id": FieldElement.VALUE,
                "options": options,
                "initial_option": options[-1],
            },
        ),
    ]
    if services:
        blocks.append(
            kit.input(
                Field.SERVICE,
                "Service",
                {"type": "static_select", "action_id": FieldElement.VALUE, "options": services},
                optional=True,
            )
        )
    else:
        blocks.append(
            kit.input(
                Field.SERVICE,
                "Service",
                {"type": "plain_text_input", "action_id": FieldElement.VALUE},
                optional=True,
            )
        )
    if config.teams:  # left empty, the service's team (else the default team) owns it
        teams = kit.options([(name, name) for name in config.team_names])
        blocks.append(
            kit.input(
                Field.TEAM,
                "Team",
                {"type": "static_select", "action_id": FieldElement.VALUE, "options": teams},
                optional=True,
                hint="Empty: the team that owns the service",
            )
        )
    blocks += [
        kit.input(
            Field.TENANTS,
            "Affected tenants",
            {"type": "plain_text_input", "action_id": FieldElement.VALUE},
            optional=True,
            hint="Comma-separated, e.g. acme, globex",
        ),
        kit.input(
            Field.DESCRIPTION,
            "Description",
            {
                "type": "plain_text_input",
                "action_id": FieldElement.VALUE,
                "multiline": True,
                "max_length": 2900,
            },
            optional=True,
        ),
    ]
    if config.private_channel:  # only where private incidents have somewhere to open
        blocks.append(
            kit.input(
                Field.PRIVATE,
                "Private",
                {
                    "type": "checkboxes",
                    "action_id": FieldElement.VALUE,
                    "options": [
                        kit.option(
                            "Private incident",
                            "private",
                            "Opens in the private channel; never broadcast",
                        )
                    ],
                },
                optional=True,
            )
        )
    return kit.view(
        {
            "type": "modal",
            "callback_id": View.DECLARE,
            "title": kit.plain("Declare incident"),
            "submit": kit.plain("Declare"),
            "close": kit.plain("Cancel"),
            "blocks": blocks,
        }
    )


def update_modal(incident: IncidentRecord, share: bool = False) -> dict[str, Any]:
    """The update form; with `share`, a checkbox to post it to the broadcast channel."""
    view = {
        "type": "modal",
        "callback_id": View.UPDATE,
        "private_metadata": str(incident.id),
        "title": kit.plain(f"Update {incident.ref}", kit.VIEW_TITLE),
        "submit": kit.plain("Post"),
        "close": kit.plain("Cancel"),
        "blocks": [
            kit.section(
                f"*{incident.ref}* · {md.escape(incident.title)}", kit.postmortem(incident.ref)
            ),
            kit.input(
                Field.TEXT,
                "What changed?",
                {
                    "type": "plain_text_input",
                    "action_id": FieldElement.VALUE,
                    "multiline": True,
                    "max_length": 2900,
                },
            ),
            kit.input(
                Field.ETA,
                "ETA",
                {
                    "type": "plain_text_input",
                    "action_id": FieldElement.VALUE,
                    "placeholder": kit.plain("e.g. 30m or 2h"),
                },
                optional=True,
                hint="How long until you expect it fixed",
            ),
        ],
    }
    if share:
        view["blocks"].append(
            kit.input(
                Field.SHARE,
                "Stakeholders",
                {
                    "type": "checkboxes",
                    "action_id": FieldElement.VALUE,
                    "options": [
                        kit.option(
                            "Share this update with stakeholders",
                            "share",
                            "Posted in plain words to the broadcast channel, no mentions",
                        )
                    ],
                },
                optional=True,
            )
        )
    return kit.view(view)


def resolve_modal(incident: IncidentRecord) -> dict[str, Any]:
    """The resolve form: the card's Resolve button asks for an optional summary, which the
    card, the thread and the stakeholders' post then show."""
    return kit.view(
        {
            "type": "modal",
            "callback_id": View.RESOLVE,
            "private_metadata": str(incident.id),
            "title": kit.plain(f"Resolve {incident.ref}", kit.VIEW_TITLE),
            "submit": kit.plain("Resolve"),
            "close": kit.plain("Cancel"),
            "blocks": [
                kit.section(
                    f"*{incident.ref}* · {md.escape(incident.title)}", kit.postmortem(incident.ref)
                ),
                kit.input(
                    Field.SUMMARY,
                    "Summary",
                    {
                        "type": "plain_text_input",
                        "action_id": FieldElement.VALUE,
                        "multiline": True,
                        "max_length": TEXT_MAX,
                        "placeholder": kit.plain("What was wrong, and what fixed it?"),
                    },
                    optional=True,
                    hint="Shown on the card, in the thread and to stakeholders",
                ),
            ],
        }
    )
