"""Message shortcut payloads as Slack posts them (`message_action`), for "Add to timeline"."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from bot.sandbox.signing import new_trigger_id

TEAM_ID, TEAM_DOMAIN, APP_ID = "T0TEAM", "firebell-test", "A0FIREBELL"


def message_action_body(
    callback_id: str,
    message: dict[str, Any],
    *,
    user_id: str = "U0ALICE",
    channel_id: str = "C0INCIDENTS",
) -> str:
    """A message shortcut used on `message` (with its `ts`, `text`, `user`, `thread_ts`)."""
    payload = {
        "type": "message_action",
        "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
        "action_ts": f"{int(time.time())}.000300",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
        "channel": {"id": channel_id, "name": channel_id.lower()},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": new_trigger_id(),  # a use of its own, as in Slack
        "response_url": f"https://hooks.slack.com/app/{TEAM_ID}/1700000000/abcdefgh",
        "message_ts": message.get("ts"),
        "message": {"type": "message", **message},
        "api_app_id": APP_ID,
    }
    return urlencode({"payload": json.dumps(payload)})


def reaction_event(user: str, reaction: str, channel: str, ts: str) -> dict[str, Any]:
    """A `reaction_added` event on a message."""
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": reaction,
        "item_user": "U0SOMEONE",
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": f"{int(time.time())}.000400",
    }
