"""The postmortem draft goes up where Slack lets a file be shared: the bot joins a public
incident channel first; a private one it is not in fails for good, saying `/invite @Firebell`
is needed, on /readyz and to whoever asked."""

from __future__ import annotations

from tests.support import harness
from tests.support.harness import CHANNEL, Bot
from tests.support.slack_views import card_of, refused

PRIVATE = "C0PRIVATE"


async def recent_failures(bot: Bot) -> list[dict]:
    async with bot.http.get(f"{bot.base}/readyz") as response:
        return (await response.json())["outbox"]["recent_failures"]


async def test_the_bot_joins_a_public_channel_before_uploading(bot, double):
    await bot.command("declare sev2 Search is slow")
    await bot.deliver()
    assert CHANNEL not in double.joined  # the card went up without joining (chat:write.public)
    await bot.command("postmortem INC-1")
    await bot.deliver()
    assert refused(double) == []
    [join] = double.calls_to("conversations.join")
    assert join.params["channel"] == CHANNEL and CHANNEL in double.joined
    [complete] = double.calls_to("files.completeUploadExternal")
    assert complete.params["channel_id"] == CHANNEL and complete.error is None
    assert complete.params["thread_ts"] == card_of(double)["ts"]
    assert await recent_failures(bot) == []
    await bot.command("postmortem INC-1")  # again, as a member: Slack says it already is
    await bot.deliver()
    assert [c.error for c in double.calls_to("files.completeUploadExternal")] == [None, None]


async def private_bot(tmp_path, double) -> Bot:
    config = harness.CONFIG.replace(f"incident_channel: {CHANNEL}", f"incident_channel: {PRIVATE}")
    double.add_channel(PRIVATE, "incidents-private", private=True, member=True)
    return await Bot(tmp_path, double, config=config).start()


async def test_a_private_channel_the_bot_is_in_gets_the_draft(tmp_path, double):
    bot = await private_bot(tmp_path, double)
    try:
        await bot.command("declare sev2 Payroll export fails", channel=PRIVATE)
        await bot.command("postmortem INC-1", channel=PRIVATE)
        await bot.deliver()
        [complete] = double.calls_to("files.completeUploadExternal")
        assert complete.params["channel_id"] == PRIVATE and complete.error is None
        assert refused(double) == ["conversations.join: method_not_supported_for_channel_type"]
        assert await recent_failures(bot) == []
    finally:
        await bot.close()


async def test_a_private_channel_the_bot_left_says_invite_is_needed(tmp_path, double):
    bot = await private_bot(tmp_path, double)
    try:
        await bot.command("declare sev2 Payroll export fails", channel=PRIVATE)
        await bot.deliver()
        double.joined.discard(PRIVATE)  # someone removed Firebell from the channel
        await bot.command("postmortem INC-1", user="U0BOB", channel=PRIVATE)
        await bot.deliver()
        assert double.calls_to("files.completeUploadExternal") == []
        [failure] = await recent_failures(bot)
        assert failure["kind"] == "postmortem" and failure["incident"] == 1
        assert f"not in channel {PRIVATE}" in failure["error"]
        assert "`/invite @Firebell`" in failure["error"]
        # Slack refuses a reply in the thread too (the bot cannot see the channel), so the
        # person who asked hears it by DM
        tried = [c for c in double.calls_to("chat.postMessage") if "/invite" in c.params["text"]]
        assert [(c.params["channel"], c.error) for c in tried] == [
            (PRIVATE, "channel_not_found"),
            ("U0BOB", None),
        ]
        [dm] = double.messages("D0BOB")
        assert dm["text"] == (
            f":lock: The postmortem draft of INC-1 cannot go up in <#{PRIVATE}>: Firebell is not "
            "a member of that private channel. Invite it with `/invite @Firebell` there, then "
            "ask again with `/incident postmortem INC-1`."
        )
        await bot.deliver()  # failed for good: not tried again
        assert len(double.calls_to("conversations.join")) == 1
    finally:
        await bot.close()
