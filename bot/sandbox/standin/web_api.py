"""The Web API methods the bot calls (chat.*, views.*, users.*, conversations.*, files.*,
usergroups.*), answered as Slack answers them, over the workspace state; with the token check
and the record of every call, which tests inspect and wait on.

The handlers change the state and say what Slack would answer; carrying calls over HTTP (and
failing them on purpose) is the server's part (bot/sandbox/standin/server.py).
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.sandbox.standin import refusals
from bot.sandbox.standin.shapes import (
    Answer,
    asked,
    error,
    is_top_level,
    listed_message,
    usergroup_object,
    wire_message,
)
from bot.sandbox.standin.state import TRIGGER_TTL, WorkspaceState

TOKEN_PREFIXES = ("xoxb-", "xapp-")
APP_TOKEN_PREFIX = "xapp-"
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
"""Methods that take only an app-level token; any other token is `invalid_auth`."""

Params = dict[str, Any]


@dataclass
class Call:
    """One request the double received, recorded whether or not it succeeded."""

    method: str
    params: Params
    token: str | None
    seq: int
    fault: str | None = None
    error: str | None = None  # what Slack answered when it refused the call (ok: false)
    http_verb: str = "POST"
    encoding: str = "form"  # "json", "form", "multipart" or "query"
    peer: str | None = None  # the caller's address and port: which connection it came over


class WebApi(WorkspaceState):
    """The workspace as the bot reaches it: Slack's Web API methods, by name."""

    def __init__(self, **identity: Any) -> None:
        """`identity`: the workspace's ids and clock, as `WorkspaceState` takes them."""
        super().__init__(**identity)
        self.calls: list[Call] = []
        self.tokens: set[str] | None = None
        """Bot tokens accepted; None accepts any `xoxb-` token (the tests' default)."""
        self._port: int | None = None
        self._changed = asyncio.Condition()
        self._handlers: dict[str, Callable[[Params], Answer]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.lookupByEmail": self._users_lookup_by_email,
            "users.info": self._users_info,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.join": self._conversations_join,
            "conversations.open": self._conversations_open,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "usergroups.list": self._usergroups_list,
            "usergroups.users.list": self._usergroups_users_list,
        }

    @property
    def port(self) -> int:
        """The port it is served on (set by the server when it starts)."""
        if self._port is None:
            raise RuntimeError("SlackDouble is not started")
        return self._port

    @property
    def url(self) -> str:
        """The base URL for slack_sdk (`base_url`), ending in "/api/" like the real one."""
        return f"http://127.0.0.1:{self.port}/api/"

    def clear(self) -> None:
        """Forget every message, view and call (users, channels and groups stay)."""
        self.calls.clear()
        super().clear()

    # -- inspection --------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def reset_calls(self) -> None:
        self.calls.clear()

    async def wait_for(self, method: str, count: int = 1, *, within: float = 5.0) -> list[Call]:
        """Wait until `count` calls to `method` arrived: for work the bot does after its ack."""
        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(lambda: len(self.calls_to(method)) >= count)
        except TimeoutError:
            seen = [call.method for call in self.calls]
            raise AssertionError(
                f"expected {count} call(s) to {method} within {within}s; got {seen}"
            ) from None
        return self.calls_to(method)

    async def wait_until(
        self, predicate: Callable[[], bool], *, within: float = 5.0, what: str = "condition"
    ) -> None:
        """Wait until `predicate()` holds; it is checked after every call and socket change."""
        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(predicate)
        except TimeoutError:
            seen = [call.method for call in self.calls]
            raise AssertionError(f"{what} did not hold within {within}s; calls: {seen}") from None

    async def _notify(self) -> None:
        """Wake every waiter, to check its condition again."""
        async with self._changed:
            self._changed.notify_all()

    # -- answering ---------------------------------------------------------------------------

    def _answer(self, method: str, params: Params | None, token: str | None) -> Answer:
        """What Slack answers to a call that got through: unknown method, bad JSON and bad
        tokens first, then what Slack refuses (refusals.py), then the method's own answer."""
        handler = self._handlers.get(method)
        if handler is None:
            return error("unknown_method")
        if params is None:
            return error("invalid_json")
        if token is None or not token.startswith(TOKEN_PREFIXES):
            return error("invalid_auth")
        if method in APP_TOKEN_METHODS and not token.startswith(APP_TOKEN_PREFIX):
            return error("invalid_auth")
        if self.tokens is not None and method not in APP_TOKEN_METHODS and token not in self.tokens:
            return error("invalid_auth")
        return refusals.refusal(self, method, params) or handler(params)

    def _channel_error(self, channel: str) -> Answer | None:
        if not channel or channel in self.missing_channels:
            return error("channel_not_found")
        return None

    # -- methods -----------------------------------------------------------------------------

    def _auth_test(self, params: Params) -> Answer:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": "firebell",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: Params) -> Answer:
        channel = _as_str(params.get("channel")) or ""
        if failed := self._channel_error(channel):
            return failed
        if not any(params.get(k) for k in ("text", "blocks", "attachments")):
            return error("no_text")
        if channel.startswith(("U", "W")):  # a user id: Slack posts in the app's DM with them
            channel = self.dm_channel(channel)
        ts = self._next_ts()
        message: Answer = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "ts": ts,
            "thread_ts": _as_str(params.get("thread_ts")) or None,
            "text": _as_str(params.get("text")) or "",
            "blocks": params.get("blocks"),
        }
        for key in ("attachments", "metadata"):
            if params.get(key) is not None:
                message[key] = params[key]
        self._store_message(channel, message)
        return {"ok": True, "channel": channel, "ts": ts, "message": wire_message(message)}

    def _message_of(self, params: Params) -> tuple[str, Answer | None, Answer | None]:
        """(channel, the message `channel`/`ts` name, or Slack's error when there is none)."""
        channel = _as_str(params.get("channel")) or ""
        if failed := self._channel_error(channel):
            return channel, None, failed
        message = self._find(channel, _as_str(params.get("ts")) or "")
        if message is None:
            return channel, None, error("message_not_found")
        return channel, message, None

    def _chat_update(self, params: Params) -> Answer:
        channel, message, failed = self._message_of(params)
        if failed:
            return failed
        if not any(k in params for k in ("text", "blocks", "attachments")):
            return error("no_text")
        # As documented: fields left out keep their previous value.
        if "text" in params:
            message["text"] = _as_str(params["text"]) or ""
        for key in ("blocks", "attachments", "metadata"):
            if key in params:
                message[key] = params[key]
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        self._emit("message", {"channel": channel, "message": wire_message(message)})
        return {
            "ok": True,
            "channel": channel,
            "ts": message["ts"],
            "text": message["text"],
            "message": wire_message(message),
        }

    def _chat_delete(self, params: Params) -> Answer:
        channel, message, failed = self._message_of(params)
        if failed:
            return failed
        self._messages[channel].remove(message)
        self._emit("message_deleted", {"channel": channel, "ts": message["ts"]})
        return {"ok": True, "channel": channel, "ts": message["ts"]}

    def _chat_post_ephemeral(self, params: Params) -> Answer:
        channel = _as_str(params.get("channel")) or ""
        if failed := self._channel_error(channel):
            return failed
        if not params.get("user"):
            return error("user_not_found")
        if not any(params.get(k) for k in ("text", "blocks", "attachments")):
            return error("no_text")
        if channel.startswith(("U", "W")):
            channel = self.dm_channel(channel)
        user = _as_str(params["user"]) or ""
        note = self.add_ephemeral(
            channel, user, _as_str(params.get("text")) or "", params.get("blocks")
        )
        return {"ok": True, "message_ts": note["ts"]}

    def _chat_get_permalink(self, params: Params) -> Answer:
        channel = _as_str(params.get("channel")) or ""
        if failed := self._channel_error(channel):
            return failed
        ts = _as_str(params.get("message_ts")) or ""
        if not ts:
            return error("message_not_found")
        link = f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        message = self._find(channel, ts)
        if message is not None and not is_top_level(message):
            link += f"?thread_ts={message['thread_ts']}&cid={channel}"
        return {"ok": True, "channel": channel, "permalink": link}

    def _views_open(self, params: Params) -> Answer:
        trigger = _as_str(params.get("trigger_id") or params.get("interactivity_pointer"))
        if not trigger:
            return error("invalid_arguments")
        if not isinstance(params.get("view"), dict):
            return error("invalid_arguments")
        # A trigger this stand-in handed out names who the modal opens for, and expires as in
        # Slack; others (the tests' fixed TRIGGER_ID) are accepted and open for nobody.
        issued = self._triggers.get(trigger)
        if issued is not None and time.monotonic() - issued[1] > TRIGGER_TTL:
            return error("expired_trigger_id")
        view = self._view_object(params["view"], self._new_view_id())
        if issued is not None:
            self.views[view["id"]] = {**copy.deepcopy(view), "user": issued[0]}
            self._emit("view", self.views[view["id"]])
        return {"ok": True, "view": view}

    def _views_update(self, params: Params) -> Answer:
        view_id = _as_str(params.get("view_id"))
        external_id = _as_str(params.get("external_id")) or ""
        if not view_id and not external_id:
            return error("invalid_arguments")
        if not isinstance(params.get("view"), dict):
            return error("invalid_arguments")
        if not view_id:
            view_id = next(
                (v["id"] for v in self.views.values() if v.get("external_id") == external_id),
                None,
            )
        view = self._view_object(
            params["view"], view_id or self._new_view_id(), external_id=external_id
        )
        if view["id"] in self.views:
            user = self.views[view["id"]]["user"]
            self.views[view["id"]] = {**copy.deepcopy(view), "user": user}
            self._emit("view", self.views[view["id"]])
        return {"ok": True, "view": view}

    def _views_publish(self, params: Params) -> Answer:
        user_id = _as_str(params.get("user_id"))
        if not user_id:
            return error("invalid_arguments")
        if not isinstance(params.get("view"), dict):
            return error("invalid_arguments")
        previous = self.home_views.get(user_id)
        view = self._view_object(
            params["view"], previous["id"] if previous else self._new_view_id()
        )
        view["type"] = "home"
        self.home_views[user_id] = view
        self._emit("home", {"user": user_id, "view": view})
        return {"ok": True, "view": copy.deepcopy(view)}

    def _users_lookup_by_email(self, params: Params) -> Answer:
        user = self._users_by_email.get((_as_str(params.get("email")) or "").lower())
        if user is None:
            return error("users_not_found")
        return {"ok": True, "user": copy.deepcopy(user)}

    def _users_info(self, params: Params) -> Answer:
        """Users added with `add_user`; any other id is not in the workspace."""
        user = self._users_by_id.get(_as_str(params.get("user")) or "")
        if user is None:
            return error("user_not_found")
        return {"ok": True, "user": copy.deepcopy(user)}

    def _conversations_info(self, params: Params) -> Answer:
        channel = _as_str(params.get("channel")) or ""
        if failed := self._channel_error(channel):
            return failed
        return {"ok": True, "channel": self._channel_object(channel)}

    def _conversations_history(self, params: Params) -> Answer:
        channel = _as_str(params.get("channel")) or ""
        if failed := self._channel_error(channel):
            return failed
        limit = int(params.get("limit") or 100)
        newest_first = [m for m in reversed(self._messages.get(channel, [])) if is_top_level(m)]
        return {
            "ok": True,
            "messages": [listed_message(m, params) for m in newest_first[:limit]],
            "has_more": len(newest_first) > limit,
            "pin_count": 0,
            "response_metadata": {"next_cursor": ""},
        }

    def _conversations_replies(self, params: Params) -> Answer:
        channel = _as_str(params.get("channel")) or ""
        if failed := self._channel_error(channel):
            return failed
        ts = _as_str(params.get("ts")) or ""
        parent = self._find(channel, ts)
        if parent is None:
            return error("thread_not_found")
        messages = [
            parent,
            *(m for m in self._messages[channel] if m.get("thread_ts") == ts and m is not parent),
        ]
        return {
            "ok": True,
            "messages": [listed_message(m, params) for m in messages],
            "has_more": False,
            "response_metadata": {"next_cursor": ""},
        }

    def _conversations_open(self, params: Params) -> Answer:
        """The bot's DM with one person (`users`), as Slack opens or finds it."""
        user = _as_str(params.get("users")) or ""
        if not user:
            return error("users_list_not_supplied")
        if "," in user or not user.startswith(("U", "W")):
            return error("invalid_arguments")  # group DMs: not something the bot opens
        channel = self.dm_channel(user)
        return {"ok": True, "channel": {"id": channel}}

    def _conversations_join(self, params: Params) -> Answer:
        channel = _as_str(params.get("channel")) or ""
        if failed := self._channel_error(channel):
            return failed
        answer: Answer = {"ok": True}
        if channel in self.joined:
            answer["warning"] = "already_in_channel"
            answer["response_metadata"] = {"warnings": ["already_in_channel"]}
        self.joined.add(channel)
        answer["channel"] = self._channel_object(channel)
        return answer

    def _files_get_upload_url(self, params: Params) -> Answer:
        if not params.get("filename") or not params.get("length"):
            return error("invalid_arguments")
        file_id = f"F0FILE{next(self._file_ids):04d}"
        self._files[file_id] = {
            "id": file_id,
            "name": params["filename"],
            "title": params["filename"],
        }
        return {
            "ok": True,
            "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}",
            "file_id": file_id,
        }

    def _files_complete_upload(self, params: Params) -> Answer:
        files = params.get("files")
        if not isinstance(files, list) or not files:
            return error("invalid_arguments")
        completed = []
        for item in files:
            known = self._files.get(item.get("id", "")) if isinstance(item, dict) else None
            if known is None:
                return error("file_not_found")
            if item.get("title"):
                known["title"] = item["title"]
            completed.append({"id": known["id"], "title": known["title"]})
        return {"ok": True, "files": completed}

    def _usergroups_list(self, params: Params) -> Answer:
        """Every group (none is disabled here); members only with `include_users`."""
        members = asked(params, "include_users")
        groups = [
            usergroup_object(group, users if members else None, team_id=self.team_id)
            for group, users in self.usergroups.items()
        ]
        return {"ok": True, "usergroups": groups}

    def _usergroups_users_list(self, params: Params) -> Answer:
        """Unknown groups list no members rather than failing, so page targets stay harmless."""
        group = _as_str(params.get("usergroup")) or ""
        if not group:
            return error("invalid_arguments")
        return {"ok": True, "users": list(self.usergroups.get(group, []))}


def _as_str(value: Any) -> str | None:
    return None if value is None else str(value)
