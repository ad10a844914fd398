"""A kind's table of id -> callback becomes Bolt registrations exactly as written by hand;
the requests `alone` matches are acked with no lazy part, and first."""

from __future__ import annotations

from bot.slack.ids import Action, Command
from bot.slack.listeners.table import Lazy, attach
from tests.support.harness import CHANNEL


class Route:
    """Stands in for `app.action` and the like: records what each id was registered with."""

    def __init__(self):
        self.calls = []
        self.matchers = []

    def __call__(self, key, matchers=None):
        def register(*args, **kwargs):
            self.calls.append((key, args, kwargs))
            self.matchers.append(matchers)

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


async def worded(command) -> bool:
    return bool(command.get("text"))


def test_a_lazy_one_with_alone_acks_those_alone_first_and_runs_its_lazy_part_for_the_rest():
    route = Route()
    attach(route, {Command.INCIDENT: Lazy(ack=acks, lazy=(opens_modal,), alone=worded)})
    assert route.calls == [
        ("/incident", (acks,), {}),  # Bolt runs the first that matches: no copy for these
        ("/incident", (), {"ack": acks, "lazy": [opens_modal]}),
    ]
    assert route.matchers == [[worded], None]


async def test_only_a_bare_command_opens_the_declare_form(bot, double):
    assert "Declared INC-1" in (await bot.command("declare Disk full"))["text"]
    assert (await bot.command("help"))["text"]
    answer = await bot.command("   ")
    assert answer["text"] == "Opening the declare form…"
    [opened] = await double.wait_for("views.open")
    assert opened.params["view"]["private_metadata"] == CHANNEL
