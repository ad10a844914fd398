"""What the Slack double shows, read the way a person in Slack would read it.

Each helper takes the double (a `SlackDouble`, or the sandbox's stand-in, which is one) and, where
it reads a channel, `channel=`, which defaults to the harness's incident channel (`CHANNEL`).
Cards are found by their header, `INC-<n> · <title>`; a thread is the replies under a card.
"""

from __future__ import annotations

from bot.sandbox.standin.server import SlackDouble
from bot.sandbox.standin.web_api import Call
from bot.slack.ids import Action
from tests.support.harness import CHANNEL


def _header(message: dict) -> str:
    return (message.get("blocks") or [{}])[0].get("text", {}).get("text", "")


def cards(double: SlackDouble, *, channel: str = CHANNEL) -> list[dict]:
    """The incident cards in the channel, as they are now, oldest first."""
    return [
        m for m in double.messages(channel, top_level_only=True) if _header(m).startswith("INC-")
    ]


def card_of(double: SlackDouble, number: int = 1, *, channel: str = CHANNEL) -> dict:
    """The current card of INC-<number>."""
    for card in cards(double, channel=channel):
        if _header(card).startswith(f"INC-{number} ·"):
            return card
    raise AssertionError(f"no card for INC-{number}")


def card_text(card: dict) -> str:
    """Every text the card shows: the header, each section and each field, one a line."""
    out = []
    for block in card["blocks"]:
        if block.get("text"):
            out.append(block["text"]["text"])
        out += [f["text"] for f in block.get("fields", [])]
    return "\n".join(out)


def card_fields(card: dict) -> str:
    """The fields under the card's header (severity, status, people, targets), one a line."""
    return "\n".join(f["text"] for f in card["blocks"][1]["fields"])


def buttons(message: dict) -> dict[str, str | None]:
    """The message's buttons and selects: action_id -> the value it sends (None without one)."""
    actions = [b for b in message.get("blocks") or [] if b["type"] == "actions"]
    return {e["action_id"]: e.get("value") for a in actions for e in a["elements"]}


def ack_buttons(message: dict) -> list[str]:
    """The values of a message's Acknowledge buttons, in order: a bundle's sit beside each
    incident (accessories), a single page's in its actions."""
    found = []
    for block in message.get("blocks") or []:
        elements = [block.get("accessory")] + block.get("elements", [])
        found += [e["value"] for e in elements if e and e.get("action_id") == Action.ACK]
    return found


def thread(double: SlackDouble, number: int = 1, *, channel: str = CHANNEL) -> list[dict]:
    """The replies in INC-<number>'s thread, oldest first, as messages."""
    return double.thread(channel, card_of(double, number, channel=channel)["ts"])


def replies(double: SlackDouble, number: int = 1, *, channel: str = CHANNEL) -> list[str]:
    """The text of each reply in INC-<number>'s thread, oldest first."""
    return [m["text"] for m in thread(double, number, channel=channel)]


def notices(double: SlackDouble, *, channel: str = CHANNEL) -> list[str]:
    """Top-level posts in the channel that are not incident cards, as text, oldest first."""
    out = []
    for message in double.messages(channel, top_level_only=True):
        if _header(message).startswith("INC-"):
            continue
        if message.get("blocks"):
            out.append("\n".join(b["text"]["text"] for b in message["blocks"] if b.get("text")))
        else:
            out.append(message["text"])
    return out


def posts(
    double: SlackDouble, thread_ts: str | None = None, *, channel: str = CHANNEL
) -> list[Call]:
    """The chat.postMessage calls that succeeded in the channel (only those in the thread
    `thread_ts`, when given); DMs to people are apart (`dms`)."""
    calls = [
        c
        for c in double.calls_to("chat.postMessage")
        if not c.fault and not c.error and c.params["channel"] == channel
    ]
    if thread_ts is None:
        return calls
    return [c for c in calls if c.params.get("thread_ts") == thread_ts]


def dms(double: SlackDouble, containing: str = "") -> list[str]:
    """Who got a direct message, in order, one entry a message; only messages whose text
    contains `containing`, when given."""
    return [
        c.params["channel"]
        for c in double.calls_to("chat.postMessage")
        if not c.fault
        and not c.error
        and c.params["channel"].startswith("U")
        and containing in c.params.get("text", "")
    ]


def paged(double: SlackDouble) -> list[str]:
    """Who got a page by DM, in order."""
    return dms(double, "You are being paged")


def refused(double: SlackDouble) -> list[str]:
    """What Slack refused, one `method: error` an entry (the stand-in answers as Slack does:
    `invalid_blocks`, `msg_too_long`, `not_in_channel`...); faults a test injected are apart."""
    return [f"{c.method}: {c.error}" for c in double.calls if c.error and not c.fault]
