"""`/p/<token>`: the acknowledge link, over real HTTP against a real bot.

GET shows and changes nothing; POST acknowledges or escalates as the person the link names
(audited with source `link`); resolved incidents answer 200 and change nothing; forged and
expired links answer the same 404."""

from __future__ import annotations

from datetime import timedelta

from structlog.testing import capture_logs

from bot.clock import ManualClock
from bot.services.page_links import PageLinkService
from tests.support.audit import log
from tests.support.db import count, rows
from tests.support.harness import Bot

TITLE = "<script>alert('x')</script> Checkout & cart"
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}


def token_for(bot: Bot, number: int, user: str = "U0AAA") -> str:
    link = bot.app.services.page_links.link(number, user)
    assert link is not None and link.startswith(f"{bot.app.settings.public_url()}/p/")
    return link.rsplit("/p/", 1)[1]


async def get(bot: Bot, token: str) -> tuple[int, str, dict]:
    async with bot.http.get(f"{bot.base}/p/{token}", allow_redirects=False) as response:
        return response.status, await response.text(), dict(response.headers)


async def post(bot: Bot, token: str, action: str | None) -> tuple[int, str]:
    form = {} if action is None else {"action": action}
    async with bot.http.post(f"{bot.base}/p/{token}", data=form) as response:
        return response.status, await response.text()


def incident(bot: Bot, number: int) -> dict:
    [row] = rows(
        bot,
        "SELECT status, acknowledged_by, escalation_level, resolved_by, title "
        "FROM incidents WHERE id = ?",
        number,
    )
    return dict(zip(("status", "ack", "level", "resolved_by", "title"), row, strict=True))


def events(bot: Bot, number: int) -> int:
    return count(bot, "events", "incident_id = ?", number)


def written(bot: Bot) -> tuple[int, int, int]:
    """Everything a request could have written: events, audit rows, outbox rows."""
    return count(bot, "events"), count(bot, "audit_log"), count(bot, "outbox")


async def test_get_shows_the_incident_escaped_and_changes_nothing(bot):
    await bot.command(f"declare sev2 {TITLE}")
    assert incident(bot, 1)["title"] == TITLE
    token = token_for(bot, 1)
    before = written(bot)

    status, body, headers = await get(bot, token)
    assert status == 200, body
    assert headers["Content-Type"].startswith("text/html")
    assert {k: headers.get(k) for k in HEADERS} == HEADERS
    assert body.startswith("<!doctype html>")
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Checkout &amp; cart" in body
    assert "<script" not in body
    assert "INC-1" in body and "SEV2" in body and "Declared" in body and "default" in body
    assert 'name="action" value="ack"' in body and 'name="action" value="escalate"' in body
    assert "This link acts as U0AAA." in body
    async with bot.http.head(f"{bot.base}/p/{token}") as response:
        assert response.status == 200

    assert incident(bot, 1)["ack"] is None
    assert written(bot) == before


async def test_post_ack_acknowledges_as_the_linked_person_and_audits_the_link(bot):
    await bot.command("declare sev2 Checkout slow")
    token = token_for(bot, 1)

    status, body = await post(bot, token, "ack")
    assert status == 200, body
    assert "You acknowledged INC-1." in body
    assert incident(bot, 1)["status"] == "acknowledged"
    assert incident(bot, 1)["ack"] == "U0AAA"
    [row] = [r for r in await log(bot) if r["action"] == "acknowledge"]
    assert (row["actor"], row["source"], row["target"], row["outcome"]) == (
        "U0AAA",
        "link",
        "INC-1",
        "done",
    )

    status, body, _ = await get(bot, token)
    assert status == 200
    assert "Acknowledged" in body and "U0AAA at 2026-03-02 09:00 UTC" in body

    status, body = await post(bot, token, "ack")  # again: the use case's refusal, in plain text
    assert status == 200
    assert "INC-1 is already acknowledged by U0AAA" in body and "&lt;@" not in body


async def test_post_escalate_escalates_another_incident(bot):
    await bot.command("declare sev2 Checkout slow")
    await bot.command("declare sev2 Search down")
    token = token_for(bot, 2)

    status, body = await post(bot, token, "escalate")
    assert status == 200, body
    assert "You escalated INC-2: level 2 is being paged." in body
    assert "U0LEAD" in body  # who else was paged, now
    assert incident(bot, 2)["level"] == 1
    assert incident(bot, 1)["level"] == 0
    [row] = [r for r in await log(bot) if r["action"] == "escalate"]
    assert (row["actor"], row["source"], row["target"]) == ("U0AAA", "link", "INC-2")


async def test_a_link_older_than_a_day_is_not_valid(bot):
    await bot.command("declare sev2 Checkout slow")
    token = token_for(bot, 1)
    bot.clock.advance(timedelta(hours=24) - timedelta(seconds=1))
    status, _, _ = await get(bot, token)
    assert status == 200
    bot.clock.advance(timedelta(seconds=1))
    before = written(bot)

    status, expired, headers = await get(bot, token)
    assert status == 404
    assert "not valid or has expired" in expired
    assert headers["Cache-Control"] == "no-store"
    status, body = await post(bot, token, "ack")
    assert (status, body) == (404, expired)
    assert incident(bot, 1)["ack"] is None
    assert written(bot) == before


async def test_forged_links_answer_like_expired_ones(bot):
    await bot.command("declare sev2 Checkout slow")
    token = token_for(bot, 1)
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    other_secret = PageLinkService(None, None, bot.clock, lambda: None, None, "guess", "")
    guessed = other_secret.link(1, "U0AAA").rsplit("/p/", 1)[1]
    before = written(bot)
    bodies = set()
    for fake in (forged, guessed, "nonsense", "A" * 46, "x" * 2000):
        status, body, _ = await get(bot, fake)
        assert status == 404, fake
        bodies.add(body)
        status, body = await post(bot, fake, "ack")
        assert status == 404, fake
        bodies.add(body)
    bot.clock.advance(timedelta(days=2))
    bodies.add((await get(bot, token))[1])  # expired
    assert len(bodies) == 1
    assert incident(bot, 1)["ack"] is None
    assert written(bot) == before


async def test_a_link_to_an_incident_that_does_not_exist_is_not_valid(bot):
    token = token_for(bot, 99)
    status, body, _ = await get(bot, token)
    assert status == 404 and "not valid or has expired" in body


async def test_a_resolved_incident_says_so_and_a_post_changes_nothing(bot):
    await bot.command("declare sev2 Checkout slow")
    token = token_for(bot, 1)
    bot.clock.advance(timedelta(minutes=12))
    await bot.command("resolve INC-1 rolled back", user="U0ALICE")
    before, count_before = written(bot), events(bot, 1)

    status, body, _ = await get(bot, token)
    assert status == 200
    assert "INC-1 was resolved by U0ALICE at 2026-03-02 09:12 UTC." in body
    assert "<form" not in body
    for action in ("ack", "escalate"):
        status, body = await post(bot, token, action)
        assert status == 200
        assert "INC-1 is resolved; nothing was changed." in body
        assert "<form" not in body
    assert events(bot, 1) == count_before
    assert written(bot) == before
    assert incident(bot, 1)["status"] == "resolved"


async def test_a_link_from_before_a_resolution_stays_useless_after_a_reopen(bot):
    await bot.command("declare sev2 Checkout slow")
    token = token_for(bot, 1)
    bot.clock.advance(timedelta(minutes=5))
    await bot.command("resolve INC-1 fixed", user="U0ALICE")
    await bot.command("reopen INC-1 not fixed", user="U0ALICE")
    assert incident(bot, 1)["status"] == "declared"
    before = written(bot)

    status, body, _ = await get(bot, token)
    assert status == 200 and "<form" not in body and "no longer acts" in body
    status, body = await post(bot, token, "ack")
    assert status == 200 and "issued before INC-1 was resolved; nothing was changed" in body
    assert incident(bot, 1)["ack"] is None
    assert written(bot) == before

    fresh = token_for(bot, 1)  # the reopened incident's own pages carry new links
    status, body = await post(bot, fresh, "ack")
    assert "You acknowledged INC-1." in body and incident(bot, 1)["ack"] == "U0AAA"


async def test_an_unknown_or_missing_action_is_400_and_changes_nothing(bot):
    await bot.command("declare sev2 Checkout slow")
    token = token_for(bot, 1)
    before = written(bot)
    for action in ("resolve", "ACK", "", None):
        status, _ = await post(bot, token, action)
        assert status == 400, action
    assert incident(bot, 1)["ack"] is None
    assert written(bot) == before


async def test_a_large_or_unsized_form_is_refused(bot):
    await bot.command("declare sev2 Checkout slow")
    token = token_for(bot, 1)
    before = written(bot)
    async with bot.http.post(
        f"{bot.base}/p/{token}", data={"action": "ack", "pad": "x" * 5000}
    ) as response:
        assert response.status == 413

    async def chunks():
        yield b"action=ack"

    async with bot.http.post(
        f"{bot.base}/p/{token}",
        data=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ) as response:
        assert response.status == 411
    assert written(bot) == before


async def test_the_token_is_never_logged_in_full(bot):
    await bot.command("declare sev2 Checkout slow")
    token = token_for(bot, 1)
    with capture_logs() as logged:
        await get(bot, token)
        await post(bot, token, "ack")
        await get(bot, token[:-2] + "zz")
    assert any(entry["event"] == "page_link_acted" for entry in logged)
    assert not any(token in repr(entry) for entry in logged)


async def test_without_a_secret_there_are_no_links():
    service = PageLinkService(None, None, ManualClock(), lambda: None, None, None, "http://x")
    assert service.link(1, "U0AAA") is None
    assert await service.view("anything") is None


async def test_a_link_is_served_by_every_replica_sharing_the_secret(tmp_path, double):
    first = await Bot(tmp_path, double).start()
    try:
        await first.command("declare sev2 Checkout slow")
        token = token_for(first, 1)
        await first.stop()
        restarted = await first.start()  # a restart (or another replica) reads the same link
        status, body = await post(restarted, token, "ack")
        assert status == 200 and "You acknowledged INC-1." in body
    finally:
        await first.close()
