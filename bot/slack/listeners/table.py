"""A kind's listeners as a table of id -> callback, and how Bolt gets them: a plain callback
acks itself; a `Lazy` one acks at once and its slow part (a modal, App Home) runs after the
ack, because Slack waits at most 3 seconds and a `trigger_id` lasts only as long."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any, NamedTuple


class Lazy(NamedTuple):
    ack: Callable[..., Any]
    lazy: Sequence[Callable[..., Any]]


Listener = Callable[..., Any] | Lazy
Table = Mapping[StrEnum, Listener]


def attach(route: Callable[[str], Callable[..., Any]], table: Table) -> None:
    """`route` is a Bolt registrar: `app.command`, `app.action`, `app.view`, ..."""
    for key, listener in table.items():
        if isinstance(listener, Lazy):
            route(key)(ack=listener.ack, lazy=list(listener.lazy))
        else:
            route(key)(listener)
