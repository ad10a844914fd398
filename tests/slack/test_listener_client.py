"""The client Bolt's listeners call Slack with (modals, App Home): kept alive and metered, and
still whole in the copy Bolt makes of each request for its lazy listeners."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.client import SharedClientApp
from tests.support import signing
from tests.support.metrics import scrape, value


def home_opened(user: str = "U0ALICE") -> bytes:
    event = {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"}
    return signing.event_body(event)


async def test_modals_and_the_home_reuse_their_connections_to_slack(bot, double):
    """Each modal is opened by a lazy listener (Bolt deep-copies the request for it); a
    client without a session would open a connection per call (against Slack, a TLS
    handshake each)."""
    for n in range(3):
        answer = await bot.command("", channel=f"C0FORM{n}")
        assert "Opening the declare form" in answer["text"]
        await double.wait_for("views.open", n + 1)
        await bot.post_signed(home_opened())
        await double.wait_for("views.publish", n + 1)
    calls = double.calls_to("views.open") + double.calls_to("views.publish")
    assert [c.params["view"]["private_metadata"] for c in double.calls_to("views.open")] == [
        "C0FORM0",
        "C0FORM1",
        "C0FORM2",
    ]
    assert len(calls) == 6 and all(c.peer for c in calls)
    assert len({c.peer for c in calls}) < len(calls) / 2


async def test_a_connection_slack_closed_meanwhile_is_opened_again(bot, double):
    await bot.command("")
    [first] = await double.wait_for("views.open")
    double.close_connections()
    await bot.command("")
    later = (await double.wait_for("views.open", 2))[1]
    assert later.peer != first.peer and not later.fault


async def test_a_refused_modal_is_counted_by_method(bot, double):
    double.inject("views.open", error="expired_trigger_id")
    await bot.command("")
    [refused] = await double.wait_for("views.open")
    assert refused.fault
    samples = await scrape(bot)
    labels = {"method": "views.open", "error": "expired_trigger_id"}
    assert value(samples, "firebell_slack_api_errors_total", **labels) == 1


def test_a_request_gets_the_context_bolt_would_give_it_with_the_shared_client():
    """`SharedClientApp` sets up each request's context in place of Bolt's own
    `_init_context` (which builds a client per request): an upgrade of Bolt that sets up
    more there fails here instead of leaving listeners without it."""
    token, options = (
        "test-bot-token",
        {"signing_secret": "s", "request_verification_enabled": False},
    )
    shared = AsyncWebClient(token=token)
    ours = SharedClientApp(shared=shared, name="app.py", token=token, **options)
    bolts = AsyncApp(name="app.py", token=token, **options)
    body = "command=%2Fincident&text=&team_id=T0TEAM&user_id=U0ALICE&channel_id=C0INC"
    headers = {"content-type": ["application/x-www-form-urlencoded"]}
    mine, theirs = (AsyncBoltRequest(body=body, headers=headers) for _ in range(2))
    ours._init_context(mine)
    bolts._init_context(theirs)
    assert sorted(mine.context) == sorted(theirs.context)
    assert mine.context["client"] is shared and theirs.context["client"] is not shared
    assert theirs.context["client"].token == shared.token
    for key in set(mine.context) - {"client", "listener_runner"}:
        assert mine.context[key] == theirs.context[key], key
    assert type(mine.context["listener_runner"]) is type(theirs.context["listener_runner"])
    assert mine.context["listener_runner"] is ours.listener_runner
