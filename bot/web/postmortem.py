"""`GET /incidents/INC-42/postmortem.md?token=...`: an incident's postmortem draft, as of now.

The token is per incident (see `bot.services.postmortem`), compared in constant time before
anything is looked up: a missing or wrong token is 403 whether or not the incident exists;
with the right token, 404 for an incident that does not exist. Neither the token nor the
query string is logged.
"""

from __future__ import annotations

import structlog
from aiohttp import web

from bot.core.incident import parse_ref
from bot.services.container import Services

log = structlog.get_logger("firebell.postmortem")


def routes(services: Services) -> list[web.RouteDef]:
    postmortems = services.postmortems

    async def draft(request: web.Request) -> web.Response:
        number = parse_ref(request.match_info["ref"])
        if number is None:
            return web.Response(status=404, text="Incidents are named like INC-42.\n")
        if not postmortems.allows(number, request.query.get("token")):
            log.warning("postmortem_refused", incident=number)
            return web.Response(
                status=403,
                text="This draft needs the token from its link "
                "(`/incident postmortem INC-42` answers with it).\n",
            )
        found = await postmortems.draft(number)
        if found is None:
            return web.Response(status=404, text=f"There is no INC-{number}.\n")
        incident, text = found
        if incident.private:
            return web.Response(
                status=404, text=f"{incident.ref} is private: its draft is only in its thread.\n"
            )
        log.info("postmortem_served", incident=number)
        return web.Response(
            text=text,
            content_type="text/markdown",
            charset="utf-8",
            headers={
                "Content-Disposition": f'inline; filename="{incident.ref}-postmortem.md"',
                "Cache-Control": "private, no-store",
                "Referrer-Policy": "no-referrer",
            },
        )

    return [web.get("/incidents/{ref}/postmortem.md", draft)]
