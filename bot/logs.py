"""JSON lines on stdout, for our own events and for library logs alike (readable lines for the
sandbox).

Secrets never reach a log: settings keep them in SecretStr, and nothing logs request bodies.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
from collections.abc import Callable
from typing import Any

import orjson
import structlog

REPLICA = f"{socket.gethostname()}:{os.getpid()}"  # tells replicas apart in shared logs


def _replica(_logger, _name, event: dict) -> dict:
    event.setdefault("replica", REPLICA)
    return event


_SHARED = [
    _replica,
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


# datetimes and dataclasses go to `default` (their repr), as json.dumps sends them: a line's
# values read the same whichever of the two writes it
_ORJSON = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def _json_line(event: dict, default: Callable[[Any], Any]) -> str:
    """A line's JSON by orjson: a fifth of json.dumps' cost, and every request and delivery
    writes a line. What orjson refuses (an integer past 64 bits, a lone surrogate) is
    written by json.dumps, as every line was before, with its `\\u` escapes: unlike the
    database's `store.db.json_text`, a line goes to stdout, which cannot encode a lone
    surrogate written as itself."""
    try:
        return orjson.dumps(event, default=default, option=_ORJSON).decode()
    except TypeError:
        return json.dumps(event, default=default)


class _Stdout:
    """Whatever sys.stdout is when a line is written, not when logging was set up: the CLI
    sets up logging once per call, and a caller that swaps stdout (a test capturing output,
    a supervisor) must not leave the loggers writing to a closed stream."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def setup(level: str = "info", readable: bool = False) -> None:
    """JSON lines; `readable` (the sandbox, a person at a terminal): plain key=value lines."""
    numeric = getattr(logging, level.upper(), logging.INFO)
    render = (
        structlog.dev.ConsoleRenderer(colors=False)
        if readable
        else structlog.processors.JSONRenderer(serializer=_json_line)
    )
    structlog.configure(
        processors=[
            *_SHARED,
            structlog.processors.format_exc_info,
            render,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.WriteLoggerFactory(_Stdout()),  # a line and a flush
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(_Stdout())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*_SHARED, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                render,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(numeric, logging.WARNING))  # libraries speak up only when it matters
