"""Slack's objects as its Web API returns them (users, channels, views, messages), in one place
so the stand-in's answers keep Slack's documented shapes (tests/fixtures/slack/, compared by
tests/sandbox/test_standin_shapes.py)."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

Answer = dict[str, Any]


def user_object(
    user_id: str,
    *,
    team_id: str,
    email: str | None = None,
    name: str | None = None,
    real_name: str | None = None,
    tz: str = "Europe/Berlin",
    tz_offset: int = 3600,
) -> Answer:
    """A user as users.info and users.lookupByEmail return one (Slack's documented shape,
    tests/fixtures/slack/users.info.json)."""
    name = name or user_id.lower()
    real_name = real_name or name
    profile: Answer = {
        "avatar_hash": "g" + hashlib.sha1(user_id.encode()).hexdigest()[:11],
        "status_text": "",
        "status_emoji": "",
        "real_name": real_name,
        "display_name": name,
        "real_name_normalized": real_name,
        "display_name_normalized": name,
    }
    if email:
        profile["email"] = email
    profile["team"] = team_id
    return {
        "id": user_id,
        "team_id": team_id,
        "name": name,
        "deleted": False,
        "color": "9f69e7",
        "real_name": real_name,
        "tz": tz,
        "tz_label": tz,
        "tz_offset": tz_offset,
        "profile": profile,
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": False,
        "updated": 1_600_000_000,
        "is_app_user": False,
        "has_2fa": False,
    }


def dm_channel_object(channel: str, user_id: str, *, team_id: str) -> Answer:
    """The bot's direct-message channel with `user_id`, as conversations.info returns it."""
    return {
        "id": channel,
        "is_im": True,
        "user": user_id,
        "is_user_deleted": False,
        "created": 1_600_000_000,
        "context_team_id": team_id,
    }


def channel_object(
    channel: str, name: str, *, team_id: str, is_member: bool, is_private: bool = False
) -> Answer:
    """A channel as conversations.info and conversations.join return it."""
    return {
        "id": channel,
        "name": name,
        "is_channel": True,  # private ones too, since 2021 (is_group: legacy G-channels)
        "is_group": False,
        "is_im": False,
        "is_mpim": False,
        "is_private": is_private,
        "created": 1_600_000_000,
        "creator": "U0CREATOR",
        "is_archived": False,
        "is_general": False,
        "unlinked": 0,
        "name_normalized": name,
        "is_shared": False,
        "is_ext_shared": False,
        "is_org_shared": False,
        "pending_shared": [],
        "is_pending_ext_shared": False,
        "is_member": is_member,
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
        "previous_names": [],
        "context_team_id": team_id,
    }


def view_object(
    view: Any, view_id: str, *, team_id: str, app_id: str, bot_id: str, external_id: str = ""
) -> Answer:
    """A modal or Home view as views.open, views.update and views.publish return it, built
    from the view the app sent."""
    given = view if isinstance(view, dict) else {}
    return {
        "id": view_id,
        "team_id": team_id,
        "type": given.get("type", "modal"),
        "title": plain_text(given.get("title")),
        "submit": plain_text(given.get("submit")),
        "close": plain_text(given.get("close")),
        "blocks": given.get("blocks", []),
        "private_metadata": given.get("private_metadata", ""),
        "callback_id": given.get("callback_id", ""),
        "state": {"values": {}},
        "hash": f"1700000000.{view_id}",
        "clear_on_close": given.get("clear_on_close", False),
        "notify_on_close": given.get("notify_on_close", False),
        "root_view_id": view_id,
        "previous_view_id": None,
        "app_id": app_id,
        "external_id": given.get("external_id", external_id),
        "app_installed_team_id": team_id,
        "bot_id": bot_id,
    }


def plain_text(value: Any) -> Any:
    """A plain_text object as Slack returns it: `emoji` filled in (true) when left out."""
    if isinstance(value, dict) and value.get("type") == "plain_text" and "emoji" not in value:
        return {**value, "emoji": True}
    return value


def is_top_level(message: Answer) -> bool:
    """A channel message rather than a reply in a thread (a thread's root is top level)."""
    return message.get("thread_ts") in (None, message["ts"])


def wire_message(message: Answer) -> Answer:
    """A stored message as Slack returns it: absent fields are left out, not null."""
    return {k: copy.deepcopy(v) for k, v in message.items() if v is not None}


def error(code: str) -> Answer:
    """Slack's answer to a call it refuses: `{"ok": false, "error": "<code>"}`."""
    return {"ok": False, "error": code}


def asked(params: Answer, flag: str) -> bool:
    """A boolean argument as Slack reads it: `true` or `1`."""
    return str(params.get(flag)).lower() in ("true", "1")


def listed_message(message: Answer, params: Answer) -> Answer:
    """A message as conversations.history/replies list it: its metadata only when asked for
    with `include_all_metadata`, as Slack does."""
    listed = wire_message(message)
    if not asked(params, "include_all_metadata"):
        listed.pop("metadata", None)
    return listed


def usergroup_object(group_id: str, users: list[str] | None, *, team_id: str) -> Answer:
    """A user group as usergroups.list returns one; `users` only when asked for."""
    handle = group_id.lower()
    group: Answer = {
        "id": group_id,
        "team_id": team_id,
        "is_usergroup": True,
        "name": handle,
        "description": "",
        "handle": handle,
        "is_external": False,
        "date_create": 1_600_000_000,
        "date_update": 1_600_000_000,
        "date_delete": 0,
        "auto_type": None,
        "created_by": "U0CREATOR",
        "updated_by": "U0CREATOR",
        "deleted_by": None,
        "prefs": {"channels": [], "groups": []},
    }
    if users is not None:
        group["users"] = list(users)
    return group
