"""Publishing a person's App Home: when they open it, and again after each change they make
in My paging (`notice`: what that change did, shown there)."""

from __future__ import annotations

from bot.services.container import Services
from bot.slack.blocks import home

NOTICE = "my_paging_notice"  # the context key a My paging listener leaves its answer under


async def publish(services: Services, client, user: str, notice: str = "") -> None:
    on_call = await services.overrides.home(user)
    found, total = await services.incidents.list_open(limit=20, viewer=user)
    mine = await services.my_paging.view(user)
    beats = await services.heartbeats.views()
    grids = await services.calendars.grids()
    config = services.config
    view = home.home(
        found, total, config, on_call, mine, notice, beats=beats, grids=grids, viewer=user
    )
    await client.views_publish(user_id=user, view=view)
