"""A report's chart: drawn at send time from the seeded incidents and uploaded as a PNG that
decodes, of a sane size, with alt text; into the asker's DM for `/incident report`, after the
text in the broadcast channel for the weekly report. Refused or rate limited, the text is
there all the same; a quiet period has no chart."""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image
from structlog.testing import capture_logs

from tests.support.harness import Bot
from tests.support.reports import BROADCASTING, NOW, STATUS, history, seed
from tests.support.slack_views import refused

MONTH = history(n=20, start=NOW - timedelta(days=30))  # the month before the bot's clock
WEEKLY_AT = NOW + timedelta(days=6, hours=23)  # Monday 9 March, 09:00 in Berlin


def shared_png(double, complete) -> Image.Image:
    """The picture a files.completeUploadExternal call shared, checked as a sane PNG."""
    [item] = complete.params["files"]
    data = double.uploads[item["id"]]
    assert len(data) < 1_000_000
    image = Image.open(io.BytesIO(data))
    image.load()  # decodes the whole picture, not just its header
    assert image.format == "PNG"
    assert 800 <= image.width <= 2400 and 400 <= image.height <= 1600
    return image


async def recent_failures(bot: Bot) -> list[dict]:
    async with bot.http.get(f"{bot.base}/readyz") as response:
        return (await response.json())["outbox"]["recent_failures"]


async def test_the_report_command_answers_and_its_chart_follows_by_dm(bot, double):
    await seed(bot, MONTH)
    answer = await bot.command("report 30d")
    assert answer["text"].startswith("Incident report: ")  # the text, as before
    assert answer["blocks"][-1]["elements"][0]["text"] == (
        ":bar_chart: A chart of these figures follows in your DM with Firebell."
    )
    await bot.deliver()
    assert refused(double) == []
    [opened] = double.calls_to("conversations.open")
    assert opened.params["users"] == "U0ALICE"
    [asked] = double.calls_to("files.getUploadURLExternal")
    assert asked.params["filename"] == "incident-report-2026-03-02.png"
    alt = asked.params["alt_txt"]
    assert alt.startswith(
        "Chart: Incident report: Sat 31 Jan 10:00 – Mon 02 Mar 10:00 (Europe/Berlin). "
        "20 incidents declared over 31 days"
    )
    assert len(alt) <= 1000
    [complete] = double.calls_to("files.completeUploadExternal")
    assert complete.params["channel_id"] == "D0ALICE"  # the DM's id: Slack takes no user id
    assert complete.params["initial_comment"].startswith(":bar_chart: Incident report, the last 30")
    shared_png(double, complete)
    assert await recent_failures(bot) == []


async def test_a_quiet_period_has_no_chart_and_says_so_in_the_log(bot, double):
    answer = await bot.command("report 7d")
    assert "No incidents were declared in this period." in answer["text"]
    assert len(answer["blocks"]) == 1  # no word of a chart
    with capture_logs() as logged:
        await bot.deliver()
    assert double.calls_to("files.getUploadURLExternal") == []
    assert double.calls_to("conversations.open") == []
    [skipped] = [e for e in logged if e["event"] == "report_chart_skipped"]
    assert skipped["reason"] == "no incidents in the period"
    assert await recent_failures(bot) == []


async def weekly(tmp_path, double) -> Bot:
    """A bot with a broadcast channel and a week of incidents, at the weekly report's time."""
    bot = await Bot(tmp_path, double, config=BROADCASTING).start()
    await bot.tick()  # the weekly timer is armed for Monday 9 March 09:00 Berlin
    await seed(bot, history(n=12, start=NOW, end=WEEKLY_AT), end=WEEKLY_AT)
    await bot.tick()
    return bot


def weekly_text(double) -> list[dict]:
    return [m for m in double.messages(STATUS) if m["text"].startswith("Weekly incident report")]


async def test_the_weekly_report_is_followed_by_its_chart_in_the_channel(tmp_path, double):
    bot = await weekly(tmp_path, double)
    try:
        await bot.deliver()
        [text] = weekly_text(double)
        [post] = [
            c for c in double.calls_to("chat.postMessage") if c.params["text"].startswith("Weekly")
        ]
        [join] = double.calls_to("conversations.join")  # a file is shared only by a member
        [complete] = double.calls_to("files.completeUploadExternal")
        assert post.seq < join.seq < complete.seq  # the text first, then its chart
        assert complete.params["channel_id"] == STATUS and complete.error is None
        [asked] = double.calls_to("files.getUploadURLExternal")
        assert asked.params["alt_txt"].startswith(
            "Chart: Weekly incident report: Mon 02 Mar 09:00 – Mon 09 Mar 09:00 (Europe/Berlin)."
        )
        shared_png(double, complete)
        assert text["text"] == "Weekly incident report: 12 incidents in the last 7 days"
    finally:
        await bot.close()


async def test_a_refused_upload_leaves_the_text_and_fails_only_the_chart(tmp_path, double):
    bot = await weekly(tmp_path, double)
    try:
        double.inject("files.completeUploadExternal", error="not_in_channel")
        await bot.deliver()
        [text] = weekly_text(double)
        assert "*12* declared" in text["blocks"][0]["text"]["text"]
        [failure] = await recent_failures(bot)
        assert failure["kind"] == "report_chart"
        assert failure["error"] == "slack error: not_in_channel"
        await bot.deliver()  # failed for good (permanent): not tried again
        assert len(double.calls_to("files.completeUploadExternal")) == 1
        assert len(weekly_text(double)) == 1
    finally:
        await bot.close()


async def test_a_rate_limited_upload_is_retried_without_posting_the_text_again(bot, double):
    await seed(bot, MONTH)
    double.inject("files.getUploadURLExternal", retry_after=30)
    answer = await bot.command("report 7d")
    assert answer["text"].startswith("Incident report: ")
    await bot.deliver()  # refused once, then again after Retry-After
    tried = double.calls_to("files.getUploadURLExternal")
    assert [c.fault is not None for c in tried] == [True, False]
    [complete] = double.calls_to("files.completeUploadExternal")
    shared_png(double, complete)
    assert await recent_failures(bot) == []
