"""The sandbox's Slack client side: what a person does in the page, sent to the bot as Slack
sends it.

A command typed in the message box, a click on a button or a pick in a select, a modal's
submit and opening the App Home become signed requests in Slack's real formats (urlencoded
slash commands, `block_actions` and `view_submission` payloads, an `app_home_opened` event
callback), posted to the bot's `POST /slack/events` with the session's signing secret. The
bot's acknowledgement is handled as Slack handles it: a command's answer becomes an ephemeral
message, `response_action: errors` goes back to the modal's fields. Everything else the bot
does arrives through the Web API of the stand-in (bot/sandbox/standin.py), whose changes are
passed on to the page's live stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp
import structlog

from bot.clock import FastClock
from bot.config import Config
from bot.sandbox import signing
from bot.sandbox.config import SandboxSpec
from bot.sandbox.standin import SlackDouble

log = structlog.get_logger("firebell.sandbox")

ACK_TIMEOUT = 3.0
"""Slack waits this long for an app's acknowledgement before it shows an error."""
COMMAND = "/incident"
TROUBLE = "We had some trouble connecting. Try again?"  # Slack's words in a modal

Answer = dict[str, Any]


class Refused(Exception):
    """A request the page should not have sent (unknown user, view or message): a 4xx."""


class Workspace:
    def __init__(
        self, standin: SlackDouble, spec: SandboxSpec, config: Config, clock: FastClock
    ) -> None:
        self.standin = standin
        self.spec = spec
        self.config = config
        self.clock = clock
        self.app_url: str | None = None
        self._secret: str | None = None
        self._http: aiohttp.ClientSession | None = None
        self._streams: set[asyncio.Queue[Answer | None]] = set()
        self.reset_hook: Callable[[], Awaitable[None]] | None = None
        standin.subscribe(self._changed)
        self.populate()

    # -- set-up ------------------------------------------------------------------------------

    def populate(self) -> None:
        """The people, groups and channels of `sandbox:` in the stand-in's directory."""
        zone = self.config.zone
        for person in self.spec.users:
            offset = self.clock.now().astimezone(zone).utcoffset()
            self.standin.add_user(
                person.email or f"{person.name}@sandbox.invalid",
                person.id,
                name=person.name,
                real_name=person.real_name,
                tz=self.config.timezone,
                tz_offset=int(offset.total_seconds()) if offset else 0,
                title=person.title,
            )
        for group_id, group in self.spec.groups.items():
            self.standin.add_usergroup(group_id, group.members)
        names = dict(self.spec.channels)
        names.setdefault(self.config.incident_channel, "incidents")
        if self.config.broadcast_channel:
            names.setdefault(self.config.broadcast_channel, "status")
        for channel, name in names.items():
            self.standin.add_channel(channel, name)

    def connect(self, app_url: str, signing_secret: str) -> None:
        """Where the bot's Request URL is and the secret Slack signs with."""
        self.app_url, self._secret = app_url, signing_secret

    async def shutdown(self) -> None:
        """End every live stream and the HTTP session."""
        for queue in list(self._streams):
            queue.put_nowait(None)
        if self._http is not None:
            await self._http.close()
            self._http = None

    # -- the live stream ---------------------------------------------------------------------

    def stream(self) -> asyncio.Queue[Answer | None]:
        """A queue that receives every change (None: the stream ends); first a snapshot."""
        queue: asyncio.Queue[Answer | None] = asyncio.Queue()
        queue.put_nowait({"kind": "snapshot", "data": self.snapshot()})
        self._streams.add(queue)
        return queue

    def unstream(self, queue: asyncio.Queue) -> None:
        self._streams.discard(queue)

    def publish(self, kind: str, data: Answer) -> None:
        for queue in list(self._streams):
            queue.put_nowait({"kind": kind, "data": data})

    def _changed(self, kind: str, data: Answer) -> None:
        if kind == "message":  # the page learns of a new DM channel with its first message
            data["channel_info"] = self.standin.channels().get(data["channel"])
        self.publish(kind, data)

    def clock_state(self) -> Answer:
        return {
            "now_ms": int(self.clock.now().timestamp() * 1000),
            "rate": self.clock.rate,
            "timezone": self.config.timezone,
        }

    def snapshot(self) -> Answer:
        """Everything the page shows, at once: on connect and after a reset."""
        s = self.standin
        channels = s.channels()
        messages = {c: s.messages(c) for c in channels}
        return {
            "team": {"id": s.team_id, "name": self.spec.workspace, "domain": s.team_domain},
            "bot": {"user_id": s.bot_user_id, "bot_id": s.bot_id, "name": "Firebell"},
            "users": [
                {
                    "id": u["id"],
                    "name": u["name"],
                    "real_name": u["real_name"],
                    "title": u["profile"].get("title", ""),
                }
                for u in s.users()
            ],
            "groups": {gid: g.handle for gid, g in self.spec.groups.items()},
            "channels": list(channels.values()),
            "incident_channel": self.config.incident_channel,
            "broadcast_channel": self.config.broadcast_channel,
            "messages": messages,
            "ephemerals": copy.deepcopy(s.ephemerals),
            "views": list(copy.deepcopy(s.views).values()),
            "homes": copy.deepcopy(s.home_views),
            "clock": self.clock_state(),
            "command": COMMAND,
        }

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
        if view_id:
            view = self.standin.home_views.get(user_id)
            if view is None or view["id"] != view_id:
                raise Refused(f"no view {view_id!r} for {user_id}")
            blocks, message, container = view["blocks"], None, {"type": "view", "view_id": view_id}
        else:
            if ephemeral:
                found = next(
                    (e for e in self.standin.ephemerals if e["ts"] == ts and e["user"] == user_id),
                    None,
                )
            else:
                found = self.standin.message(channel, ts)
            if found is None:
                raise Refused(f"no message {ts!r} in {channel!r}")
            blocks, message = found.get("blocks") or [], found
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
        element = _element(block, action_id)
        if element is None:
            raise Refused(f"no element {action_id!r} in block {block_index}")
        option = None
        if element.get("type") == "static_select":
            option = next(
                (o for o in _options(element) if o.get("value") == selected),
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
            "block_id": _block_id(block, block_index),
            "action": element,
            "selected_option": option,
            "action_ts": self._ts(),
            "container": container,
            "state_values": _state(blocks),
        }
        if view_id:
            fields["view"] = _view_payload(view)
        else:
            fields.update(
                {
                    "message_ts": ts,
                    "channel_id": channel,
                    "channel_name": self._channel_name(channel),
                    "message": _wire(message),
                }
            )
        payload = signing.block_actions_payload(action_id, element.get("value"), **fields)
        status, _ = await self._send(signing.payload_form(payload), signing.FORM)
        if status != 200:
            return {"ok": False, "error": _failure(status)}
        return {"ok": True}

    async def submit(self, user_id: str, view_id: str, values: Answer) -> Answer:
        """A modal's submit button: `values` is state.values as the page collected it."""
        person = self._person(user_id)
        view = self.standin.views.get(view_id)
        if view is None or view.get("user") != user_id:
            raise Refused(f"no open modal {view_id!r} for {user_id}")
        payload = signing.view_submission_payload(
            view.get("callback_id", ""),
            _clean_values(view, values),
            private_metadata=view.get("private_metadata", ""),
            user_id=user_id,
            view_id=view_id,
            team_id=self.standin.team_id,
            view=_view_payload(view),
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
            event["view"] = _view_payload(self.standin.home_views[user_id])
        body = signing.event_body(
            event, self.standin.team_id, event_time=int(self.clock.now().timestamp())
        )
        status, _ = await self._send(body, signing.JSON)
        return {"ok": status == 200} if status == 200 else {"ok": False, "error": _failure(status)}

    # -- time and reset ----------------------------------------------------------------------

    def set_rate(self, rate: float) -> Answer:
        self.clock.set_rate(rate)
        self.publish("clock", self.clock_state())
        return {"ok": True, "clock": self.clock_state()}

    def skip(self, minutes: float) -> Answer:
        if not 0 < minutes <= 7 * 24 * 60:
            raise Refused("skip between 1 minute and 7 days")
        self.clock.advance(minutes * 60)
        self.publish("clock", self.clock_state())
        return {"ok": True, "clock": self.clock_state()}

    async def reset(self) -> Answer:
        if self.reset_hook is None:
            raise Refused("this sandbox cannot be reset")
        await self.reset_hook()
        self.publish("snapshot", self.snapshot())
        return {"ok": True}

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


def _block_id(block: Answer, index: int) -> str:
    """A block's id; Slack makes one up for blocks sent without, the same on every read."""
    if block.get("block_id"):
        return str(block["block_id"])
    seed = f"{index}:{json.dumps(block, sort_keys=True)}"
    return hashlib.sha1(seed.encode()).hexdigest()[:5]


def _element(block: Answer, action_id: str) -> Answer | None:
    candidates = list(block.get("elements") or [])
    if block.get("accessory"):
        candidates.append(block["accessory"])
    return next((e for e in candidates if e.get("action_id") == action_id), None)


def _options(element: Answer) -> list[Answer]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


def _state(blocks: list[Answer]) -> Answer:
    """The message's stateful elements, as `state.values` of a block_actions payload."""
    values: Answer = {}
    for index, block in enumerate(blocks):
        elements = list(block.get("elements") or [])
        if block.get("accessory"):
            elements.append(block["accessory"])
        for element in elements:
            if element.get("type") == "static_select" and element.get("action_id"):
                values.setdefault(_block_id(block, index), {})[element["action_id"]] = {
                    "type": "static_select",
                    "selected_option": element.get("initial_option"),
                }
    return values


def _wire(message: Answer) -> Answer:
    return {k: copy.deepcopy(v) for k, v in message.items() if v is not None}


def _view_payload(view: Answer) -> Answer:
    """A stored view as Slack puts it in a payload (without the stand-in's `user`)."""
    return {k: copy.deepcopy(v) for k, v in view.items() if k != "user"}


def _clean_values(view: Answer, values: Answer) -> Answer:
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
        block_id = _block_id(block, index)
        given = values.get(str(index))
        given = given if isinstance(given, dict) else {}
        kind = element.get("type")
        if kind in ("static_select", "radio_buttons"):
            option = next(
                (o for o in _options(element) if o.get("value") == given.get("selected")), None
            )
            clean[block_id] = {action_id: {"type": kind, "selected_option": option}}
        elif kind == "checkboxes":
            picked = given.get("selected")
            picked = picked if isinstance(picked, list) else []
            chosen = [o for o in _options(element) if o.get("value") in picked]
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
