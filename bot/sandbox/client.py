"""The sandbox's Slack client side: what a person does in the page, sent to the bot as Slack
sends it.

A command typed in the message box, a click on a button or a pick in a select, a modal's
submit and opening the App Home become signed requests in Slack's real formats (urlencoded
slash commands, `block_actions` and `view_submission` payloads, an `app_home_opened` event
callback), posted to the bot's `POST /slack/events` with the session's signing secret. The
bot's acknowledgement is handled as Slack handles it: a command's answer becomes an ephemeral
message, `response_action: errors` goes back to the modal's fields. Everything else the bot
does arrives through the Web API of the stand-in (bot/sandbox/standin/), whose changes the
workspace (bot/sandbox/workspace.py) passes on to the page's live stream.
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
import structlog

from bot.clock import FastClock
from bot.sandbox import block_kit, signing
from bot.sandbox.standin.server import SlackDouble
from bot.sandbox.standin.shapes import wire_message

log = structlog.get_logger("firebell.sandbox")

ACK_TIMEOUT = 3.0
"""Slack waits this long for an app's acknowledgement before it shows an error."""
COMMAND = "/incident"
TROUBLE = "We had some trouble connecting. Try again?"  # Slack's words in a modal

Answer = dict[str, Any]


class Refused(Exception):
    """A request the page should not have sent (unknown user, view or message): a 4xx."""


class SlackClient:
    """Slack's apps (desktop, web, mobile) for the people of the stand-in's workspace."""

    def __init__(self, standin: SlackDouble, clock: FastClock) -> None:
        self.standin = standin
        self.clock = clock
        self.app_url: str | None = None
        self._secret: str | None = None
        self._http: aiohttp.ClientSession | None = None

    def connect(self, app_url: str, signing_secret: str) -> None:
        """Where the bot's Request URL is and the secret Slack signs with."""
        self.app_url, self._secret = app_url, signing_secret

    async def shutdown(self) -> None:
        """Close the HTTP session to the bot."""
        if self._http is not None:
            await self._http.close()
            self._http = None

    # -- what a person does ------------------------------------------------------------------

    def _person(self, user_id: str) -> Answer:
        for user in self.standin.users():
            if user["id"] == user_id:
                return user
        raise Refused(f"no user {user_id!r} in the sandbox")

    def _channel_name(self, channel: str, user_id: str = "") -> str:
        if user_id and channel == "D" + user_id[1:]:  # the person's own DM with the bot
            self.standin.dm_channel(user_id)
        info = self.standin.channels().get(channel)
        if info is None:
            raise Refused(f"no channel {channel!r} in the sandbox")
        return "directmessage" if info["is_im"] else info["name"]

    async def type(self, user_id: str, channel: str, text: str, thread_ts: str = "") -> Answer:
        """What the message box does with `text`: a slash command or a plain message."""
        person = self._person(user_id)
        name = self._channel_name(channel, user_id)
        text = text.strip()
        if not text:
            raise Refused("nothing to send")
        if not text.startswith("/"):
            message = self.standin.post_as_user(channel, user_id, text, thread_ts)
            return {"ok": True, "ts": message["ts"]}
        command, _, rest = text.partition(" ")
        if command != COMMAND:
            self.standin.add_ephemeral(
                channel,
                user_id,
                f"`{command}` is not a valid command. In Slack, all messages that start with "
                'the "/" character are interpreted as commands.',
                slackbot=True,
            )
            return {"ok": False, "error": "invalid_command"}
        if thread_ts:  # as in Slack: slash commands cannot run in threads
            self.standin.add_ephemeral(
                channel, user_id, f"`{command}` is not supported in threads. Sorry!", slackbot=True
            )
            return {"ok": False, "error": "not_in_threads"}
        fields = signing.slash_command_payload(
            rest.strip(),
            user_id=user_id,
            channel_id=channel,
            command=command,
            trigger_id=self.standin.issue_trigger(user_id),
            team_id=self.standin.team_id,
            team_domain=self.standin.team_domain,
            channel_name=name,
            user_name=person["name"],
        )
        status, body = await self._send(_form(fields), signing.FORM)
        if status != 200:
            self.standin.add_ephemeral(
                channel,
                user_id,
                f'`{command}` failed with the error "{_failure(status)}"',
                slackbot=True,
            )
            return {"ok": False, "error": _failure(status)}
        answer = _json(body)
        if answer is None and body.strip():  # a plain-text answer is shown as it is
            answer = {"text": body}
        if answer:
            if answer.get("response_type") == "in_channel":
                self.standin.post_as_user(channel, self.standin.bot_user_id, answer.get("text", ""))
            else:
                self.standin.add_ephemeral(
                    channel, user_id, answer.get("text", ""), answer.get("blocks")
                )
        return {"ok": True}

    async def click(
        self,
        user_id: str,
        *,
        block_index: int,
        action_id: str,
        channel: str = "",
        ts: str = "",
        view_id: str = "",
        ephemeral: bool = False,
        selected: str | None = None,
    ) -> Answer:
        """A click on a button, or a pick (`selected`: the option's value) in a static_select,
        in a channel message or in a view (the App Home). The page names the block by its
        place (`block_index`): blocks the bot sent without a block_id get Slack's made-up one."""
        person = self._person(user_id)
        message = None if view_id else self.clicked_message(user_id, channel, ts, ephemeral)
        if view_id:
            view = self.standin.home_views.get(user_id)
            if view is None or view["id"] != view_id:
                raise Refused(f"no view {view_id!r} for {user_id}")
            blocks, container = view["blocks"], {"type": "view", "view_id": view_id}
        else:
            blocks = message.get("blocks") or []
            container = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            }
            if message.get("thread_ts") and message["thread_ts"] != ts:
                container["thread_ts"] = message["thread_ts"]
        if not 0 <= block_index < len(blocks):
            raise Refused(f"no block {block_index} there")
        block = blocks[block_index]
        element = block_kit.find_element(block, action_id)
        if element is None:
            raise Refused(f"no element {action_id!r} in block {block_index}")
        option = None
        if element.get("type") == "static_select":
            option = next(
                (o for o in block_kit.options_of(element) if o.get("value") == selected),
                None,
            )
            if option is None:
                raise Refused(f"no option {selected!r} in {action_id!r}")
        fields: Answer = {
            "user_id": user_id,
            "user_name": person["name"],
            "team_id": self.standin.team_id,
            "team_domain": self.standin.team_domain,
            "trigger_id": self.standin.issue_trigger(user_id),
            "block_id": block_kit.block_id_of(block, block_index),
            "action": element,
            "selected_option": option,
            "action_ts": self._ts(),
            "container": container,
            "state_values": block_kit.state_values(blocks),
        }
        if view_id:
            fields["view"] = block_kit.view_payload(view)
        else:
            fields.update(
                {
                    "message_ts": ts,
                    "channel_id": channel,
                    "channel_name": self._channel_name(channel),
                    "message": wire_message(message),
                }
            )
        payload = signing.block_actions_payload(action_id, element.get("value"), **fields)
        status, _ = await self._send(signing.payload_form(payload), signing.FORM)
        if status != 200:
            return {"ok": False, "error": _failure(status)}
        return {"ok": True}

    def clicked_message(self, user_id: str, channel: str, ts: str, ephemeral: bool) -> Answer:
        """The message a click was in: a channel's, or one only `user_id` sees."""
        if ephemeral:
            found = next(
                (e for e in self.standin.ephemerals if e["ts"] == ts and e["user"] == user_id),
                None,
            )
        else:
            found = self.standin.message(channel, ts)
        if found is None:
            raise Refused(f"no message {ts!r} in {channel!r}")
        return found

    async def submit(self, user_id: str, view_id: str, values: Answer) -> Answer:
        """A modal's submit button: `values` is state.values as the page collected it."""
        person = self._person(user_id)
        view = self.standin.views.get(view_id)
        if view is None or view.get("user") != user_id:
            raise Refused(f"no open modal {view_id!r} for {user_id}")
        payload = signing.view_submission_payload(
            view.get("callback_id", ""),
            block_kit.submitted_values(view, values),
            private_metadata=view.get("private_metadata", ""),
            user_id=user_id,
            view_id=view_id,
            team_id=self.standin.team_id,
            view=block_kit.view_payload(view),
            trigger_id=self.standin.issue_trigger(user_id),
            user_name=person["name"],
            team_domain=self.standin.team_domain,
        )
        status, body = await self._send(signing.payload_form(payload), signing.FORM)
        if status != 200:
            return {"ok": False, "error": TROUBLE}
        answer = _json(body) or {}
        action = answer.get("response_action")
        if action == "errors":
            errors = answer.get("errors") if isinstance(answer.get("errors"), dict) else {}
            return {"ok": False, "errors": {str(k): str(v) for k, v in errors.items()}}
        if action in ("update", "push") and isinstance(answer.get("view"), dict):
            replaces = view_id if action == "update" else None
            self.standin.show_view(user_id, answer["view"], view_id=replaces)
            return {"ok": True}
        if action == "clear":
            for other in [v for v in self.standin.views.values() if v.get("user") == user_id]:
                self.standin.close_view(other["id"])
            return {"ok": True}
        self.standin.close_view(view_id)
        return {"ok": True}

    def close_view(self, user_id: str, view_id: str) -> Answer:
        """The modal's close button (or Escape)."""
        view = self.standin.views.get(view_id)
        if view is None or view.get("user") != user_id:
            raise Refused(f"no open modal {view_id!r} for {user_id}")
        self.standin.close_view(view_id)
        return {"ok": True}

    async def open_home(self, user_id: str) -> Answer:
        """The person opened the app's Home tab: Slack sends `app_home_opened`."""
        self._person(user_id)
        event: Answer = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.standin.dm_channel(user_id),
            "tab": "home",
            "event_ts": self._ts(),
        }
        if user_id in self.standin.home_views:
            event["view"] = block_kit.view_payload(self.standin.home_views[user_id])
        body = signing.event_body(
            event, self.standin.team_id, event_time=int(self.clock.now().timestamp())
        )
        status, _ = await self._send(body, signing.JSON)
        return {"ok": status == 200} if status == 200 else {"ok": False, "error": _failure(status)}

    # -- sending -----------------------------------------------------------------------------

    def _ts(self) -> str:
        now = self.clock.now()
        return f"{int(now.timestamp())}.{now.microsecond:06d}"

    async def _send(self, body: str, content_type: str) -> tuple[int, str]:
        """POST to the bot as Slack does: signed with the wall clock's time (the bot checks it
        against its own), answered within ACK_TIMEOUT or counted as failed (status 0)."""
        if self.app_url is None or self._secret is None:
            return 0, ""
        if self._http is None:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=ACK_TIMEOUT),
                headers={"User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"},
            )
        headers = signing.sign(self._secret, body, int(time.time()), content_type=content_type)
        started = time.perf_counter()
        try:
            async with self._http.post(self.app_url, data=body.encode(), headers=headers) as r:
                text = await r.text()
                status = r.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("sandbox_request_failed", error=type(exc).__name__)
            return 0, ""
        log.debug(
            "sandbox_request", status=status, ms=round((time.perf_counter() - started) * 1000)
        )
        return status, text


# -- helpers ------------------------------------------------------------------------------------


def _form(fields: dict[str, str]) -> str:
    return urlencode(fields)


def _json(body: str) -> Answer | None:
    if not body.strip():
        return None
    with contextlib.suppress(ValueError):
        value = json.loads(body)
        return value if isinstance(value, dict) else None
    return None


def _failure(status: int) -> str:
    """The error Slack names when an app does not acknowledge properly."""
    return "operation_timeout" if status == 0 else "dispatch_failed"
