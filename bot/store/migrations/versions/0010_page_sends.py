"""Pages sent by SMS and voice: the provider's id for receipts and failover, the number for
replies

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page_sends",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("medium", sa.String(length=8), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_page_sends_incident_id_incidents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_page_sends"),
    )
    op.create_index("ix_page_sends_provider_id", "page_sends", ["provider", "provider_id"])
    op.create_index("ix_page_sends_phone_id", "page_sends", ["phone", "id"])


def downgrade() -> None:
    op.drop_index("ix_page_sends_phone_id", table_name="page_sends")
    op.drop_index("ix_page_sends_provider_id", table_name="page_sends")
    op.drop_table("page_sends")
