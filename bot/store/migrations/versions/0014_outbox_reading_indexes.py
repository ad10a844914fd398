"""Outbox indexes on (status, kind, channel, id) and (status, channel, kind, id): the
senders find the rows they may send without walking a storm's backlog resting in one channel

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_status_kind_channel_id", "outbox", ["status", "kind", "channel", "id"]
    )
    op.create_index(
        "ix_outbox_status_channel_kind_id", "outbox", ["status", "channel", "kind", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_status_channel_kind_id", table_name="outbox")
    op.drop_index("ix_outbox_status_kind_channel_id", table_name="outbox")
