"""A kind's listeners as a table of id -> callback, and how Bolt gets them: a plain callback
acks itself; a `Lazy` one acks at once and its slow part (a modal, App Home) runs after the
ack, because Slack waits at most 3 seconds and a `trigger_id` lasts only as long."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any, NamedTuple


class Lazy(NamedTuple):
    """`when` (an async Bolt matcher) limits the lazy part to the requests that need it:
    Bolt copies the whole request for every lazy run it starts, so the rest are acked
    by `ack` alone."""

    ack: Callable[..., Any]
    lazy: Sequence[Callable[..., Any]]
    when: Callable[..., Awaitable[bool]] | None = None


Listener = Callable[..., Any] | Lazy
Table = Mapping[StrEnum, Listener]


def attach(route: Callable[..., Callable[..., Any]], table: Table) -> None:
    """`route` is a Bolt registrar: `app.command`, `app.action`, `app.view`, ..."""
    for key, listener in table.items():
        if isinstance(listener, Lazy) and listener.when is not None:
            route(key, matchers=[listener.when])(ack=listener.ack, lazy=list(listener.lazy))
            route(key)(listener.ack)  # Bolt runs the first listener that matches
        elif isinstance(listener, Lazy):
            route(key)(ack=listener.ack, lazy=list(listener.lazy))
        else:
            route(key)(listener)
