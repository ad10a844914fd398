"""The client Bolt's listeners call Slack with (modals, App Home): kept alive and metered, and
still whole in the copy Bolt makes of each request for its lazy listeners."""

from __future__ import annotations

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
