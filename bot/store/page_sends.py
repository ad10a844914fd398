"""Pages handed to a phone provider (SMS, calls): found again by the provider's id when its
receipt comes, and by the number when the person replies."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from bot.store.tables import incidents, page_sends

UNTAKEN = ("declared",)  # an incident nobody acknowledged or resolved yet


def record(conn: Connection, values: Mapping[str, Any]) -> int:
    result = conn.execute(sa.insert(page_sends), dict(values))
    return int(result.inserted_primary_key[0])


def by_provider_id(conn: Connection, provider: str, provider_id: str):
    query = (
        sa.select(page_sends)
        .where(page_sends.c.provider == provider, page_sends.c.provider_id == provider_id)
        .with_for_update()
    )
    return conn.execute(query).mappings().first()


def set_status(conn: Connection, send_id: int, status: str, now: datetime) -> None:
    conn.execute(
        sa.update(page_sends)
        .where(page_sends.c.id == send_id)
        .values(status=status, updated_at=now)
    )


def latest_to(conn: Connection, phone: str):
    """The newest page sent to `phone` whose incident nobody has taken yet, if any."""
    query = (
        sa.select(page_sends)
        .join(incidents, incidents.c.id == page_sends.c.incident_id)
        .where(page_sends.c.phone == phone, incidents.c.status.in_(UNTAKEN))
        .order_by(page_sends.c.id.desc())
        .limit(1)
    )
    return conn.execute(query).mappings().first()
