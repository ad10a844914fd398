"""What the stand-in's Slack workspace holds (people, channels, groups, messages, ephemeral
messages, modals, App Home views, files), and what people do in it, apart from the Web API
that changes it, so tests and the sandbox's page can set it up, act and look without HTTP.

Every change a person in Slack would see is told to the listeners of `subscribe` (the
sandbox's page follows them); all of it is synchronous, so the event loop never sees an
update half-way.
"""

from __future__ import annotations

import copy
import itertools
import time
import uuid
from collections.abc import Callable
from typing import Any

from bot.clock import Clock
from bot.sandbox.standin.shapes import (
    Answer,
    channel_object,
    dm_channel_object,
    is_top_level,
    user_object,
    view_object,
    wire_message,
)

FIRST_TS_MICROS = 1_700_000_000_000_000
TRIGGER_TTL = 3.0
"""Seconds a trigger_id the stand-in handed out stays usable, as in Slack."""

Listener = Callable[[str, Answer], None]
"""Told of every change a viewer would see: `(kind, data)`, e.g. ("message", {...})."""


class WorkspaceState:
    """One Slack workspace with the bot installed: its directory and what is on screen."""

    def __init__(
        self,
        *,
        team_id: str,
        team_domain: str,
        bot_user_id: str,
        bot_id: str,
        app_id: str,
        team_name: str,
        clock: Clock | None,
    ) -> None:
        """`clock` given: message timestamps follow it (the sandbox's fast clock); without
        one they count up from FIRST_TS_MICROS, so tests know the first ts in advance."""
        self.team_id = team_id
        self.team_domain = team_domain
        self.team_name = team_name
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.clock = clock

        self.missing_channels: set[str] = set()
        self.channel_names: dict[str, str] = {}
        self.joined: set[str] = set()
        """Channels the bot is a member of (conversations.join, or invited by a test); it may
        post to any public channel, but upload files only where it is a member."""
        self.private_channels: set[str] = set()
        """Private channels: invisible to the bot (channel_not_found) unless it is in them."""
        self.usergroups: dict[str, list[str]] = {}
        self.uploads: dict[str, bytes] = {}
        self.home_views: dict[str, Answer] = {}
        self.ephemerals: list[Answer] = []
        """chat.postEphemeral messages: each with `channel`, `user` (who sees it), `ts`."""
        self.views: dict[str, Answer] = {}
        """Modals opened with views.open / views.push, by view id, each with its `user`."""
        self.dm_users: dict[str, str] = {}
        """Direct-message channel id -> the user the bot talks to there."""

        self._users_by_email: dict[str, Answer] = {}
        self._users_by_id: dict[str, Answer] = {}
        self._messages: dict[str, list[Answer]] = {}
        self._files: dict[str, Answer] = {}
        self._seq = itertools.count(1)
        """Numbers recorded calls and issued triggers alike, in the order they happened."""
        self._ts = itertools.count(1)
        self._last_ts_micros = 0
        self._triggers: dict[str, tuple[str, float]] = {}
        self._listeners: list[Listener] = []
        self._view_ids = itertools.count(1)
        self._file_ids = itertools.count(1)

    # -- set-up ------------------------------------------------------------------------------

    def add_user(
        self,
        email: str,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        tz: str = "Europe/Berlin",
        tz_offset: int = 3600,
        title: str = "",
    ) -> Answer:
        """Make a workspace member known to users.lookupByEmail and users.info."""
        user = self._user_object(
            user_id, email=email, name=name, real_name=real_name, tz=tz, tz_offset=tz_offset
        )
        if title:
            user["profile"]["title"] = title
        self._users_by_email[email.lower()] = user
        self._users_by_id[user_id] = user
        return copy.deepcopy(user)

    def add_channel(
        self, channel_id: str, name: str, *, private: bool = False, member: bool = False
    ) -> None:
        """A channel; `private` ones the bot sees only as a `member` (invited with /invite)."""
        self.channel_names[channel_id] = name
        if private:
            self.private_channels.add(channel_id)
        if member:
            self.joined.add(channel_id)

    def is_member(self, channel: str) -> bool:
        """Whether the bot is in `channel`: one it joined or was invited to, or its DMs."""
        return channel in self.joined or channel in self.dm_users or channel.startswith("D")

    def add_usergroup(self, usergroup_id: str, user_ids: list[str]) -> None:
        self.usergroups[usergroup_id] = list(user_ids)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(kind, data)` on every change a person in Slack would see; returns
        the function that unsubscribes. Kinds: message, message_deleted, ephemeral, view,
        view_closed, home."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def clear(self) -> None:
        """Forget every message and view (users, channels and groups stay); the next
        message's ts follows the clock again, not the last message forgotten."""
        self._messages.clear()
        self._last_ts_micros = 0
        self.ephemerals.clear()
        self.views.clear()
        self.home_views.clear()
        self.dm_users.clear()
        self._triggers.clear()
        self.joined.clear()

    # -- what people do ----------------------------------------------------------------------

    def issue_trigger(self, user_id: str) -> str:
        """A trigger_id for one interaction of `user_id`, as Slack puts in the payloads it
        sends; views.open with it opens a modal for that user within TRIGGER_TTL seconds."""
        stamp = int(time.time())
        trigger = f"{stamp}.{next(self._seq)}.{uuid.uuid4().hex[:32]}"
        self._triggers[trigger] = (user_id, time.monotonic())
        return trigger

    def dm_channel(self, user_id: str) -> str:
        """The id of the bot's direct-message channel with `user_id` (opened on first use)."""
        channel = "D" + user_id[1:]
        self.dm_users[channel] = user_id
        return channel

    def post_as_user(self, channel: str, user_id: str, text: str, thread_ts: str = "") -> Answer:
        """A message a person typed (the sandbox's message box); returns the stored message."""
        message: Answer = {
            "type": "message",
            "user": user_id,
            "team": self.team_id,
            "ts": self._next_ts(),
            "thread_ts": thread_ts or None,
            "text": text,
            "blocks": None,
        }
        self._store_message(channel, message)
        return copy.deepcopy(message)

    def add_ephemeral(
        self, channel: str, user_id: str, text: str, blocks: Any = None, *, slackbot: bool = False
    ) -> Answer:
        """An ephemeral message only `user_id` sees in `channel`: what Slack does with the
        body of a slash command's acknowledgement, and with chat.postEphemeral. `slackbot`:
        Slack's own words (an unknown command, an app that did not answer)."""
        message: Answer = {
            "type": "message",
            "subtype": "ephemeral",
            "channel": channel,
            "user": user_id,
            "bot_id": None if slackbot else self.bot_id,
            "slackbot": slackbot,
            "ts": self._next_ts(),
            "text": text or "",
            "blocks": blocks if isinstance(blocks, list) else None,
        }
        self.ephemerals.append(message)
        self._emit("ephemeral", message)
        return copy.deepcopy(message)

    def show_view(self, user_id: str, view: Answer, *, view_id: str | None = None) -> Answer:
        """Show `view` to `user_id` as a modal: replacing `view_id`, or on top (None); what an
        app's `response_action: update` or `push` does."""
        shown = self._view_object(view, view_id or self._new_view_id())
        self.views[shown["id"]] = {**shown, "user": user_id}
        self._emit("view", self.views[shown["id"]])
        return copy.deepcopy(shown)

    def close_view(self, view_id: str) -> None:
        """The person closed a modal, or the bot's answer to its submission closed it."""
        view = self.views.pop(view_id, None)
        if view is not None:
            self._emit("view_closed", {"id": view_id, "user": view.get("user")})

    # -- what Slack shows --------------------------------------------------------------------

    def channels(self) -> dict[str, Answer]:
        """Every channel that has a name or messages, with its name and whether it is a DM."""
        found: dict[str, Answer] = {}
        for channel in [*self.channel_names, *self._messages]:
            if channel in found:
                continue
            found[channel] = {
                "id": channel,
                "name": self.channel_names.get(channel, channel.lower()),
                "is_im": channel in self.dm_users,
                "user": self.dm_users.get(channel),
            }
        return found

    def users(self) -> list[Answer]:
        """The workspace members added with `add_user`, in the order they were added."""
        return copy.deepcopy(list(self._users_by_id.values()))

    def messages(self, channel: str, *, top_level_only: bool = False) -> list[Answer]:
        """Current messages in `channel` (replies included unless asked), oldest first."""
        found = self._messages.get(channel, [])
        if top_level_only:
            found = [m for m in found if is_top_level(m)]
        return copy.deepcopy(found)

    def message(self, channel: str, ts: str) -> Answer | None:
        found = self._find(channel, ts)
        return copy.deepcopy(found) if found else None

    def thread(self, channel: str, thread_ts: str) -> list[Answer]:
        """Replies under `thread_ts`, oldest first, without the parent message."""
        return copy.deepcopy(
            [
                m
                for m in self._messages.get(channel, [])
                if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts
            ]
        )

    def home_view(self, user_id: str) -> Answer | None:
        """The App Home view last published for `user_id`."""
        view = self.home_views.get(user_id)
        return copy.deepcopy(view) if view else None

    # -- keeping it --------------------------------------------------------------------------

    def _emit(self, kind: str, data: Answer) -> None:
        for listener in list(self._listeners):
            listener(kind, copy.deepcopy(data))

    def _next_ts(self) -> str:
        """Unique and increasing: from the clock when there is one (Slack's ts is the time
        the message was posted), else counting up from FIRST_TS_MICROS."""
        if self.clock is None:
            micros = FIRST_TS_MICROS + next(self._ts) * 100
        else:
            now = self.clock.now()
            micros = max(
                int(now.timestamp()) * 1_000_000 + now.microsecond, self._last_ts_micros + 1
            )
        self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _find(self, channel: str, ts: str) -> Answer | None:
        return next((m for m in self._messages.get(channel, []) if m["ts"] == ts), None)

    def _store_message(self, channel: str, message: Answer) -> None:
        if message["thread_ts"]:
            parent = self._find(channel, message["thread_ts"])
            if parent is not None:  # Slack marks the parent as a thread root
                message["parent_user_id"] = parent.get("user")
                parent["thread_ts"] = parent["ts"]
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent["latest_reply"] = message["ts"]
                self._emit("message", {"channel": channel, "message": wire_message(parent)})
        self._messages.setdefault(channel, []).append(message)
        self._emit("message", {"channel": channel, "message": wire_message(message)})

    def _new_view_id(self) -> str:
        return f"V0VIEW{next(self._view_ids):04d}"

    def _view_object(self, view: Any, view_id: str, *, external_id: str = "") -> Answer:
        return view_object(
            view,
            view_id,
            team_id=self.team_id,
            app_id=self.app_id,
            bot_id=self.bot_id,
            external_id=external_id,
        )

    def _channel_object(self, channel: str) -> Answer:
        if channel in self.dm_users:
            return dm_channel_object(channel, self.dm_users[channel], team_id=self.team_id)
        return channel_object(
            channel,
            self.channel_names.get(channel, channel.lower()),
            team_id=self.team_id,
            is_member=channel in self.joined,
            is_private=channel in self.private_channels,
        )

    def _user_object(self, user_id: str, **details: Any) -> Answer:
        return user_object(user_id, team_id=self.team_id, **details)
