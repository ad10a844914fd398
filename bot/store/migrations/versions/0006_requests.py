"""Slack requests already handled: refuse replays, answer Slack's retries without acting again

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handled_requests",
        # sha256 hex of the request's signature, or of its event_id for Events API callbacks
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_handled_requests")),
        sqlite_with_rowid=False,  # SQLite: the rows live in the key's own B-tree
    )
    op.create_index("ix_handled_requests_expires_at", "handled_requests", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_handled_requests_expires_at", table_name="handled_requests")
    op.drop_table("handled_requests")
