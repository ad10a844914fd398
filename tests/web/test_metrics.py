"""`GET /metrics`: Prometheus text format, and its figures move with what happens."""

from __future__ import annotations

from datetime import timedelta

from tests.support.db import rows
from tests.support.harness import Bot
from tests.support.metrics import scrape, value
from tests.support.teams import CONFIG as TEAMS_CONFIG


def series(samples, name: str) -> dict[tuple, float]:
    """Every series of one sample name: its labels as sorted (name, value) pairs -> value."""
    return {labels: v for (sample, labels), v in samples.items() if sample == name}


def by(severity: str, team: str, **more: str) -> tuple:
    return tuple(sorted({"severity": severity, "team": team, **more}.items()))


async def test_metrics_parse_and_move_with_incidents(bot, double):
    before = await scrape(bot)
    assert set(series(before, "firebell_open_incidents")) == {
        by(severity, "default") for severity in bot.config.severity_names
    }  # pre-labelled at zero: every severity, the one (default) team
    assert value(before, "firebell_open_incidents", severity="SEV2", team="default") == 0
    assert (
        value(
            before,
            "firebell_incidents_declared_total",
            severity="SEV2",
            team="default",
            source="slack",
        )
        == 0
    )

    await bot.command("declare sev2 One")
    await bot.command("declare sev2 Two")
    await bot.command("declare sev1 Three")
    samples = await scrape(bot)
    assert (
        value(
            samples,
            "firebell_incidents_declared_total",
            severity="SEV2",
            team="default",
            source="slack",
        )
        == 2
    )
    assert value(samples, "firebell_open_incidents", severity="SEV2", team="default") == 2
    assert value(samples, "firebell_open_incidents", severity="SEV1", team="default") == 1
    assert value(samples, "firebell_outbox_backlog") > 0

    bot.clock.advance(timedelta(minutes=4))
    await bot.command("ack INC-1")
    bot.clock.advance(timedelta(minutes=26))
    await bot.command("resolve INC-1")
    await bot.deliver()
    samples = await scrape(bot)
    assert value(samples, "firebell_outbox_backlog") == 0
    assert value(samples, "firebell_open_incidents", severity="SEV2", team="default") == 1
    assert (
        value(samples, "firebell_acknowledge_seconds_count", severity="SEV2", team="default") == 1
    )
    assert (
        value(samples, "firebell_acknowledge_seconds_sum", severity="SEV2", team="default") == 240
    )
    assert (
        value(
            samples,
            "firebell_acknowledge_seconds_bucket",
            severity="SEV2",
            team="default",
            le="300.0",
        )
        == 1
    )
    assert (
        value(
            samples,
            "firebell_acknowledge_seconds_bucket",
            severity="SEV2",
            team="default",
            le="120.0",
        )
        == 0
    )
    assert value(samples, "firebell_resolve_seconds_sum", severity="SEV2", team="default") == 1800
    assert value(samples, "firebell_timer_lateness_seconds_count", kind="reminder") == 0


async def test_delivery_errors_and_slack_errors_by_method_are_counted(bot, double):
    await bot.command("declare sev3 Errors")
    double.inject("chat.postMessage", status=500)
    await bot.deliver()  # the card: 500, then retried and delivered
    await bot.command("update INC-1 more")
    double.inject("chat.postMessage", error="channel_not_found")
    await bot.deliver()  # the reply fails for good
    samples = await scrape(bot)
    assert (
        value(samples, "firebell_outbox_delivery_errors_total", kind="card", outcome="retry") == 1
    )
    assert (
        value(samples, "firebell_outbox_delivery_errors_total", kind="reply", outcome="failed") == 1
    )
    assert value(samples, "firebell_outbox_failed") == 1
    assert (
        value(
            samples, "firebell_slack_api_errors_total", method="chat.postMessage", error="http_500"
        )
        == 1
    )
    assert (
        value(
            samples,
            "firebell_slack_api_errors_total",
            method="chat.postMessage",
            error="channel_not_found",
        )
        == 1
    )


async def test_timer_lateness_is_observed(tmp_path, double):
    bot = await Bot(tmp_path, double).start()
    try:
        await bot.command("declare sev1 Late")  # escalates after 15m
        await bot.stop()
        bot.clock.advance(timedelta(minutes=15, seconds=42))
        await bot.start()
        await bot.tick()
        samples = await scrape(bot)
        assert value(samples, "firebell_timer_lateness_seconds_count", kind="escalate") == 1
        assert value(samples, "firebell_timer_lateness_seconds_sum", kind="escalate") == 42
        assert (
            value(samples, "firebell_timer_lateness_seconds_bucket", kind="escalate", le="30.0")
            == 0
        )
    finally:
        await bot.close()


async def test_each_app_has_its_own_registry(tmp_path, double):
    first = await Bot(tmp_path / "a", double).start()
    second = await Bot(tmp_path / "b", double).start()
    try:
        await first.command("declare sev2 Only in the first")
        one, two = await scrape(first), await scrape(second)
        assert (
            value(
                one,
                "firebell_incidents_declared_total",
                severity="SEV2",
                team="default",
                source="slack",
            )
            == 1
        )
        assert (
            value(
                two,
                "firebell_incidents_declared_total",
                severity="SEV2",
                team="default",
                source="slack",
            )
            == 0
        )
        assert value(two, "firebell_open_incidents", severity="SEV2", team="default") == 0
    finally:
        await first.close()
        await second.close()


async def test_incident_figures_carry_the_team_and_no_team_stored_reads_as_default(
    tmp_path, double
):
    bot = await Bot(tmp_path, double, config=TEAMS_CONFIG).start()
    try:
        pairs = {
            (s, t) for s in ("SEV1", "SEV2", "SEV3") for t in ("default", "platform", "payments")
        }
        before = await scrape(bot)
        for name in (
            "firebell_open_incidents",
            "firebell_acknowledge_seconds_count",
            "firebell_resolve_seconds_count",
        ):  # present from the first scrape, at zero, for every (severity, team) of the config
            assert series(before, name) == {by(s, t): 0 for s, t in pairs}, name
        assert series(before, "firebell_incidents_declared_total") == {}

        await bot.command("declare sev2 Checkout failing team:payments")  # INC-1
        await bot.command("declare sev2 Billing slow service:billing")  # INC-2, payments' service
        await bot.command("declare sev1 API down team:platform")  # INC-3
        await bot.command("declare sev2 Office wifi down")  # INC-4, the default team
        await bot.command("declare sev2 Old one")  # INC-5, stored as before teams existed:
        rows(bot, "UPDATE incidents SET team = NULL WHERE id = 5")
        samples = await scrape(bot)
        assert series(samples, "firebell_incidents_declared_total") == {
            by("SEV2", "payments", source="slack"): 2,
            by("SEV1", "platform", source="slack"): 1,
            by("SEV2", "default", source="slack"): 2,
        }
        open_now = {by(s, t): 0 for s, t in pairs}
        open_now |= {by("SEV2", "payments"): 2, by("SEV1", "platform"): 1, by("SEV2", "default"): 2}
        assert series(samples, "firebell_open_incidents") == open_now  # no team="" series

        bot.clock.advance(timedelta(minutes=3))
        await bot.command("ack INC-1")
        bot.clock.advance(timedelta(minutes=7))
        await bot.command("ack INC-5")  # no team stored: the default team's
        await bot.command("resolve INC-1")
        bot.clock.advance(timedelta(minutes=20))
        await bot.command("resolve INC-5")
        samples = await scrape(bot)
        open_now |= {by("SEV2", "payments"): 1, by("SEV2", "default"): 1}
        assert series(samples, "firebell_open_incidents") == open_now
        assert series(samples, "firebell_acknowledge_seconds_count") == {
            by(s, t): 0 for s, t in pairs
        } | {by("SEV2", "payments"): 1, by("SEV2", "default"): 1}
        assert series(samples, "firebell_acknowledge_seconds_sum") == {
            by(s, t): 0 for s, t in pairs
        } | {by("SEV2", "payments"): 180, by("SEV2", "default"): 600}
        assert (
            value(
                samples,
                "firebell_acknowledge_seconds_bucket",
                severity="SEV2",
                team="payments",
                le="300.0",
            )
            == 1
        )
        assert (
            value(
                samples,
                "firebell_acknowledge_seconds_bucket",
                severity="SEV2",
                team="default",
                le="300.0",
            )
            == 0
        )
        assert series(samples, "firebell_resolve_seconds_sum") == {
            by(s, t): 0 for s, t in pairs
        } | {by("SEV2", "payments"): 600, by("SEV2", "default"): 1800}

        rows(bot, "UPDATE incidents SET team = 'infra' WHERE id = 3")  # a team removed since
        samples = await scrape(bot)
        assert value(samples, "firebell_open_incidents", severity="SEV1", team="infra") == 1
        assert value(samples, "firebell_open_incidents", severity="SEV1", team="platform") == 0
        await bot.command("resolve INC-3")
        samples = await scrape(bot)  # a series seen once drops to zero, still there
        assert series(samples, "firebell_open_incidents") == open_now | {
            by("SEV1", "platform"): 0,
            by("SEV1", "infra"): 0,
        }
    finally:
        await bot.close()
