"""`GET /calendar/<rotation>.ics?token=...`: a rotation's next eight weeks of shifts as iCalendar.

Subscribe to it from any calendar client. One event per piece of the timeline (an override
cuts a shift into pieces), times in UTC, each with a UID that stays the same across fetches
and restarts, so clients update events instead of duplicating them.

Answers: 200 with the feed; 404 for a rotation the config does not have (rotation names are
not secret: Slack shows them); 403 for a missing or wrong token, with one body for both. The
token is compared in constant time, and neither it nor the query string is logged.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from aiohttp import web

from bot.services.calendar import Feed
from bot.services.container import Services

log = structlog.get_logger("firebell.calendar")

PRODID = "-//Firebell//On-call calendar//EN"
REFRESH = timedelta(hours=1)  # how often clients should fetch again


def render(feed: Feed) -> bytes:
    """The feed as an iCalendar document (RFC 5545)."""
    from icalendar import Calendar, Event  # here, not at the top: ~30 ms of start-up otherwise

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"On call: {feed.rotation}")
    cal.add("x-wr-caldesc", f"Who is on call for {feed.rotation}, from Firebell")
    cal.add("x-published-ttl", "PT1H")
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    for entry in feed.entries:
        event = Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", feed.generated_at)
        event.add("dtstart", entry.starts_at)
        event.add("dtend", entry.ends_at)
        event.add("summary", f"On call: {entry.user} ({feed.rotation})")
        source = "Override" if entry.shift.is_override else f"Scheduled shift {entry.shift.index}"
        who = entry.user
        if entry.email and entry.email != entry.user:
            who = f"{entry.user} ({entry.email})"
        event.add("description", f"{source} of rotation {feed.rotation}: {who} is on call.")
        event.add("transp", "TRANSPARENT")  # being on call does not make anyone busy
        cal.add_component(event)
    return cal.to_ical()


def routes(services: Services) -> list[web.RouteDef]:
    calendars = services.calendars

    async def feed(request: web.Request) -> web.Response:
        name = request.match_info["rotation"]
        if not calendars.exists(name):
            return web.Response(status=404, text=f"No rotation named {name!r}.\n")
        if not calendars.allows(name, request.query.get("token")):
            log.warning("calendar_refused", rotation=name)
            return web.Response(
                status=403,
                text="This calendar needs the token from its link "
                "(`firebell oncall --calendar-links` prints it).\n",
            )
        found = await calendars.feed(name)
        log.info("calendar_served", rotation=name, events=len(found.entries))
        return web.Response(
            body=render(found),
            content_type="text/calendar",
            charset="utf-8",
            headers={
                "Content-Disposition": f'inline; filename="{name}.ics"',
                "Cache-Control": "private, max-age=300",
                "Referrer-Policy": "no-referrer",
            },
        )

    return [web.get("/calendar/{rotation}.ics", feed)]
