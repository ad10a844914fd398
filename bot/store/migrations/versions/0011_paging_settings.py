"""My paging: the contacts and rules people set for themselves, and the codes that verify
a new address

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-12
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paging_settings",
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("ntfy", sa.String(length=64), nullable=True),
        sa.Column("rules", sa.JSON(), nullable=True),
        sa.Column("tested_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user", name="pk_paging_settings"),
    )
    op.create_table(
        "paging_codes",
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("medium", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user", "medium", name="pk_paging_codes"),
    )


def downgrade() -> None:
    op.drop_table("paging_codes")
    op.drop_table("paging_settings")
