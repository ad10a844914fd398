"""Requests as Slack sends them to the bot: signed headers and payload bodies in Slack's formats.

Signing follows https://api.slack.com/authentication/verifying-requests-from-slack: the
signature is `v0=` + hex HMAC-SHA256 over `v0:{timestamp}:{raw body}` with the signing secret.
Bodies mirror what Slack posts: slash commands as a urlencoded form, interactions as a form with
one `payload` field holding JSON, Events API callbacks as JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

TEAM_ID = "T0TEAM"
TEAM_DOMAIN = "firebell-test"
APP_ID = "A0FIREBELL"
BOT_USER_ID = "U0FIREBELL"
BOT_ID = "B0FIREBELL"
CHANNEL_ID = "C0INCIDENTS"
USER_ID = "U0ALICE"
VERIFICATION_TOKEN = "Jhj5dZrVaK7ZwHHjRyZWjbDl"  # deprecated by Slack, but still sent
TRIGGER_ID = "13345224609.738474920.8088930838d88f008e0"
MESSAGE_TS = "1700000000.000100"  # the first ts the SlackDouble hands out
VIEW_ID = "V0VIEW0001"

_event_ids = itertools.count(1)


def sign(
    secret: str, body: str, timestamp: int, *, content_type: str | None = None
) -> dict[str, str]:
    """Headers Slack sends with `body`; JSON bodies are detected, anything else is a form."""
    base = f"v0:{timestamp}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if content_type is None:
        content_type = JSON if body.lstrip().startswith("{") else FORM
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": f"v0={digest}",
    }


def _user_name(user_id: str) -> str:
    return user_id.removeprefix("U0").lower() or user_id.lower()


def slash_command_body(
    text: str,
    user_id: str = USER_ID,
    channel_id: str = CHANNEL_ID,
    command: str = "/incident",
    trigger_id: str = TRIGGER_ID,
    team_id: str = TEAM_ID,
    response_url: str = f"https://hooks.slack.com/commands/{TEAM_ID}/1700000000/abcdefghijklmnop",
    channel_name: str | None = None,
) -> str:
    """A slash-command invocation: the urlencoded form Slack posts, fields in Slack's order."""
    return urlencode(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": channel_name or channel_id.lower(),
            "user_id": user_id,
            "user_name": _user_name(user_id),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def _user(user_id: str, team_id: str) -> dict[str, str]:
    name = _user_name(user_id)
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def _payload_form(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))})


def block_actions_body(
    action_id: str,
    value: str | None = None,
    user_id: str = USER_ID,
    selected_option: dict[str, Any] | None = None,
    message_ts: str | None = None,
    channel_id: str = CHANNEL_ID,
    trigger_id: str = TRIGGER_ID,
    block_id: str = "actions",
    team_id: str = TEAM_ID,
    message: dict[str, Any] | None = None,
) -> str:
    """A click on a message button (or a pick in a static_select when selected_option is set)."""
    ts = message_ts or MESSAGE_TS
    action: dict[str, Any] = {"action_id": action_id, "block_id": block_id}
    if selected_option is not None:
        action.update(
            {
                "type": "static_select",
                "selected_option": selected_option,
                "placeholder": {"type": "plain_text", "text": "Severity", "emoji": True},
            }
        )
    else:
        action.update(
            {
                "type": "button",
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
            }
        )
        if value is not None:
            action["value"] = value
    action["action_ts"] = f"{int(time.time())}.000200"
    payload = {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": trigger_id,
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_id.lower()},
        "message": message
        or {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": team_id,
            "ts": ts,
            "text": "",
            "blocks": [],
        },
        "state": {"values": {}},
        "response_url": f"https://hooks.slack.com/actions/{team_id}/1700000000/abcdefghijklmnop",
        "actions": [action],
    }
    return _payload_form(payload)


def view_submission_body(
    callback_id: str,
    values: dict[str, dict[str, dict[str, Any]]],
    private_metadata: str = "",
    user_id: str = USER_ID,
    view_id: str = VIEW_ID,
    team_id: str = TEAM_ID,
) -> str:
    """A modal's submit: `values` is state.values, {block_id: {action_id: {type, value}}}."""
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": _user(user_id, team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": TRIGGER_ID,
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": values},
            "hash": "1700000000.abcdefgh",
            "title": {"type": "plain_text", "text": "Firebell", "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
            "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": APP_ID,
            "external_id": "",
            "app_installed_team_id": team_id,
            "bot_id": BOT_ID,
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _payload_form(payload)


def event_body(
    event: dict[str, Any],
    team_id: str = TEAM_ID,
    *,
    event_id: str | None = None,
    event_time: int | None = None,
) -> str:
    """An Events API delivery: the event_callback envelope around `event`, as JSON."""
    envelope = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event_ids):010d}",
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
    return json.dumps(envelope)


def url_verification_body(challenge: str) -> str:
    """The handshake Slack sends when the Request URL is saved in the app settings."""
    return json.dumps(
        {
            "token": VERIFICATION_TOKEN,
            "challenge": challenge,
            "type": "url_verification",
        }
    )
