"""A kind's listeners as a table of id -> callback, and how Bolt gets them: a plain callback
acks itself; a `Lazy` one acks at once and its slow part (a modal, App Home) runs after the
ack, because Slack waits at most 3 seconds and a `trigger_id` lasts only as long."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any, NamedTuple


class Lazy(NamedTuple):
    """`alone` (an async Bolt matcher) names the requests `ack` answers by itself, with no
    lazy part: Bolt copies the whole request for every lazy run it starts. Those come first,
    the common case, so Bolt checks one listener for them (each check builds every argument
    a listener could ask for, ~7.5 µs)."""

    ack: Callable[..., Any]
    lazy: Sequence[Callable[..., Any]]
    alone: Callable[..., Awaitable[bool]] | None = None


Listener = Callable[..., Any] | Lazy
Table = Mapping[StrEnum, Listener]


def attach(route: Callable[..., Callable[..., Any]], table: Table) -> None:
    """`route` is a Bolt registrar: `app.command`, `app.action`, `app.view`, ..."""
    for key, listener in table.items():
        if isinstance(listener, Lazy) and listener.alone is not None:
            route(key, matchers=[listener.alone])(listener.ack)  # Bolt runs the first match
            route(key)(ack=listener.ack, lazy=list(listener.lazy))
        elif isinstance(listener, Lazy):
            route(key)(ack=listener.ack, lazy=list(listener.lazy))
        else:
            route(key)(listener)
