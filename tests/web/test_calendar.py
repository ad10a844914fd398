"""`GET /calendar/<rotation>.ics`: a real bot over loopback, parsed with icalendar."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
import sqlalchemy as sa
from icalendar import Calendar

from bot.app import Firebell
from bot.clock import ManualClock
from bot.config import parse_config
from bot.core.rotation import shifts
from bot.services.oncall import Rotations, load_overrides
from bot.store.tables import overrides, people
from tests.support.harness import CONFIG, SECRET, Bot

TOKEN = "cal-token-0123456789abcdef"
CONFIG_WITH_CALENDARS = CONFIG.replace(
    """escalation:""",
    f"""  - name: ops
    members: [U0CCC, carol@example.com, U0DDD]
    shift: 1d
    start: 2026-01-05T08:00
    timezone: America/New_York
    calendar_token: {TOKEN}
escalation:""",
)
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # Monday, 90 minutes into U0AAA's week


def derived(secret: str, rotation: str) -> str:
    return hmac.new(secret.encode(), f"calendar:{rotation}".encode(), hashlib.sha256).hexdigest()[
        :32
    ]


@pytest.fixture
async def cal(tmp_path, double):
    running = await Bot(
        tmp_path, double, config=CONFIG_WITH_CALENDARS, clock=ManualClock(NOW)
    ).start()
    yield running
    await running.close()


async def fetch(bot: Bot, path: str) -> tuple[int, str, aiohttp.typedefs.LooseHeaders]:
    async with bot.http.get(f"{bot.base}{path}") as response:
        return response.status, await response.text(), response.headers


async def events(bot: Bot, rotation: str, token: str) -> tuple[Calendar, list]:
    status, body, headers = await fetch(bot, f"/calendar/{rotation}.ics?token={token}")
    assert status == 200, body
    assert headers["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(body)
    return cal, list(cal.walk("VEVENT"))


async def add_override(bot: Bot, rotation: str, user: str, starts: datetime, hours: float) -> int:
    def work(conn):
        result = conn.execute(
            sa.insert(overrides).values(
                rotation=rotation,
                user_id=user,
                starts_at=starts,
                ends_at=starts + timedelta(hours=hours),
                created_by="U0ADMIN",
                created_at=bot.clock.now(),
            )
        )
        return int(result.inserted_primary_key[0])

    return await bot.app.db.write(work)


async def expected_shifts(bot: Bot, rotation: str):
    rotations = Rotations(bot.config)
    now = bot.clock.now()
    end = now + timedelta(weeks=8)
    found = await bot.app.db.read(
        lambda conn: load_overrides(conn, now - timedelta(weeks=2), end + timedelta(weeks=2))
    )
    return shifts(rotations.specs[rotation], found, now, end)


def as_utc(prop) -> datetime:
    value = prop.dt
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0), value
    return value.astimezone(UTC)


async def test_feed_lists_the_next_eight_weeks_with_overrides(cal):
    override = await add_override(cal, "primary", "U0CAROL", NOW + timedelta(days=2), 5)
    token = derived(SECRET, "primary")
    calendar, found = await events(cal, "primary", token)

    assert str(calendar["X-WR-CALNAME"]) == "On call: primary"
    assert str(calendar["VERSION"]) == "2.0"
    want = await expected_shifts(cal, "primary")
    assert len(want) == len(found) == 11  # 8 weeks, the override cuts one week in three
    for shift, event in zip(want, found, strict=True):
        assert as_utc(event["DTSTART"]) == shift.starts_at
        assert as_utc(event["DTEND"]) == shift.ends_at
        assert str(event["SUMMARY"]) == f"On call: {shift.user} (primary)"
        assert as_utc(event["DTSTAMP"]) == NOW
    # the current shift is included whole, begun when it began
    assert as_utc(found[0]["DTSTART"]) == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert str(found[0]["SUMMARY"]) == "On call: U0AAA (primary)"
    [cover] = [e for e in found if "U0CAROL" in str(e["SUMMARY"])]
    assert str(cover["UID"]) == f"primary-override-{override}@firebell"
    assert as_utc(cover["DTEND"]) - as_utc(cover["DTSTART"]) == timedelta(hours=5)
    assert len({str(e["UID"]) for e in found}) == len(found)


async def test_uids_are_stable_across_fetches_and_restarts(cal):
    await add_override(cal, "primary", "U0CAROL", NOW + timedelta(days=9), 24)
    token = derived(SECRET, "primary")
    _, first = await events(cal, "primary", token)
    cal.clock.advance(timedelta(hours=3))
    _, second = await events(cal, "primary", token)
    assert [str(e["UID"]) for e in first] == [str(e["UID"]) for e in second]

    await cal.stop()
    await cal.start()
    _, third = await events(cal, "primary", token)  # the derived token survives the restart
    assert [str(e["UID"]) for e in third] == [str(e["UID"]) for e in first]

    cal.clock.advance(timedelta(weeks=1))  # a week on, last week's shift is gone, the rest stay
    _, later = await events(cal, "primary", token)
    assert [str(e["UID"]) for e in later][: len(first) - 1] == [str(e["UID"]) for e in first][1:]


async def test_email_members_show_their_slack_id_once_looked_up(cal):
    def known(conn):
        conn.execute(
            sa.insert(people).values(email="carol@example.com", user_id="U0CAROL", looked_up_at=NOW)
        )

    _, before = await events(cal, "ops", TOKEN)
    assert any("carol@example.com" in str(e["SUMMARY"]) for e in before)
    await cal.app.db.write(known)
    _, after = await events(cal, "ops", TOKEN)
    summaries = [str(e["SUMMARY"]) for e in after]
    assert "On call: U0CAROL (ops)" in summaries
    assert not any("@" in s for s in summaries)
    assert [str(e["UID"]) for e in after] == [str(e["UID"]) for e in before]
    # daily shifts at 08:00 New York time, in UTC: 13:00 before the DST change, 12:00 after
    starts = {as_utc(e["DTSTART"]).hour for e in after}
    assert starts == {12, 13}


async def test_missing_or_wrong_token_is_refused_alike(cal):
    missing = await fetch(cal, "/calendar/primary.ics")
    wrong = await fetch(cal, "/calendar/primary.ics?token=" + "0" * 32)
    assert missing[0] == wrong[0] == 403
    assert missing[1] == wrong[1]
    assert "BEGIN:VCALENDAR" not in missing[1]
    other = await fetch(cal, f"/calendar/primary.ics?token={derived(SECRET, 'ops')}")
    assert other[0] == 403  # a token opens its own rotation only
    odd = await fetch(cal, "/calendar/primary.ics?token=%C3%A9%00x")
    assert odd[0] == 403


async def test_unknown_rotation_is_404(cal):
    status, body, _ = await fetch(cal, f"/calendar/nope.ics?token={derived(SECRET, 'nope')}")
    assert status == 404 and "nope" in body
    status, _, _ = await fetch(cal, "/calendar/primary.txt")
    assert status == 404


async def test_token_from_config_replaces_the_derived_one(cal):
    assert (await fetch(cal, f"/calendar/ops.ics?token={TOKEN}"))[0] == 200
    assert (await fetch(cal, f"/calendar/ops.ics?token={derived(SECRET, 'ops')}"))[0] == 403
    assert (await fetch(cal, f"/calendar/ops.ics?token={TOKEN}x"))[0] == 403


async def test_calendar_secret_keys_derived_tokens(tmp_path, double):
    harness = Bot(tmp_path, double, config=CONFIG_WITH_CALENDARS, clock=ManualClock(NOW))
    settings = harness.settings(firebell_calendar_secret="calendar-secret-for-feeds")
    app = Firebell(settings, harness.config, harness.clock, run_workers=False)
    await app.start()
    try:
        async with aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{app.port}/calendar/primary.ics?token="
            good = derived("calendar-secret-for-feeds", "primary")
            async with http.get(base + good) as response:
                assert response.status == 200
            async with http.get(base + derived(SECRET, "primary")) as response:
                assert response.status == 403
    finally:
        await app.stop()


async def test_token_is_never_logged(cal, capsys):
    token = derived(SECRET, "primary")
    await fetch(cal, f"/calendar/primary.ics?token={token}")
    await fetch(cal, f"/calendar/primary.ics?token={token[:-1]}0")
    out, err = capsys.readouterr()
    assert "calendar_served" in out + err and "calendar_refused" in out + err
    assert token not in out + err and token[:-1] not in out + err


def test_calendar_token_must_be_long_enough():
    from bot.config_source import ConfigError

    with pytest.raises(ConfigError) as caught:
        parse_config(CONFIG_WITH_CALENDARS.replace(TOKEN, "short"))
    assert "rotations[1].calendar_token" in str(caught.value)
