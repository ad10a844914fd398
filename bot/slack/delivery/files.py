"""Sharing a file in Slack (`files.uploadV2`: `files.getUploadURLExternal`, the upload,
`files.completeUploadExternal`) where Slack lets the bot share it.

Slack shares a file only where the bot is a member, so a public channel is joined first
(`conversations.join`; a private one cannot be, and the share says whether the bot is in it),
and `files.completeUploadExternal` takes only a conversation's id, so a person's DM is opened
first (`conversations.open`). A failed upload of the bytes themselves is the network's failure
(retried later); Slack's refusals propagate for the sender to classify.
"""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

OUTSIDE = frozenset({"not_in_channel", "channel_not_found"})
"""What Slack answers where the bot is not a member and cannot join: a private channel."""

PERSON = ("U", "W")  # a user id names the person's DM with the bot


async def share(
    slack: AsyncWebClient,
    channel: str,
    *,
    content: str | bytes,
    filename: str,
    title: str,
    alt_txt: str | None = None,
    initial_comment: str | None = None,
    thread_ts: str | None = None,
) -> None:
    """Upload `content` and share it in `channel` (a channel's id, or a person's user id for
    their DM with the bot), in `thread_ts`'s thread if given."""
    if channel.startswith(PERSON):
        opened = await slack.conversations_open(users=channel)
        channel = opened["channel"]["id"]
    else:
        await join(slack, channel)
    try:
        await slack.files_upload_v2(
            channel=channel,
            content=content,
            filename=filename,
            title=title,
            **({"alt_txt": alt_txt} if alt_txt else {}),
            **({"initial_comment": initial_comment} if initial_comment else {}),
            **({"thread_ts": thread_ts} if thread_ts else {}),
        )
    except SlackRequestError as exc:  # the upload itself failed: retry later
        raise aiohttp.ClientError(f"upload failed: {exc}") from exc


async def join(slack: AsyncWebClient, channel: str) -> None:
    """Join a public channel (a member already: Slack says so and nothing changes); a private
    one cannot be joined, and the share finds out whether the bot is in it."""
    try:
        await slack.conversations_join(channel=channel)
    except SlackApiError as exc:
        if exc.response.get("error") != "method_not_supported_for_channel_type":
            raise
