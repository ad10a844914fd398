"""Block Kit as Slack's client reads it when a person interacts: the block ids it makes up,
the element and options acted on, and `state.values`, the way Slack's payloads carry them, so
the sandbox's clicks and modal submissions reach the bot as Slack's would.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

Answer = dict[str, Any]


def block_id_of(block: Answer, index: int) -> str:
    """A block's id; Slack makes one up for blocks sent without, the same on every read."""
    if block.get("block_id"):
        return str(block["block_id"])
    seed = f"{index}:{json.dumps(block, sort_keys=True)}"
    return hashlib.sha1(seed.encode()).hexdigest()[:5]


def find_element(block: Answer, action_id: str) -> Answer | None:
    """The button or select `action_id` names, among the block's elements or its accessory."""
    candidates = list(block.get("elements") or [])
    if block.get("accessory"):
        candidates.append(block["accessory"])
    return next((e for e in candidates if e.get("action_id") == action_id), None)


def options_of(element: Answer) -> list[Answer]:
    """Every option a select offers, those in option groups included."""
    found = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        found += group.get("options") or []
    return found


def state_values(blocks: list[Answer]) -> Answer:
    """The message's stateful elements, as `state.values` of a block_actions payload."""
    values: Answer = {}
    for index, block in enumerate(blocks):
        elements = list(block.get("elements") or [])
        if block.get("accessory"):
            elements.append(block["accessory"])
        for element in elements:
            if element.get("type") == "static_select" and element.get("action_id"):
                values.setdefault(block_id_of(block, index), {})[element["action_id"]] = {
                    "type": "static_select",
                    "selected_option": element.get("initial_option"),
                }
    return values


def view_payload(view: Answer) -> Answer:
    """A stored view as Slack puts it in a payload (without the stand-in's `user`)."""
    return {k: copy.deepcopy(v) for k, v in view.items() if k != "user"}


def submitted_values(view: Answer, values: Answer) -> Answer:
    """state.values in Slack's shapes from what the page sent, `{block index: {"value": text}
    or {"selected": option value (a list for checkboxes)}}`: every input block of the view, a
    text input's value null when empty, selected options as the view offered them."""
    clean: Answer = {}
    if not isinstance(values, dict):
        values = {}
    for index, block in enumerate(view.get("blocks") or []):
        if block.get("type") != "input":
            continue
        element = block.get("element") or {}
        action_id = element.get("action_id") or "value"
        block_id = block_id_of(block, index)
        given = values.get(str(index))
        given = given if isinstance(given, dict) else {}
        kind = element.get("type")
        if kind in ("static_select", "radio_buttons"):
            option = next(
                (o for o in options_of(element) if o.get("value") == given.get("selected")), None
            )
            clean[block_id] = {action_id: {"type": kind, "selected_option": option}}
        elif kind == "checkboxes":
            picked = given.get("selected")
            picked = picked if isinstance(picked, list) else []
            chosen = [o for o in options_of(element) if o.get("value") in picked]
            clean[block_id] = {action_id: {"type": kind, "selected_options": chosen}}
        else:
            text = given.get("value")
            clean[block_id] = {
                action_id: {
                    "type": element.get("type", "plain_text_input"),
                    "value": text if isinstance(text, str) and text != "" else None,
                }
            }
    return clean
