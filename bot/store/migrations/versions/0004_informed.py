"""keeping everyone informed: indexes for reports and for finding an incident by its thread

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_kind_incident_id", "events", ["kind", "incident_id"])
    op.create_index("ix_incidents_channel_id_thread_ts", "incidents", ["channel_id", "thread_ts"])


def downgrade() -> None:
    op.drop_index("ix_incidents_channel_id_thread_ts", table_name="incidents")
    op.drop_index("ix_events_kind_incident_id", table_name="events")
