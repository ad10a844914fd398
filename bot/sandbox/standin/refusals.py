"""What Slack refuses before a Web API method acts, and how it says so: a message over its
limits or with malformed blocks (`msg_too_long`, `invalid_blocks_format`, `invalid_blocks`), a
view that breaks Block Kit's rules (`invalid_arguments`, as views.open/update/publish
document), a private channel the bot is not in (`channel_not_found`: it cannot see it, nor
join it), and a file shared to, or history read from, a channel it is not a member of
(`not_in_channel`). Posting to a public channel needs no membership (`chat:write.public`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.sandbox.standin import limits
from bot.sandbox.standin.shapes import error
from bot.sandbox.standin.state import WorkspaceState

Answer = dict[str, Any]

MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
VIEW_METHODS = frozenset({"views.open", "views.push", "views.update", "views.publish"})
SHARING_METHODS = frozenset({"files.completeUploadExternal"})
# files.completeUploadExternal's channel_id: Slack's pattern is ^[CGDZ][A-Z0-9]{8,}$; the
# length is not held to, as the tests' workspace has short ids (C0STATUS, D0ALICE)
CONVERSATION_ID = re.compile(r"^[CGDZ][A-Z0-9]+$")
READING_METHODS = frozenset({"conversations.history", "conversations.replies"})


def refusal(workspace: WorkspaceState, method: str, params: dict[str, Any]) -> Answer | None:
    """Slack's answer when `method` refuses `params`; None when the method may go on."""
    channel = str(params.get("channel") or "")
    if channel in workspace.private_channels and not workspace.is_member(channel):
        return error("channel_not_found")
    if method == "conversations.join" and channel in workspace.private_channels:
        return error("method_not_supported_for_channel_type")  # only /invite adds the bot
    if method in SHARING_METHODS:
        return _sharing_refusal(workspace, params)
    if method in READING_METHODS and channel and not workspace.is_member(channel):
        return error("not_in_channel")  # reading needs membership, even of a public channel
    if method in MESSAGE_METHODS:
        return _message_refusal(params)
    if method in VIEW_METHODS and isinstance(params.get("view"), dict):
        found = limits.problems(params["view"], "view")
        return _refused("invalid_arguments", found) if found else None
    return None


def _sharing_refusal(workspace: WorkspaceState, params: dict[str, Any]) -> Answer | None:
    """A file is shared only where the bot is a member (`channel_id`, or `channels`), and
    `channel_id` is a conversation's id: a person's DM is opened first (`conversations.open`)
    and shared to by its `D` id, as Slack documents; a user id is refused."""
    target = str(params.get("channel_id") or "")
    if target and not CONVERSATION_ID.match(target):
        pattern = "input must match regex pattern: ^[CGDZ][A-Z0-9]{8,}$"
        return _refused("invalid_arguments", [f"{pattern} [json-pointer:/channel_id]"])
    named = [target, *str(params.get("channels") or "").split(",")]
    for channel in (c.strip() for c in named if c.strip()):
        if channel in workspace.missing_channels:
            return error("channel_not_found")
        if channel in workspace.private_channels and not workspace.is_member(channel):
            return error("channel_not_found")
        if not workspace.is_member(channel):
            return error("not_in_channel")
    return None


def _message_refusal(params: dict[str, Any]) -> Answer | None:
    text = params.get("text")
    if isinstance(text, str) and len(text) > limits.MESSAGE_TEXT:
        return error("msg_too_long")
    blocks = params.get("blocks")
    if blocks is None:
        return None
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            return error("invalid_blocks_format")
    if not isinstance(blocks, list):
        return error("invalid_blocks_format")
    found = limits.problems(blocks, "message")
    return _refused("invalid_blocks", found) if found else None


def _refused(code: str, found: list[str]) -> Answer:
    """As Slack words it: `[ERROR] <what> [json-pointer:<where>]`, one per problem."""
    answer = error(code)
    answer["response_metadata"] = {"messages": [f"[ERROR] {p}" for p in found]}
    if code == "invalid_blocks":
        answer["errors"] = found
    return answer
