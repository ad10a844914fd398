"""The postmortem draft of a scripted incident matches the expected document, figures computed
from the timeline; it goes into the thread as a file and is served by link behind a token.

Regenerate the golden file (tests/golden/) after an intended change with
`FIREBELL_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/services/test_postmortem.py`, then
read the diff before committing it."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.services.postmortem import derive_token
from bot.slack.ids import Action, Shortcut
from tests.support.harness import CHANNEL, SECRET
from tests.support.shortcuts import message_action_body

GOLDEN = Path(__file__).parents[1] / "golden" / "postmortem_scripted.md"


def stamp(hour: int, minute: int) -> str:
    """A Slack message ts at that time (UTC) on the script's day."""
    return f"{int(datetime(2026, 3, 2, hour, minute, tzinfo=UTC).timestamp())}.000100"


async def script(bot, double) -> None:
    """In UTC (the draft shows Berlin, an hour ahead): declared 09:00 as SEV2 (1h to
    acknowledge); nobody acknowledges, so level 2 is called at 10:00; the lead acknowledges at
    10:07, takes command at 10:10, posts an update with an ETA of 30m at 10:15 and raises it to
    SEV1 at 10:20; a thread message from 10:12 is added to the timeline at 10:25; the ETA
    passes at 10:45; another update at 11:05; resolved at 11:25."""
    await bot.command(
        "declare sev2 Checkout API returns 500s for <@U0BOB|bob> service:api tenant:acme,globex"
    )
    await bot.deliver()
    await bot.advance(timedelta(hours=1, minutes=7))  # escalated at 10:00
    await bot.command("ack INC-1", user="U0LEAD")
    bot.clock.advance(timedelta(minutes=3))
    await bot.command("assign INC-1 commander <@U0LEAD|lead>", user="U0LEAD")
    bot.clock.advance(timedelta(minutes=5))
    await bot.command("update INC-1 Rolled back deploy 4711 | checking eta 30m", user="U0LEAD")
    bot.clock.advance(timedelta(minutes=5))
    await bot.command("sev INC-1 sev1", user="U0LEAD")
    await bot.deliver()
    [card] = double.messages(CHANNEL, top_level_only=True)
    message = {
        "ts": stamp(10, 12),  # posted before it was added to the timeline
        "thread_ts": card["ts"],
        "user": "U0BOB",
        "text": "Error rate is back to normal on <#C0API|api-alerts>",
    }
    bot.clock.advance(timedelta(minutes=5))
    await bot.post_signed(message_action_body(Shortcut.ADD_TO_TIMELINE, message, user_id="U0CAROL"))
    await bot.advance(timedelta(minutes=40))  # the ETA (10:45) passes
    await bot.command("update INC-1 Canary looks good", user="U0LEAD")
    bot.clock.advance(timedelta(minutes=20))
    await bot.command("resolve INC-1 A bad deploy; rolled back and added a canary", user="U0LEAD")
    await bot.deliver()


async def test_the_draft_of_a_scripted_incident_matches_the_expected_document(bot, double):
    await script(bot, double)
    answer = await bot.command("postmortem INC-1")
    token = derive_token(SECRET, 1)
    link = f"http://localhost:0/incidents/INC-1/postmortem.md?token={token}"
    assert answer["text"].startswith(
        "The postmortem draft of INC-1 is going up in its thread as a Markdown file."
    )
    assert f"<{link}|INC-1-postmortem.md>" in answer["text"]
    await bot.deliver()
    [upload] = double.calls_to("files.getUploadURLExternal")
    assert upload.params["filename"] == "INC-1-postmortem.md"
    [complete] = double.calls_to("files.completeUploadExternal")
    [card] = double.messages(CHANNEL, top_level_only=True)
    assert complete.params["channel_id"] == CHANNEL
    assert complete.params["thread_ts"] == card["ts"]
    assert complete.params["files"] == [{"id": "F0FILE0001", "title": "Postmortem draft: INC-1"}]
    assert "asked for by <@U0ALICE>" in complete.params["initial_comment"]
    draft = double.uploads["F0FILE0001"].decode()
    if os.environ.get("FIREBELL_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(draft)
    assert draft == GOLDEN.read_text()

    # the figures, computed here from the script rather than read from the draft
    assert "- Time to acknowledge: 1h 7m (target 15m: missed), by @U0LEAD" in draft
    assert "- Time to resolve: 2h 25m" in draft
    assert (
        "- Escalations: 1\n  - 2026-03-02 11:00, by Firebell: Escalated to level 2: @U0LEAD"
        in draft
    )
    assert "- Status updates: 2; longest without one: 1h 15m" in draft
    assert "- ETAs missed: 1" in draft
    assert "| Tenants affected | acme, globex |" in draft
    assert "| 2026-03-02 11:12 | @U0CAROL | From the thread, @U0BOB: Error rate is back" in draft
    assert "Rolled back deploy 4711 \\| checking" in draft  # a pipe cannot break the table
    assert "reminder" not in draft.lower()

    served = await bot.http.get(f"{bot.base}/incidents/INC-1/postmortem.md?token={token}")
    assert served.status == 200
    assert served.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert await served.text() == draft


async def test_the_link_needs_the_incidents_own_token(bot, double):
    await bot.command("declare sev3 Small thing")
    base = f"{bot.base}/incidents"
    good = derive_token(SECRET, 1)
    for url in (
        f"{base}/INC-1/postmortem.md",
        f"{base}/INC-1/postmortem.md?token=",
        f"{base}/INC-1/postmortem.md?token={good[:-1]}x",
        f"{base}/INC-1/postmortem.md?token={derive_token(SECRET, 2)}",  # another incident's
        f"{base}/INC-2/postmortem.md?token=wrong",  # no such incident: still 403
    ):
        response = await bot.http.get(url)
        assert response.status == 403, url
        assert "needs the token from its link" in await response.text()
    missing = await bot.http.get(f"{base}/INC-2/postmortem.md?token={derive_token(SECRET, 2)}")
    assert missing.status == 404
    assert (await bot.http.get(f"{base}/nonsense/postmortem.md?token={good}")).status == 404
    ok = await bot.http.get(f"{base}/inc-1/postmortem.md?token={good}")
    assert ok.status == 200
    text = await ok.text()
    assert text.startswith("# Postmortem: INC-1 · Small thing\n")
    assert "| Status | declared |" in text and "still open" in text


async def test_resolution_offers_the_draft_with_a_button(bot, double):
    await bot.command("declare sev2 Button flow")
    bot.clock.advance(timedelta(minutes=30))
    await bot.command("resolve INC-1 Done")
    await bot.deliver()
    [card] = double.messages(CHANNEL, top_level_only=True)
    resolved = double.thread(CHANNEL, card["ts"])[-1]
    assert resolved["text"].startswith(":white_check_mark: <@U0ALICE> resolved INC-1 after 30m.")
    [actions] = [b for b in resolved["blocks"] if b["type"] == "actions"]
    [button] = actions["elements"]
    assert (button["action_id"], button["value"]) == (Action.POSTMORTEM, "1")

    response = await bot.click(Action.POSTMORTEM, "1", user="U0BOB")
    assert response.status == 200
    await bot.deliver()
    assert len(double.calls_to("files.completeUploadExternal")) == 1
    [private] = double.calls_to("chat.postEphemeral")
    assert private.params["user"] == "U0BOB"
    assert f"token={derive_token(SECRET, 1)}" in private.params["text"]


async def test_unknown_incident_and_no_secret(bot, double, tmp_path):
    answer = await bot.command("postmortem INC-9")
    assert answer["text"] == "There is no INC-9. See `/incident list`."
    await bot.command("declare sev3 No secret")
    postmortems = bot.app.services.postmortems
    postmortems._secret = None  # as with no signing secret, bot token or calendar secret
    assert postmortems.link(1) is None and not postmortems.allows(1, "anything")
    answer = await bot.command("postmortem INC-1")
    assert answer["text"] == (
        "The postmortem draft of INC-1 is going up in its thread as a Markdown file."
    )


async def test_the_upload_is_retried_when_slack_fails(bot, double):
    await bot.command("declare sev3 Retry upload")
    await bot.deliver()
    double.inject("files.completeUploadExternal", status=500)
    await bot.command("postmortem INC-1")
    await bot.deliver()
    assert len(double.calls_to("files.completeUploadExternal")) == 2
    assert double.calls_to("files.completeUploadExternal")[-1].fault is None
