"""Reading a channel's messages (`conversations.history`, `conversations.replies`): Slack lets
a bot read only where it is a member, so on `not_in_channel` the bot joins the public channel
(`conversations.join`) and reads again; a private channel needs `/invite @Firebell`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient


async def read(slack: AsyncWebClient, channel: str, call: Callable[[], Awaitable[Any]]) -> Any:
    """`call()`'s answer, joining `channel` first if Slack asks for it."""
    try:
        return await call()
    except SlackApiError as exc:
        if exc.response.get("error") != "not_in_channel":
            raise
    await slack.conversations_join(channel=channel)
    return await call()
