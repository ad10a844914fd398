"""The direct messages to a person paged: one incident's page, or a storm's bundle listing
every incident paged within a few seconds, each line with its own Acknowledge button. Both
are re-rendered in place when someone takes an incident (see `delivery.incident`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.config import Config
from bot.services.models import IncidentRecord
from bot.slack import mrkdwn as md
from bot.slack.blocks import kit
from bot.slack.ids import Action, Block

ICON = ":rotating_light:"


def asks(incident: IncidentRecord) -> bool:
    """Whether a page of it still asks to be taken (carries its Acknowledge button)."""
    return incident.status == "declared"


def page_dm(incident: IncidentRecord, config: Config) -> tuple[str, list[dict[str, Any]]]:
    """The direct message to one person paged: what, how urgent, and a button to take it."""
    text = f"{ICON} You are being paged for {_headline(incident)}"
    lines = [text, f"Thread: <#{incident.channel_id}>", *_state(incident, config)]
    blocks: list[dict[str, Any]] = [kit.section("\n".join(lines), kit.show(incident.ref))]
    if asks(incident):
        button = kit.button("Acknowledge", Action.ACK, str(incident.id), "primary")
        blocks.append(
            {"type": "actions", "block_id": Block.PAGE.of(incident.id), "elements": [button]}
        )
    return kit.message_text(text), blocks


def bundle_dm(
    incidents: Sequence[IncidentRecord], config: Config
) -> tuple[str, list[dict[str, Any]]]:
    """One direct message for the incidents paged to a person at once (most urgent first, as
    given): a line each with its thread, its state and an Acknowledge button while open."""
    refs = ", ".join(f"{i.ref} ({md.escape(i.severity)})" for i in incidents)
    text = f"{ICON} You are being paged for {len(incidents)} incidents: {refs}"
    heading = f"{ICON} You are being paged for *{len(incidents)} incidents*, most severe first."
    blocks: list[dict[str, Any]] = [kit.section(heading)]
    for incident in incidents:
        lines = [f"{_headline(incident)} in <#{incident.channel_id}>", *_state(incident, config)]
        block = kit.section("\n".join(lines), kit.show(incident.ref))
        block["block_id"] = Block.PAGE.of(incident.id)
        if asks(incident):
            block["accessory"] = kit.button("Acknowledge", Action.ACK, str(incident.id), "primary")
        blocks.append(block)
    return kit.message(text, blocks)


def _headline(incident: IncidentRecord) -> str:
    return f"*{incident.ref}* ({md.escape(incident.severity)}): {md.escape(incident.title)}"


def _state(incident: IncidentRecord, config: Config) -> list[str]:
    """Whether it still waits for someone: by when, or who took it (a stale "You are being
    paged" misleads at 3 a.m.)."""
    lines = []
    if incident.status == "declared" and incident.ack_due_at:
        lines.append(f"Acknowledge by {md.when(incident.ack_due_at, config.zone)}.")
    if incident.acknowledged_by and incident.acknowledged_at:
        at = md.when(incident.acknowledged_at, config.zone)
        lines.append(
            f":white_check_mark: Acknowledged by {md.user(incident.acknowledged_by)} at {at}."
        )
    if incident.status == "resolved" and incident.resolved_by and incident.resolved_at:
        at = md.when(incident.resolved_at, config.zone)
        lines.append(f":large_green_circle: Resolved by {md.user(incident.resolved_by)} at {at}.")
    return lines
