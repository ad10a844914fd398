"""Pages handed to a phone provider (SMS, calls): found again by the provider's id when its
receipt comes, and by the number when the person replies."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from bot.store.incidents import resolved_before
from bot.store.retention import delete_oldest, first_id_since
from bot.store.tables import UTCDateTime, incidents, page_sends

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


def prune(conn: Connection, before: datetime, most: int) -> int:
    """Delete the oldest pages sent before `before` to incidents resolved before it too, at
    most `most`: no receipt or reply reads them again (a reply finds untaken incidents'),
    and each holds a phone number. How many went. Read along the primary key below the
    first page sent since `before`."""
    cut = sa.bindparam("before", before, type_=UTCDateTime)
    bound = first_id_since(conn, page_sends, page_sends.c.sent_at, before)
    old = sa.and_(
        page_sends.c.id < bound,
        page_sends.c.sent_at < cut,
        resolved_before(page_sends.c.incident_id, cut),
    )
    return delete_oldest(conn, page_sends, old, (page_sends.c.id,), most)
