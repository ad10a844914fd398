"""Requests as Slack sends them, signed: moved to bot/sandbox/signing.py (the sandbox sends
them to the bot too). Kept as a name for the tests (and bench/) that import it from here."""

from __future__ import annotations

from typing import Any

from bot.sandbox import signing as _signing
from bot.sandbox.signing import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    CHANNEL_ID,
    MESSAGE_TS,
    TEAM_ID,
    TRIGGER_ID,
    USER_ID,
    VERIFICATION_TOKEN,
    VIEW_ID,
    block_actions_body,
    event_body,
    sign,
    slash_command_body,
    url_verification_body,
    view_submission_body,
)

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "CHANNEL_ID",
    "MESSAGE_TS",
    "TEAM_ID",
    "TRIGGER_ID",
    "USER_ID",
    "VERIFICATION_TOKEN",
    "VIEW_ID",
    "block_actions_body",
    "event_body",
    "sign",
    "slash_command_body",
    "url_verification_body",
    "view_submission_body",
]


def __getattr__(name: str) -> Any:  # everything else the module holds
    return getattr(_signing, name)
