"""The Slack Web API test double is the sandbox's Slack stand-in: bot/sandbox/standin.py.

Kept as a name for the tests (and bench/) that import it from here."""

from __future__ import annotations

from typing import Any

from bot.sandbox import standin as _standin
from bot.sandbox.standin import Call, Fault, SlackDouble

__all__ = ["Call", "Fault", "SlackDouble"]


def __getattr__(name: str) -> Any:  # everything else the module holds, e.g. constants
    return getattr(_standin, name)
