"""Requests as Slack sends them to the bot: signed headers and payload bodies in Slack's formats.

Signing follows https://api.slack.com/authentication/verifying-requests-from-slack: the
signature is `v0=` + hex HMAC-SHA256 over `v0:{timestamp}:{raw body}` with the signing secret.
Bodies mirror what Slack posts: slash commands as a urlencoded form, interactions as a form with
one `payload` field holding JSON, Events API callbacks as JSON.

The tests sign with these (tests/support/signing.py re-exports them), and so does the sandbox
when a person in its page runs a command, clicks a button or submits a modal: each `*_body`
function has a `*_payload` twin that returns the dict, for callers that fill in more fields.
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
TRIGGER_ID = "13345224609.738474920.8088930838d88f008e0"  # a trigger_id as Slack writes one
MESSAGE_TS = "1700000000.000100"  # the first ts the SlackDouble hands out
VIEW_ID = "V0VIEW0001"

_event_ids = itertools.count(1)
_trigger_ids = itertools.count(1)


def new_trigger_id() -> str:
    """A trigger_id of its own, as Slack puts in every command and interaction it sends: two
    uses of one command are never the same request (the bot refuses a request seen before)."""
    return f"13345224609.738474920.{next(_trigger_ids):019x}"


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


def slash_command_payload(
    text: str,
    user_id: str = USER_ID,
    channel_id: str = CHANNEL_ID,
    command: str = "/incident",
    trigger_id: str | None = None,
    team_id: str = TEAM_ID,
    response_url: str = f"https://hooks.slack.com/commands/{TEAM_ID}/1700000000/abcdefghijklmnop",
    channel_name: str | None = None,
    user_name: str | None = None,
    team_domain: str = TEAM_DOMAIN,
) -> dict[str, str]:
    """A slash-command invocation's fields, in Slack's order."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name or channel_id.lower(),
        "user_id": user_id,
        "user_name": user_name or _user_name(user_id),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }


def slash_command_body(text: str, **fields: Any) -> str:
    """A slash-command invocation: the urlencoded form Slack posts (see slash_command_payload)."""
    return urlencode(slash_command_payload(text, **fields))


def _user(user_id: str, team_id: str, name: str | None = None) -> dict[str, str]:
    name = name or _user_name(user_id)
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def payload_form(payload: dict[str, Any]) -> str:
    """An interaction as Slack posts it: a form whose one field, `payload`, holds the JSON."""
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))})


_payload_form = payload_form


def block_actions_payload(
    action_id: str,
    value: str | None = None,
    user_id: str = USER_ID,
    selected_option: dict[str, Any] | None = None,
    message_ts: str | None = None,
    channel_id: str = CHANNEL_ID,
    trigger_id: str | None = None,
    block_id: str = "actions",
    team_id: str = TEAM_ID,
    message: dict[str, Any] | None = None,
    *,
    action: dict[str, Any] | None = None,
    action_ts: str | None = None,
    state_values: dict[str, Any] | None = None,
    channel_name: str | None = None,
    user_name: str | None = None,
    team_domain: str = TEAM_DOMAIN,
    container: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A click on a message button (or a pick in a static_select when selected_option is set).

    `action` given: the element as the message holds it (type, text, value, style, ...), which
    Slack copies into the payload; `container` and `view` given: a click in a view (App Home)
    rather than in a message, which then has no `channel` nor `message`."""
    ts = message_ts or MESSAGE_TS
    if action is not None:
        element = {k: v for k, v in action.items() if k not in ("confirm", "options")}
        element.pop("initial_option", None)
        element.update({"action_id": action_id, "block_id": block_id})
        if selected_option is not None:
            element["selected_option"] = selected_option
    else:
        element = {"action_id": action_id, "block_id": block_id}
        if selected_option is not None:
            element.update(
                {
                    "type": "static_select",
                    "selected_option": selected_option,
                    "placeholder": {"type": "plain_text", "text": "Severity", "emoji": True},
                }
            )
        else:
            element.update(
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": action_id, "emoji": True},
                }
            )
            if value is not None:
                element["value"] = value
    element["action_ts"] = action_ts or f"{int(time.time())}.000200"
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, team_id, user_name),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container
        or {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if view is not None:
        payload["view"] = view
    else:
        payload["channel"] = {"id": channel_id, "name": channel_name or channel_id.lower()}
        payload["message"] = message or {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": team_id,
            "ts": ts,
            "text": "",
            "blocks": [],
        }
        payload["response_url"] = (
            f"https://hooks.slack.com/actions/{team_id}/1700000000/abcdefghijklmnop"
        )
    payload["state"] = {"values": state_values or {}}
    payload["actions"] = [element]
    return payload


def block_actions_body(action_id: str, value: str | None = None, **fields: Any) -> str:
    """A click, as the form Slack posts (see block_actions_payload)."""
    return payload_form(block_actions_payload(action_id, value, **fields))


def view_submission_payload(
    callback_id: str,
    values: dict[str, dict[str, dict[str, Any]]],
    private_metadata: str = "",
    user_id: str = USER_ID,
    view_id: str = VIEW_ID,
    team_id: str = TEAM_ID,
    *,
    view: dict[str, Any] | None = None,
    trigger_id: str | None = None,
    user_name: str | None = None,
    team_domain: str = TEAM_DOMAIN,
) -> dict[str, Any]:
    """A modal's submit: `values` is state.values, {block_id: {action_id: {type, value}}}.

    `view` given: the view as the stand-in holds it (blocks, title, hash, ...), sent back with
    the state filled in, as Slack does."""
    shown: dict[str, Any] = {
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
    }
    if view is not None:
        shown.update({k: v for k, v in view.items() if k in shown})
        shown["state"] = {"values": values}
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": team_domain},
        "user": _user(user_id, team_id, user_name),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "view": shown,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_submission_body(
    callback_id: str, values: dict[str, dict[str, dict[str, Any]]], **fields: Any
) -> str:
    """A modal's submit, as the form Slack posts (see view_submission_payload)."""
    return payload_form(view_submission_payload(callback_id, values, **fields))


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
