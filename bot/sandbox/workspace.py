"""The sandbox's workspace as its page shows it: the people, groups and channels of
config/sandbox.yml put in the stand-in for Slack (bot/sandbox/standin/), one live stream of
every change it sees, the fast clock, and reset.

What a person does in the page is the Slack client's part (bot/sandbox/client.py), which the
workspace extends with what only the page needs, and tells `narrate` (the terminal, when the
sandbox runs from the command line) in one line each (bot/sandbox/terminal.py).
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable

from bot.clock import FastClock
from bot.config import Config
from bot.sandbox import block_kit, terminal
from bot.sandbox.client import COMMAND, Answer, Refused, SlackClient
from bot.sandbox.config import SandboxSpec
from bot.sandbox.standin.server import SlackDouble


class Workspace(SlackClient):
    """The people's Slack client, plus what the page shows of the workspace and its time."""

    def __init__(
        self, standin: SlackDouble, spec: SandboxSpec, config: Config, clock: FastClock
    ) -> None:
        super().__init__(standin, clock)
        self.spec = spec
        self.config = config
        self._streams: set[asyncio.Queue[Answer | None]] = set()
        self.reset_hook: Callable[[], Awaitable[None]] | None = None
        self.narrate: Callable[[str], None] | None = None  # one line per action, if given
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
        for team in self.config.teams:  # each team's own channels, named after it
            if team.channel:
                names.setdefault(team.channel, f"{team.name}-incidents")
            if team.broadcast_channel:
                names.setdefault(team.broadcast_channel, f"{team.name}-status")
        for channel, name in names.items():
            self.standin.add_channel(channel, name)
        if self.config.private_channel:  # private incidents: the bot was invited, as it must be
            self.standin.add_channel(
                self.config.private_channel, "security", private=True, member=True
            )

    async def shutdown(self) -> None:
        """End every live stream and the HTTP session."""
        for queue in list(self._streams):
            queue.put_nowait(None)
        await super().shutdown()

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

    # -- what people do, as the terminal tells it --------------------------------------------

    def _name(self, id: str) -> str | None:
        user = next((u for u in self.standin.users() if u["id"] == id), None)
        if user is not None:
            return user["real_name"]
        channel = self.standin.channels().get(id)
        return channel["name"] if channel else None

    def _tell(self, who: str, what: str, result: str = "") -> None:
        if self.narrate is not None:
            who = self._name(who) or who
            self.narrate(terminal.line(self.clock.now(), self.config.zone, who, what, result))

    async def type(self, user_id: str, channel: str, text: str, thread_ts: str = "") -> Answer:
        seen = len(self.standin.ephemerals)
        answer = await super().type(user_id, channel, text, thread_ts)
        if text.strip().startswith("/"):
            said = [e["text"] for e in self.standin.ephemerals[seen:] if e["user"] == user_id]
            result = terminal.first_clause(said[-1], self._name) if said else _result(answer)
            self._tell(user_id, terminal.clip(text), result)
        else:
            where = "in a thread" if thread_ts else f"in #{self._name(channel) or channel}"
            self._tell(user_id, f"said {where}: {terminal.clip(text)}")
        return answer

    async def click(self, user_id: str, **where) -> Answer:
        """`where` as `SlackClient.click` takes it; what was clicked is read before the click
        changes it (a card re-rendered)."""
        if where.get("view_id"):
            blocks, about = (self.standin.home_views.get(user_id) or {}).get("blocks") or [], None
        else:
            message = self.clicked_message(
                user_id,
                where.get("channel", ""),
                where.get("ts", ""),
                where.get("ephemeral", False),
            )
            blocks, about = message.get("blocks") or [], terminal.incident_in(_texts(message))
        index = where.get("block_index", -1)
        label = (
            _label(blocks[index], where["action_id"], where.get("selected"))
            if 0 <= index < len(blocks)
            else ""
        )
        answer = await super().click(user_id, **where)
        what = f"picked {label}" if where.get("selected") else f"clicked {label or 'a button'}"
        self._tell(user_id, what + (f" on {about}" if about else ""), _result(answer))
        return answer

    async def submit(self, user_id: str, view_id: str, values: Answer) -> Answer:
        view = self.standin.views.get(view_id) or {}
        title = ((view.get("title") or {}).get("text")) or "a form"
        answer = await super().submit(user_id, view_id, values)
        self._tell(user_id, f"submitted “{title}”", _result(answer))
        return answer

    async def open_home(self, user_id: str) -> Answer:
        answer = await super().open_home(user_id)
        self._tell(user_id, "opened Firebell's App Home", _result(answer))
        return answer

    # -- time and reset ----------------------------------------------------------------------

    def set_rate(self, rate: float) -> Answer:
        self.clock.set_rate(rate)
        self._tell("Sandbox", f"time runs at {rate:g}x")
        self.publish("clock", self.clock_state())
        return {"ok": True, "clock": self.clock_state()}

    def skip(self, minutes: float) -> Answer:
        if not 0 < minutes <= 7 * 24 * 60:
            raise Refused("skip between 1 minute and 7 days")
        self.clock.advance(minutes * 60)
        self._tell("Sandbox", f"time skipped {minutes:g} minutes ahead")
        self.publish("clock", self.clock_state())
        return {"ok": True, "clock": self.clock_state()}

    async def reset(self) -> Answer:
        if self.reset_hook is None:
            raise Refused("this sandbox cannot be reset")
        await self.reset_hook()
        self._tell("Sandbox", "reset: a fresh database, an empty workspace, time at its start")
        self.publish("snapshot", self.snapshot())
        return {"ok": True}


def _result(answer: Answer) -> str:
    """What came of a request, for the terminal: ok, a form's first problem, or the error."""
    if answer.get("ok"):
        return "ok"
    errors = answer.get("errors") or {}
    return terminal.clip(next(iter(errors.values()), "") or str(answer.get("error", "failed")))


def _texts(message: Answer) -> str:
    """A message's text and its blocks' texts (a card's header names its incident)."""
    found = [message.get("text") or ""]
    for block in message.get("blocks") or []:
        text = block.get("text")
        found.append(text.get("text", "") if isinstance(text, dict) else "")
    return "\n".join(found)


def _label(block: Answer, action_id: str, selected: str | None) -> str:
    """The button's words, or the option picked, in quotes."""
    element = block_kit.find_element(block, action_id) or {}
    if selected is not None:
        option = next((o for o in block_kit.options_of(element) if o.get("value") == selected), {})
        return f"“{(option.get('text') or {}).get('text', selected)}”"
    text = (element.get("text") or {}).get("text")
    return f"“{text}”" if text else ""
