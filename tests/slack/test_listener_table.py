"""A kind's table of id -> callback becomes Bolt registrations exactly as written by hand."""

from __future__ import annotations

from bot.slack.ids import Action
from bot.slack.listeners.table import Lazy, attach


class Route:
    """Stands in for `app.action` and the like: records what each id was registered with."""

    def __init__(self):
        self.calls = []

    def __call__(self, key):
        def register(*args, **kwargs):
            self.calls.append((key, args, kwargs))

        return register


async def acks(ack, body, context):
    await ack()


async def opens_modal(body, client):
    pass


def test_a_plain_callback_is_registered_alone():
    route = Route()
    attach(route, {Action.ACK: acks})
    assert route.calls == [("incident_ack", (acks,), {})]


def test_a_lazy_one_acks_first_and_runs_the_rest_after():
    route = Route()
    attach(route, {Action.UPDATE: Lazy(ack=acks, lazy=(opens_modal,))})
    assert route.calls == [("incident_update", (), {"ack": acks, "lazy": [opens_modal]})]


def test_ids_are_registered_in_table_order():
    route = Route()
    attach(route, {Action.RESOLVE: acks, Action.ACK: acks, Action.REOPEN: acks})
    assert [key for key, _, _ in route.calls] == [Action.RESOLVE, Action.ACK, Action.REOPEN]
